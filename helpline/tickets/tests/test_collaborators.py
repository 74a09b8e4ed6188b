"""ticket_add_collaborators: who may add people to a ticket, what is skipped, the audit."""

from __future__ import annotations

import pytest
from django.core import mail

from helpline import factories
from helpline.audit.models import AuditEvent
from helpline.core.errors import InvalidTransition, PermissionDenied
from helpline.tickets import access, services
from helpline.tickets.models import Ticket
from helpline.tickets.tests.scenarios import last_event


def _collaborators(ticket):
    return sorted(ticket.collaborators.values_list("email", flat=True))


def test_the_requester_adds_a_colleague_who_then_may_see_the_ticket(desk):
    ticket = desk.ticket()
    colleague = factories.customer()
    assert not access.can_see(colleague, ticket)
    added = services.ticket_add_collaborators(ticket, [colleague], actor=desk.customer)
    assert added == [colleague]
    assert _collaborators(ticket) == [colleague.email]
    assert access.can_see(colleague, ticket)


def test_adding_collaborators_is_audited_with_the_list_before_and_after(desk):
    ticket = desk.ticket()
    first, second = factories.customer(), factories.customer()
    services.ticket_add_collaborators(ticket, [first], actor=desk.customer)
    services.ticket_add_collaborators(
        ticket, [second], actor=desk.l1, note="CC'd on an email to the desk"
    )
    event = last_event(ticket)
    assert event.action == "ticket.collaborators_added"
    assert event.actor == desk.l1
    assert event.note == "CC'd on an email to the desk"
    assert event.changes == {"collaborators": [[first.email], sorted([first.email, second.email])]}


def test_users_already_on_the_ticket_and_the_requester_are_skipped(desk):
    ticket = desk.ticket()
    colleague, newcomer = factories.customer(), factories.customer()
    services.ticket_add_collaborators(ticket, [colleague], actor=desk.customer)
    added = services.ticket_add_collaborators(
        ticket, [colleague, desk.customer, newcomer, newcomer], actor=desk.customer
    )
    assert added == [newcomer]
    assert _collaborators(ticket) == sorted([colleague.email, newcomer.email])


def test_adding_nobody_new_writes_nothing(desk):
    ticket = desk.ticket()
    colleague = factories.customer()
    services.ticket_add_collaborators(ticket, [colleague], actor=desk.customer)
    events = AuditEvent.objects.count()
    version = Ticket.objects.get(pk=ticket.pk).version
    assert (
        services.ticket_add_collaborators(ticket, [colleague, desk.customer], actor=desk.l1) == []
    )
    assert services.ticket_add_collaborators(ticket, [], actor=desk.l1) == []
    assert AuditEvent.objects.count() == events
    assert Ticket.objects.get(pk=ticket.pk).version == version


def test_somebody_who_cannot_see_the_ticket_cannot_add_people(desk):
    ticket = desk.ticket()
    stranger = factories.customer()
    with pytest.raises(PermissionDenied):
        services.ticket_add_collaborators(ticket, [stranger], actor=stranger)
    with pytest.raises(PermissionDenied):
        services.ticket_add_collaborators(ticket, [stranger], actor=desk.outsider)
    assert _collaborators(ticket) == []


def test_a_closed_ticket_gets_no_new_collaborators(desk):
    ticket = desk.ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    with pytest.raises(InvalidTransition):
        services.ticket_add_collaborators(ticket, [factories.customer()], actor=desk.l1)
    assert _collaborators(ticket) == []


def test_collaborators_receive_the_tickets_mail(desk, django_capture_on_commit_callbacks):
    ticket = desk.ticket()
    colleague = factories.customer()
    services.ticket_add_collaborators(ticket, [colleague], actor=desk.customer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(actor=desk.l1, ticket=ticket, body="Which printer?")
    (reply,) = [m for m in mail.outbox if desk.customer.email in m.to]
    assert colleague.email in reply.to
