"""ticket_transition: every lifecycle action from every status, through the service."""

from __future__ import annotations

import itertools

import pytest

from helpline import factories
from helpline.core.errors import (
    InvalidTransition,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from helpline.tickets import services
from helpline.tickets.models import EntryKind
from helpline.tickets.services import Resolution
from helpline.tickets.states import Status
from helpline.tickets.tests.scenarios import RESOLUTION, last_event, nothing_changes, ticket_in

LIFECYCLE = ["pend", "hold", "resume", "resolve", "reopen", "close"]
ALLOWED = {
    ("open", "pend"): "pending",
    ("open", "hold"): "on_hold",
    ("open", "resolve"): "resolved",
    ("pending", "resume"): "open",
    ("pending", "resolve"): "resolved",
    ("on_hold", "resume"): "open",
    ("resolved", "reopen"): "open",
    ("resolved", "close"): "closed",
}
PAIRS = list(itertools.product([s.value for s in Status], LIFECYCLE))


def _arguments(action: str) -> dict:
    if action == "resolve":
        return {"resolution": RESOLUTION}
    if action == "reopen":
        return {"reason": "It broke again."}
    return {}


@pytest.mark.parametrize(("status", "action"), [p for p in PAIRS if p in ALLOWED], ids="-".join)
def test_an_allowed_transition_moves_the_ticket_and_is_audited(desk, status, action):
    ticket = ticket_in(desk, status)
    version = ticket.version
    services.ticket_transition(actor=desk.l1, ticket=ticket, action=action, **_arguments(action))
    ticket.refresh_from_db()
    assert ticket.status == ALLOWED[(status, action)]
    assert ticket.version == version + 1
    event = last_event(ticket)
    assert event.action == f"ticket.{action}"
    assert event.actor == desk.l1
    assert event.changes["status"] == [status, ticket.status]
    status_line = ticket.entries.filter(kind=EntryKind.EVENT).last()
    assert status_line.body == (
        f"Status changed from {Status(status).label} to {Status(ticket.status).label}."
    )


@pytest.mark.parametrize(("status", "action"), [p for p in PAIRS if p not in ALLOWED], ids="-".join)
def test_a_refused_transition_raises_and_changes_nothing(desk, status, action):
    ticket = ticket_in(desk, status)
    with nothing_changes(ticket), pytest.raises(InvalidTransition):
        services.ticket_transition(
            actor=desk.l1, ticket=ticket, action=action, **_arguments(action)
        )


@pytest.mark.parametrize("action", ["open", "customer_reply", "delete"])
def test_actions_that_are_not_transitions_are_refused(desk, action):
    ticket = ticket_in(desk, "open")
    with nothing_changes(ticket), pytest.raises(ValidationFailed):
        services.ticket_transition(actor=desk.l1, ticket=ticket, action=action)


# --- resolve -------------------------------------------------------------------------------


def test_resolving_records_the_resolution_and_the_time(desk):
    ticket = ticket_in(desk, "open")
    resolution = Resolution(
        problem_identified=" Full disk. ", action_taken="Cleaned it.",
        confirmation="Works.", next_steps="Buy a bigger disk.",
    )  # fmt: skip
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=resolution
    )
    ticket.refresh_from_db()
    assert ticket.resolution == {
        "problem_identified": "Full disk.",
        "action_taken": "Cleaned it.",
        "confirmation": "Works.",
        "next_steps": "Buy a bigger disk.",
    }
    assert ticket.resolved_at is not None
    assert last_event(ticket).changes == {
        "status": ["open", "resolved"],
        "resolution_problem": ["", "Full disk."],
        "resolution_action": ["", "Cleaned it."],
    }


@pytest.mark.parametrize(
    ("resolution", "missing"),
    [
        (None, {"resolution"}),
        (Resolution(problem_identified="", action_taken="Rebooted."), {"problem_identified"}),
        (Resolution(problem_identified="Hung.", action_taken="  "), {"action_taken"}),
        (
            Resolution(problem_identified="", action_taken=""),
            {"problem_identified", "action_taken"},
        ),
    ],
    ids=["none", "no-problem", "blank-action", "empty"],
)
def test_resolving_needs_the_problem_identified_and_the_action_taken(desk, resolution, missing):
    ticket = ticket_in(desk, "open")
    with nothing_changes(ticket), pytest.raises(ValidationFailed) as raised:
        services.ticket_transition(
            actor=desk.l1, ticket=ticket, action="resolve", resolution=resolution
        )
    assert set(raised.value.fields) == missing


# --- reopen and close ----------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopening_needs_a_reason(desk, reason):
    ticket = ticket_in(desk, "resolved")
    with nothing_changes(ticket), pytest.raises(ValidationFailed) as raised:
        services.ticket_transition(actor=desk.l1, ticket=ticket, action="reopen", reason=reason)
    assert raised.value.fields == {"reason": "required"}


def test_reopening_counts_and_clears_the_resolution_time(desk):
    ticket = ticket_in(desk, "resolved")
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="reopen", reason="Again.")
    ticket.refresh_from_db()
    assert ticket.reopen_count == 1
    assert ticket.resolved_at is None
    event = last_event(ticket)
    assert event.changes["reopen_count"] == [0, 1]
    assert event.note == "Again."


def test_an_agents_reopen_reason_is_an_internal_note(desk):
    ticket = ticket_in(desk, "resolved")
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="reopen", reason="Logs.")
    assert ticket.entries.last().kind == EntryKind.NOTE


def test_the_requester_may_reopen_their_resolved_ticket_in_public(desk):
    ticket = ticket_in(desk, "resolved")
    services.ticket_transition(
        actor=desk.customer, ticket=ticket, action="reopen", reason="Still slow."
    )
    ticket.refresh_from_db()
    assert ticket.status == "open"
    entry = ticket.entries.last()
    assert (entry.kind, entry.body) == (EntryKind.CUSTOMER_MESSAGE, "Reopen: Still slow.")
    assert last_event(ticket).actor == desk.customer


def test_the_requester_may_confirm_their_resolved_ticket(desk):
    ticket = ticket_in(desk, "resolved")
    services.ticket_transition(actor=desk.customer, ticket=ticket, action="close")
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.closed_at is not None
    assert last_event(ticket).action == "ticket.close"


@pytest.mark.parametrize("status", ["new", "open", "pending"])
def test_the_requester_cannot_close_a_ticket_that_is_not_resolved(desk, status):
    ticket = ticket_in(desk, status)
    with nothing_changes(ticket), pytest.raises(InvalidTransition):
        services.ticket_transition(actor=desk.customer, ticket=ticket, action="close")


@pytest.mark.parametrize("action", ["close", "reopen"])
@pytest.mark.parametrize("who", ["collaborator", "colleague"])
def test_only_the_requester_may_close_or_reopen(desk, who, action):
    ticket = ticket_in(desk, "resolved")
    desk.org.shares_tickets = True
    desk.org.save()
    other = factories.customer() if who == "collaborator" else desk.other_customer
    ticket.collaborators.add(other)
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        services.ticket_transition(actor=other, ticket=ticket, action=action, **_arguments(action))


@pytest.mark.parametrize(
    ("status", "action"),
    [("open", "pend"), ("open", "hold"), ("on_hold", "resume"), ("open", "resolve")],
)
def test_a_customer_may_not_work_the_ticket(desk, status, action):
    ticket = ticket_in(desk, status)
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        services.ticket_transition(
            actor=desk.customer, ticket=ticket, action=action, **_arguments(action)
        )


def test_an_agent_of_another_department_may_not_move_the_ticket(desk):
    ticket = ticket_in(desk, "open")
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        services.ticket_transition(actor=desk.outsider, ticket=ticket, action="pend")


def test_a_stale_version_is_refused(desk):
    ticket = ticket_in(desk, "open")
    with nothing_changes(ticket), pytest.raises(StaleVersion):
        services.ticket_transition(
            actor=desk.l1, ticket=ticket, action="pend", expected_version=ticket.version - 1
        )


def test_the_current_version_is_accepted(desk):
    ticket = ticket_in(desk, "open")
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="pend", expected_version=ticket.version
    )
    ticket.refresh_from_db()
    assert ticket.status == "pending"
