"""ticket_reply and ticket_note: entries, status moves, first response, audit, versions."""

from __future__ import annotations

import pytest
from django.core import mail

from helpline import factories
from helpline.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from helpline.tickets import services
from helpline.tickets.models import EntryKind, Ticket
from helpline.tickets.tests.scenarios import last_event, nothing_changes, ticket_in

# --- agent replies -------------------------------------------------------------------------


def test_an_agent_reply_is_a_public_reply_entry(desk):
    ticket = desk.ticket()
    entry = services.ticket_reply(actor=desk.l1, ticket=ticket, body="On it.")
    assert entry.kind == EntryKind.REPLY
    assert entry.author == desk.l1
    assert entry.body == "On it."
    assert "On it." in entry.body_html


def test_the_first_agent_reply_opens_a_new_ticket_and_is_the_first_response(desk):
    ticket = desk.ticket()
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="On it.")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.first_response_at is not None
    event = last_event(ticket)
    assert event.action == "ticket.reply"
    assert event.actor == desk.l1
    assert event.changes == {
        "status": ["new", "open"],
        "first_response_at": [None, ticket.first_response_at.isoformat()],
    }
    assert ticket.version == 2


def test_the_status_change_is_shown_in_the_thread(desk):
    ticket = desk.ticket()
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="On it.")
    kinds = list(ticket.entries.values_list("kind", "body"))
    assert kinds == [("reply", "On it."), ("event", "Status changed from New to Open.")]


def test_a_later_agent_reply_keeps_the_first_response_time(desk):
    ticket = desk.ticket()
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="First.")
    ticket.refresh_from_db()
    first = ticket.first_response_at
    services.ticket_reply(actor=desk.l2, ticket=ticket, body="Second.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first
    assert last_event(ticket).changes == {}
    assert ticket.version == 3


@pytest.mark.parametrize("status", ["pending", "on_hold", "resolved"])
def test_an_agent_reply_does_not_move_a_worked_ticket(desk, status):
    ticket = ticket_in(desk, status)
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="News.")
    ticket.refresh_from_db()
    assert ticket.status == status


def test_an_admin_may_reply_outside_their_departments(desk):
    ticket = desk.ticket()
    services.ticket_reply(actor=desk.admin, ticket=ticket, body="Hello.")
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_an_agent_of_another_department_may_not_reply(desk):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        services.ticket_reply(actor=desk.outsider, ticket=ticket, body="Hi.")


# --- customer messages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "after"),
    [("new", "new"), ("open", "open"), ("pending", "open"), ("on_hold", "on_hold")],
)
def test_a_customer_message_moves_the_ticket_as_the_lifecycle_says(desk, status, after):
    ticket = ticket_in(desk, status)
    version = ticket.version
    entry = services.ticket_reply(actor=desk.customer, ticket=ticket, body="Any news?")
    ticket.refresh_from_db()
    assert entry.kind == EntryKind.CUSTOMER_MESSAGE
    assert ticket.status == after
    assert ticket.reopen_count == 0
    assert ticket.version == version + 1
    event = last_event(ticket)
    assert event.action == "ticket.customer_message"
    assert event.actor == desk.customer
    assert event.changes == ({"status": [status, after]} if status != after else {})


def test_a_customer_message_on_a_resolved_ticket_reopens_it(desk):
    ticket = ticket_in(desk, "resolved")
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Still broken.")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.reopen_count == 1
    assert last_event(ticket).changes == {
        "status": ["resolved", "open"],
        "reopen_count": [0, 1],
    }


def test_a_customer_message_is_not_a_first_response(desk):
    ticket = desk.ticket()
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Hello?")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_a_collaborator_may_write_on_the_ticket(desk):
    ticket = desk.ticket()
    cc = factories.customer()
    ticket.collaborators.add(cc)
    entry = services.ticket_reply(actor=cc, ticket=ticket, body="Same here.")
    assert entry.author == cc


def test_a_customer_who_cannot_see_the_ticket_may_not_write_on_it(desk):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        services.ticket_reply(actor=desk.other_customer, ticket=ticket, body="Hi.")


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["customer", "l1"])
def test_nobody_may_write_on_a_closed_ticket(desk, who):
    ticket = ticket_in(desk, "closed")
    with nothing_changes(ticket), pytest.raises(InvalidTransition):
        services.ticket_reply(actor=getattr(desk, who), ticket=ticket, body="Hello?")


@pytest.mark.parametrize("body", ["", "   ", "x" * 100_001])
def test_an_empty_or_huge_body_is_refused(desk, body):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(ValidationFailed):
        services.ticket_reply(actor=desk.l1, ticket=ticket, body=body)


# --- internal notes ------------------------------------------------------------------------


def test_an_agent_note_is_an_internal_entry_and_changes_no_status(desk):
    ticket = desk.ticket()
    entry = services.ticket_note(actor=desk.l1, ticket=ticket, body="Check the switch.")
    ticket.refresh_from_db()
    assert entry.kind == EntryKind.NOTE
    assert entry.is_internal
    assert ticket.status == "new"
    assert ticket.first_response_at is None
    assert ticket.version == 2
    event = last_event(ticket)
    assert (event.action, event.actor, event.changes) == ("ticket.note", desk.l1, {})


@pytest.mark.parametrize("who", ["customer", "outsider"])
def test_only_agents_who_see_the_ticket_may_write_notes(desk, who):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        services.ticket_note(actor=getattr(desk, who), ticket=ticket, body="Psst.")


def test_a_note_on_a_closed_ticket_is_refused(desk):
    ticket = ticket_in(desk, "closed")
    with nothing_changes(ticket), pytest.raises(InvalidTransition):
        services.ticket_note(actor=desk.l1, ticket=ticket, body="Late.")


def test_an_empty_note_is_refused(desk):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(ValidationFailed):
        services.ticket_note(actor=desk.l1, ticket=ticket, body=" ")


def test_a_note_is_never_mailed(desk, django_capture_on_commit_callbacks):
    ticket = desk.ticket()
    ticket.collaborators.add(factories.customer())
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_note(actor=desk.l1, ticket=ticket, body="Secret: the admin password.")
    assert mail.outbox == []
    assert Ticket.objects.get(pk=ticket.pk).entries.get().kind == EntryKind.NOTE
