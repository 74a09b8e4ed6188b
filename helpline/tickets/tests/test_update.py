"""ticket_update: optimistic locking, validation, priority re-derivation, audit."""

from __future__ import annotations

import pytest

from helpline import factories
from helpline.core.errors import (
    InvalidTransition,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from helpline.directory.models import Category
from helpline.tickets import services
from helpline.tickets.models import PriorityMatrixEntry
from helpline.tickets.tests.scenarios import last_event, nothing_changes, ref, ticket_in


def _update(desk, ticket, actor=None, **changes):
    return services.ticket_update(
        actor=actor or desk.l1, ticket=ticket, expected_version=ticket.version, changes=changes
    )


def test_an_edit_changes_the_fields_and_bumps_the_version(desk):
    ticket = desk.ticket(subject="Printer")
    _update(desk, ticket, subject="Printer jams", device="HP 4050", location="Room 12")
    updated = type(ticket).objects.get(pk=ticket.pk)
    assert (updated.subject, updated.device, updated.location) == (
        "Printer jams", "HP 4050", "Room 12",
    )  # fmt: skip
    assert updated.version == ticket.version + 1


def test_an_edit_is_audited_with_before_and_after(desk):
    ticket = desk.ticket(subject="Printer")
    _update(desk, ticket, subject="Printer jams", type="service_request")
    event = last_event(ticket)
    assert (event.action, event.actor) == ("ticket.update", desk.l1)
    assert event.changes == {
        "subject": ["Printer", "Printer jams"],
        "type": ["incident", "service_request"],
    }


def test_a_stale_version_is_refused_and_changes_nothing(desk):
    ticket = desk.ticket(subject="Printer")
    stale = ticket.version
    _update(desk, ticket, subject="Someone else's edit")
    with nothing_changes(ticket), pytest.raises(StaleVersion):
        services.ticket_update(
            actor=desk.l2, ticket=ticket, expected_version=stale, changes={"subject": "Mine"}
        )


@pytest.mark.parametrize(
    ("changes", "priority"),
    [
        ({"impact": "high", "urgency": "high"}, "critical"),
        ({"impact": "high"}, "high"),
        ({"urgency": "low"}, "low"),
        ({"impact": "low", "urgency": "low"}, "low"),
    ],
)
def test_changing_impact_or_urgency_re_derives_the_priority(desk, changes, priority):
    ticket = desk.ticket()  # medium × medium → medium
    _update(desk, ticket, **changes)
    ticket.refresh_from_db()
    assert ticket.priority == priority
    if priority != "medium":
        assert last_event(ticket).changes["priority"] == ["medium", priority]


def test_re_derivation_uses_the_stored_matrix(desk):
    PriorityMatrixEntry.objects.update_or_create(
        impact="high", urgency="medium", defaults={"priority": "critical"}
    )
    ticket = desk.ticket()
    _update(desk, ticket, impact="high")
    ticket.refresh_from_db()
    assert ticket.priority == "critical"


def test_an_explicit_priority_wins_over_re_derivation(desk):
    ticket = desk.ticket()
    _update(desk, ticket, impact="high", urgency="high", priority="low")
    ticket.refresh_from_db()
    assert ticket.priority == "low"


def test_related_objects_and_tags_can_be_changed(desk):
    category = Category.objects.create(name="Printer")
    team = factories.team()
    ticket = desk.ticket(tags=["old"])
    _update(desk, ticket, category=category, team=team, tags=["New", "paper"])
    ticket.refresh_from_db()
    assert (ticket.category, ticket.team) == (category, team)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["new", "paper"]
    assert last_event(ticket).changes == {
        "category": [None, ref(category)],
        "team": [None, ref(team)],
        "tags": [["old"], ["new", "paper"]],
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "closed"},
        {"assignee": None},
        {"department": None},
        {"subject": "ok", "version": 99},
    ],
    ids=["status", "assignee", "department", "version"],
)
def test_fields_with_their_own_service_cannot_be_edited(desk, changes):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(ValidationFailed):
        _update(desk, ticket, **changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": ""},
        {"subject": "Fine", "impact": "extreme"},
        {"subject": "Fine", "priority": "urgent"},
        {"type": "complaint"},
        {"location": "x" * 201},
        {"subject": "Fine", "tags": [f"t{n}" for n in range(21)]},
    ],
    ids=["blank-subject", "bad-impact", "bad-priority", "bad-type", "long-location", "tags"],
)
def test_an_invalid_value_refuses_the_whole_edit(desk, changes):
    ticket = desk.ticket(subject="Printer")
    with nothing_changes(ticket), pytest.raises(ValidationFailed):
        _update(desk, ticket, **changes)


@pytest.mark.parametrize("actor", ["customer", "outsider"])
def test_only_agents_who_see_the_ticket_may_edit_it(desk, actor):
    ticket = desk.ticket()
    with nothing_changes(ticket), pytest.raises(PermissionDenied):
        _update(desk, ticket, actor=getattr(desk, actor), subject="Mine now")


def test_a_closed_ticket_cannot_be_edited(desk):
    ticket = ticket_in(desk, "closed")
    with nothing_changes(ticket), pytest.raises(InvalidTransition):
        _update(desk, ticket, subject="Too late")
