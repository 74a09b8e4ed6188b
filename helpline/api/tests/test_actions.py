from typing import Any

import pytest

from helpline.api.tests.conftest import API, bearer, error_of
from helpline.tickets import services
from helpline.tickets.models import EntryKind, Ticket
from helpline.tickets.states import Status, can, next_status

LIFECYCLE = ("pend", "hold", "resume", "resolve", "reopen", "close")
BODIES: dict[str, dict[str, Any]] = {
    "resolve": {"problem_identified": "Loose cable", "action_taken": "Plugged it in"},
    "reopen": {"reason": "It broke again"},
}
RESOLUTION = services.Resolution(problem_identified="cable", action_taken="plugged in")


def ticket_in(desk: Any, status: Status) -> Ticket:
    """A ticket of desk.customer brought to ``status`` through the services."""
    ticket = desk.ticket()
    steps = {
        Status.NEW: [],
        Status.OPEN: ["take"],
        Status.PENDING: ["take", "pend"],
        Status.ON_HOLD: ["take", "hold"],
        Status.RESOLVED: ["take", "resolve"],
        Status.CLOSED: ["take", "resolve", "close"],
    }[status]
    for step in steps:
        if step == "take":
            ticket = services.ticket_take(actor=desk.l1, ticket=ticket)
        else:
            ticket = services.ticket_transition(
                actor=desk.l1, ticket=ticket, action=step, resolution=RESOLUTION
            )
    assert ticket.status == status
    return ticket


def act(client: Any, user: Any, ticket: Ticket, action: str, body: Any = None) -> Any:
    return client.post(
        f"{API}/tickets/{ticket.number}/actions/{action}",
        body if body is not None else BODIES.get(action, {}),
        content_type="application/json",
        **bearer(user),
    )


@pytest.mark.parametrize("action", LIFECYCLE)
@pytest.mark.parametrize("status", list(Status), ids=str)
def test_every_lifecycle_action_follows_the_transition_table(client, desk, status, action):
    ticket = ticket_in(desk, status)

    response = act(client, desk.admin, ticket, action)

    if can(status, action):
        assert response.status_code == 200, response.content
        assert response.json()["status"] == next_status(status, action)
        assert response.json()["version"] == ticket.version + 1
    else:
        assert response.status_code == 409, response.content
        assert error_of(response)["code"] == "invalid_transition"
        assert Ticket.objects.get(pk=ticket.pk).status == status


def test_taking_a_new_ticket_assigns_it_to_the_caller_and_opens_it(client, desk):
    ticket = ticket_in(desk, Status.NEW)

    response = act(client, desk.l2, ticket, "take")

    assert response.status_code == 200
    assert response.json()["status"] == "open"
    assert response.json()["assignee"]["id"] == desk.l2.pk


def test_a_body_is_optional_for_actions_that_need_nothing(client, desk):
    ticket = ticket_in(desk, Status.OPEN)

    response = client.generic(
        "POST", f"{API}/tickets/{ticket.number}/actions/pend", b"", **bearer(desk.l1)
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"


def test_assigning_to_an_agent_of_the_department_and_back_to_nobody(client, desk):
    ticket = ticket_in(desk, Status.OPEN)

    assigned = act(client, desk.l1, ticket, "assign", {"assignee_id": desk.l3.pk})
    unassigned = act(client, desk.l1, ticket, "assign", {"assignee_id": None})

    assert assigned.json()["assignee"]["id"] == desk.l3.pk
    assert unassigned.json()["assignee"] is None


@pytest.mark.parametrize(
    ("who", "field_message"),
    [
        ("customer", "unknown agent"),
        ("nobody", "unknown agent"),
        ("outsider", "not in this department"),
    ],
)
def test_assigning_to_someone_who_cannot_work_the_ticket_is_a_400(client, desk, who, field_message):
    ticket = ticket_in(desk, Status.OPEN)
    assignee_id = 999_999 if who == "nobody" else getattr(desk, who).pk

    response = act(client, desk.l1, ticket, "assign", {"assignee_id": assignee_id})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"assignee_id": field_message}
    assert Ticket.objects.get(pk=ticket.pk).assignee == desk.l1


def test_escalating_moves_the_ticket_to_the_next_level_with_an_internal_note(client, desk):
    ticket = ticket_in(desk, Status.OPEN)

    response = act(client, desk.l1, ticket, "escalate", {"note": "Needs a specialist"})

    assert response.status_code == 200
    assert response.json()["support_level"] == 2
    assert response.json()["assignee"]["id"] == desk.l2.pk
    assert ticket.entries.filter(kind=EntryKind.NOTE, body__contains="specialist").exists()


def test_escalating_to_another_department_and_team(client, desk):
    from helpline import factories

    team = factories.team()
    ticket = ticket_in(desk, Status.OPEN)

    response = act(
        client,
        desk.l1,
        ticket,
        "escalate",
        {"note": "Network issue", "department_id": desk.other_department.pk, "team_id": team.pk},
    )

    assert response.status_code == 200, response.content
    assert response.json()["department"]["id"] == desk.other_department.pk
    assert response.json()["team"] == {"id": team.pk, "name": team.name}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"note": "x", "to_level": 4}, "to_level"),
        ({"note": "x", "department_id": 999_999}, "department_id"),
        ({"note": "x", "team_id": 999_999}, "team_id"),
        ({"note": "x", "agent_id": 999_999}, "agent_id"),
        ({"note": "   "}, "note"),
        ({}, "note"),
    ],
)
def test_an_escalation_to_nowhere_is_a_400_naming_the_field(client, desk, body, field):
    ticket = ticket_in(desk, Status.OPEN)

    response = act(client, desk.l1, ticket, "escalate", body)

    assert response.status_code == 400
    assert field in error_of(response)["fields"]


@pytest.mark.parametrize("action", ["take", "assign", "escalate"])
def test_take_assign_and_escalate_are_invalid_on_a_closed_ticket(client, desk, action):
    ticket = ticket_in(desk, Status.CLOSED)
    body = {"assign": {"assignee_id": None}, "escalate": {"note": "x"}}.get(action, {})

    response = act(client, desk.admin, ticket, action, body)

    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"problem_identified": " ", "action_taken": ""}, {"problem_identified", "action_taken"}),
        ({"action_taken": "x"}, {"problem_identified"}),
    ],
)
def test_resolving_without_a_resolution_is_a_400_naming_what_is_missing(client, desk, body, fields):
    ticket = ticket_in(desk, Status.OPEN)

    response = act(client, desk.l1, ticket, "resolve", body)

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == fields


def test_resolving_records_the_resolution_on_the_ticket(client, desk):
    ticket = ticket_in(desk, Status.OPEN)
    body = {**BODIES["resolve"], "confirmation": "User confirmed", "next_steps": "None"}

    response = act(client, desk.l1, ticket, "resolve", body)

    assert response.json()["resolution"] == {
        "problem_identified": "Loose cable",
        "action_taken": "Plugged it in",
        "confirmation": "User confirmed",
        "next_steps": "None",
    }
    assert response.json()["resolved_at"] is not None


def test_reopening_needs_a_reason(client, desk):
    ticket = ticket_in(desk, Status.RESOLVED)

    response = act(client, desk.customer, ticket, "reopen", {"reason": "  "})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"reason": "required"}


def test_the_customer_confirms_their_resolved_ticket_by_closing_it(client, desk):
    ticket = ticket_in(desk, Status.RESOLVED)

    response = act(client, desk.customer, ticket, "close")

    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["closed_at"] is not None
    assert response.json()["allowed_actions"] == []


def test_a_customer_reopening_keeps_their_reason_visible_in_the_thread(client, desk):
    ticket = ticket_in(desk, Status.RESOLVED)

    act(client, desk.customer, ticket, "reopen", {"reason": "Still no network"})

    thread = client.get(f"{API}/tickets/{ticket.number}/messages", **bearer(desk.customer))
    assert any("Still no network" in entry["body"] for entry in thread.json()["items"])


@pytest.mark.parametrize("action", ["take", "assign", "escalate", "pend", "resolve"])
def test_an_action_with_a_stale_version_is_a_409_and_changes_nothing(client, desk, action):
    ticket = ticket_in(desk, Status.OPEN)
    body = {
        "assign": {"assignee_id": desk.l3.pk},
        "escalate": {"note": "x"},
        **BODIES,
    }.get(action, {})

    response = act(client, desk.l2, ticket, action, {**body, "version": ticket.version - 1})

    assert response.status_code == 409, response.content
    assert error_of(response)["code"] == "stale_version"
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_an_action_with_the_current_version_goes_through(client, desk):
    ticket = ticket_in(desk, Status.OPEN)

    response = act(client, desk.l1, ticket, "hold", {"version": ticket.version})

    assert response.status_code == 200
    assert response.json()["status"] == "on_hold"


@pytest.mark.parametrize("action", ["open", "customer_reply", "delete", "TAKE", "take/"])
def test_an_unknown_action_is_a_404(client, desk, action):
    ticket = ticket_in(desk, Status.OPEN)

    response = act(client, desk.admin, ticket, action)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_action_on_a_ticket_that_does_not_exist_is_a_404(client, desk):
    response = client.post(
        f"{API}/tickets/424242/actions/pend",
        {},
        content_type="application/json",
        **bearer(desk.admin),
    )

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
