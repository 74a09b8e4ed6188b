"""ticket_take, ticket_assign and ticket_escalate."""

from __future__ import annotations

import pytest

from helpline import factories
from helpline.accounts.models import Availability, User
from helpline.core.errors import (
    InvalidTransition,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from helpline.directory.models import DepartmentMembership
from helpline.tickets import services
from helpline.tickets.models import EntryKind
from helpline.tickets.tests.scenarios import last_event, nothing_changes, ref, ticket_in

# --- take ----------------------------------------------------------------------------------


def test_taking_a_new_ticket_assigns_it_and_opens_it(desk):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l2, ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == desk.l2
    assert ticket.status == "open"
    assert ticket.version == 2
    event = last_event(ticket)
    assert (event.action, event.actor) == ("ticket.take", desk.l2)
    assert event.changes == {
        "assignee": [ref(desk.l1), ref(desk.l2)],
        "status": ["new", "open"],
    }


def test_taking_an_open_ticket_changes_only_the_assignee(desk):
    ticket = ticket_in(desk, "pending")
    services.ticket_take(actor=desk.l2, ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert last_event(ticket).changes == {"assignee": [ref(desk.l1), ref(desk.l2)]}


def test_taking_stamps_the_agents_last_assignment(desk):
    services.ticket_take(actor=desk.l3, ticket=desk.ticket())
    desk.l3.refresh_from_db()
    assert desk.l3.last_assigned_at is not None


def test_an_admin_may_take_a_ticket_of_any_department(desk):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.admin, ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == desk.admin


def test_an_agent_of_another_department_cannot_take_the_ticket(desk):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(ValidationFailed):
        services.ticket_take(actor=desk.outsider, ticket=ticket)


def test_a_customer_cannot_take_a_ticket(desk):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        services.ticket_take(actor=desk.customer, ticket=ticket)


def test_a_closed_ticket_cannot_be_taken(desk):
    ticket = ticket_in(desk, "closed")
    with nothing_changes(ticket), pytest.raises(InvalidTransition):
        services.ticket_take(actor=desk.l2, ticket=ticket)


def test_taking_with_a_stale_version_is_refused(desk):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    with nothing_changes(ticket), pytest.raises(StaleVersion):
        services.ticket_take(actor=desk.l2, ticket=ticket, expected_version=1)


# --- assign --------------------------------------------------------------------------------


def test_assigning_gives_the_ticket_to_an_agent_of_the_department(desk):
    ticket = desk.ticket()
    services.ticket_assign(actor=desk.l1, ticket=ticket, assignee=desk.l2)
    ticket.refresh_from_db()
    assert ticket.assignee == desk.l2
    assert ticket.status == "new"
    assert ticket.version == 2
    event = last_event(ticket)
    assert (event.action, event.actor) == ("ticket.assign", desk.l1)
    assert event.changes == {"assignee": [ref(desk.l1), ref(desk.l2)]}
    desk.l2.refresh_from_db()
    assert desk.l2.last_assigned_at is not None


def test_assigning_none_unassigns(desk):
    ticket = desk.ticket()
    services.ticket_assign(actor=desk.l1, ticket=ticket, assignee=None)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert last_event(ticket).changes == {"assignee": [ref(desk.l1), None]}


def test_a_ticket_may_be_assigned_to_an_admin_outside_the_department(desk):
    ticket = desk.ticket()
    services.ticket_assign(actor=desk.l1, ticket=ticket, assignee=desk.admin)
    ticket.refresh_from_db()
    assert ticket.assignee == desk.admin


@pytest.mark.parametrize(
    ("assignee", "field_error"),
    [("customer", "not an agent"), ("outsider", "not in this department")],
)
def test_assigning_to_someone_who_cannot_work_it_is_refused(desk, assignee, field_error):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(ValidationFailed) as raised:
        services.ticket_assign(actor=desk.l1, ticket=ticket, assignee=getattr(desk, assignee))
    assert raised.value.fields == {"assignee": field_error}


@pytest.mark.parametrize("actor", ["customer", "outsider"])
def test_only_agents_who_see_the_ticket_may_assign_it(desk, actor):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        services.ticket_assign(actor=getattr(desk, actor), ticket=ticket, assignee=desk.l2)


def test_a_closed_ticket_cannot_be_assigned(desk):
    ticket = ticket_in(desk, "closed")
    with nothing_changes(ticket), pytest.raises(InvalidTransition):
        services.ticket_assign(actor=desk.l1, ticket=ticket, assignee=desk.l2)


# --- escalate ------------------------------------------------------------------------------


def test_escalating_without_a_target_goes_to_the_next_level(desk):
    ticket = desk.ticket()
    services.ticket_escalate(actor=desk.l1, ticket=ticket, note="Needs a specialist.")
    ticket.refresh_from_db()
    assert ticket.support_level == 2
    assert ticket.assignee == desk.l2
    assert ticket.status == "open"
    assert ticket.version == 2
    event = last_event(ticket)
    assert (event.action, event.actor, event.note) == (
        "ticket.escalate", desk.l1, "Needs a specialist.",
    )  # fmt: skip
    assert event.changes == {
        "support_level": [1, 2],
        "assignee": [ref(desk.l1), ref(desk.l2)],
        "status": ["new", "open"],
    }


def test_the_escalation_note_is_internal(desk):
    ticket = desk.ticket()
    services.ticket_escalate(actor=desk.l1, ticket=ticket, note="Disk is dying.")
    note = ticket.entries.get(kind=EntryKind.NOTE)
    assert note.body == "Escalated: Disk is dying."
    assert not ticket.entries.filter(body__contains="Disk is dying", kind__in=["reply", "event"])


def test_escalating_to_a_named_level(desk):
    ticket = ticket_in(desk, "open")
    services.ticket_escalate(actor=desk.l1, ticket=ticket, to_level=3, note="Straight to L3.")
    ticket.refresh_from_db()
    assert (ticket.support_level, ticket.assignee) == (3, desk.l3)


def test_escalating_picks_an_available_agent_of_the_target_level(desk):
    User.objects.filter(pk=desk.l2.pk).update(availability=Availability.AWAY)
    busy = factories.agent(departments=[desk.department], level=2)
    free = factories.agent(departments=[desk.department], level=2)
    services.ticket_assign(actor=desk.admin, ticket=desk.ticket(), assignee=busy)
    ticket = desk.ticket()
    services.ticket_escalate(actor=desk.l1, ticket=ticket, note="L2 please.")
    ticket.refresh_from_db()
    assert ticket.assignee == free


def test_escalating_with_nobody_available_leaves_the_ticket_unassigned(desk):
    User.objects.filter(pk=desk.l2.pk).update(availability=Availability.AWAY)
    ticket = desk.ticket()
    services.ticket_escalate(actor=desk.l1, ticket=ticket, note="L2 please.")
    ticket.refresh_from_db()
    assert ticket.support_level == 2
    assert ticket.assignee is None
    assert last_event(ticket).changes["assignee"] == [ref(desk.l1), None]


def test_escalating_never_picks_the_escalating_agent(desk):
    DepartmentMembership.objects.create(department=desk.other_department, user=desk.l1)
    User.objects.filter(pk=desk.outsider.pk).update(availability=Availability.AWAY)
    ticket = ticket_in(desk, "open")
    services.ticket_escalate(
        actor=desk.l1, ticket=ticket, department=desk.other_department, note="Yours."
    )
    ticket.refresh_from_db()
    assert ticket.department == desk.other_department
    assert ticket.assignee is None


def test_escalating_down_a_level_is_allowed(desk):
    ticket = ticket_in(desk, "open")
    services.ticket_escalate(actor=desk.l1, ticket=ticket, to_level=2, note="Up.")
    services.ticket_escalate(actor=desk.l2, ticket=ticket, to_level=1, note="Back to L1.")
    ticket.refresh_from_db()
    assert (ticket.support_level, ticket.assignee) == (1, desk.l1)


def test_escalating_to_another_department_moves_the_ticket(desk):
    ticket = ticket_in(desk, "open")
    services.ticket_escalate(
        actor=desk.l1, ticket=ticket, department=desk.other_department, note="Network issue."
    )
    ticket.refresh_from_db()
    assert ticket.department == desk.other_department
    assert ticket.support_level == 1
    assert ticket.assignee == desk.outsider
    assert last_event(ticket).changes["department"] == [
        ref(desk.department), ref(desk.other_department),
    ]  # fmt: skip


def test_escalating_to_a_team_sets_the_team(desk):
    team = factories.team()
    ticket = ticket_in(desk, "open")
    services.ticket_escalate(actor=desk.l1, ticket=ticket, team=team, note="Team job.")
    ticket.refresh_from_db()
    assert ticket.team == team
    assert last_event(ticket).changes["team"] == [None, ref(team)]


def test_escalating_to_a_named_agent_assigns_them(desk):
    expert = factories.agent(departments=[desk.department], level=3)
    ticket = ticket_in(desk, "open")
    services.ticket_escalate(actor=desk.l1, ticket=ticket, agent=expert, note="Your area.")
    ticket.refresh_from_db()
    assert ticket.assignee == expert


@pytest.mark.parametrize(
    ("target", "error_field"),
    [
        ({"agent": "customer"}, "agent"),
        ({"agent": "outsider"}, "agent"),
        ({"to_level": 0}, "to_level"),
        ({"to_level": 4}, "to_level"),
        ({"to_level": 1}, "to_level"),
        ({"department": "department"}, "to_level"),
    ],
    ids=["customer", "agent-elsewhere", "level-0", "level-4", "same-level", "same-department"],
)
def test_an_impossible_escalation_target_is_refused(desk, target, error_field):
    ticket = ticket_in(desk, "open")
    arguments = {
        name: getattr(desk, value) if isinstance(value, str) else value
        for name, value in target.items()
    }
    with nothing_changes(ticket), pytest.raises(ValidationFailed) as raised:
        services.ticket_escalate(actor=desk.l1, ticket=ticket, note="Why.", **arguments)
    assert error_field in raised.value.fields


def test_escalating_past_the_last_level_is_refused(desk):
    ticket = ticket_in(desk, "open")
    services.ticket_escalate(actor=desk.l1, ticket=ticket, to_level=3, note="Up.")
    ticket.refresh_from_db()
    with nothing_changes(ticket), pytest.raises(ValidationFailed):
        services.ticket_escalate(actor=desk.l3, ticket=ticket, note="Further up.")


@pytest.mark.parametrize("note", ["", "   "])
def test_escalating_needs_a_note(desk, note):
    ticket = ticket_in(desk, "open")
    with nothing_changes(ticket), pytest.raises(ValidationFailed) as raised:
        services.ticket_escalate(actor=desk.l1, ticket=ticket, note=note)
    assert raised.value.fields == {"note": "required"}


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_a_finished_ticket_cannot_be_escalated(desk, status):
    ticket = ticket_in(desk, status)
    with nothing_changes(ticket), pytest.raises(InvalidTransition):
        services.ticket_escalate(actor=desk.l1, ticket=ticket, note="Up.")


@pytest.mark.parametrize("actor", ["customer", "outsider"])
def test_only_agents_who_see_the_ticket_may_escalate_it(desk, actor):
    ticket = ticket_in(desk, "open")
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        services.ticket_escalate(actor=getattr(desk, actor), ticket=ticket, note="Up.")
