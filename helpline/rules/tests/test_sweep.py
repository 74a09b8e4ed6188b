"""Time-based rules, evaluated by the worker's sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from helpline.rules import sweep
from helpline.rules.models import RuleRun, SweepCursor
from helpline.rules.tests import factories as rule_factories
from helpline.tickets import services
from helpline.tickets.models import EntryKind, Ticket

pytestmark = pytest.mark.django_db

STALE = {
    "name": "stale",
    "trigger": "time",
    "conditions": [{"field": "hours_since_updated", "op": "gte", "value": 24}],
    "actions": [{"type": "add_tags", "tags": ["stale"]}],
}


def _age(ticket: Ticket, hours: int) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(
        updated_at=ticket.updated_at - timedelta(hours=hours)
    )


def test_a_time_rule_fires_on_a_stale_open_ticket_once(desk: Any) -> None:
    rule_factories.rule(**STALE)
    stale, fresh = desk.ticket(), desk.ticket()
    _age(stale, 48)
    report = sweep.sweep_time_rules()
    assert (report.tickets, report.matched) == (2, 1)
    assert [t.name for t in Ticket.objects.get(pk=stale.pk).tags.all()] == ["stale"]
    assert not fresh.tags.exists()
    _age(stale, 48)  # still stale, but the rule already fired on this version
    assert sweep.sweep_time_rules().matched == 0
    assert RuleRun.objects.count() == 1


def test_a_time_rule_fires_again_after_the_ticket_changed(desk: Any) -> None:
    rule_factories.rule(
        **{**STALE, "actions": [{"type": "add_note", "body": "Reminder: no update for a day."}]}
    )
    ticket = desk.ticket()
    _age(ticket, 48)
    sweep.sweep_time_rules()
    ticket.refresh_from_db()
    services.ticket_update(
        actor=desk.l1, ticket=ticket, expected_version=ticket.version, changes={"priority": "low"}
    )
    _age(Ticket.objects.get(pk=ticket.pk), 48)
    sweep.sweep_time_rules()
    assert ticket.entries.filter(kind=EntryKind.NOTE).count() == 2


def test_closed_and_resolved_tickets_are_not_swept(desk: Any) -> None:
    rule_factories.rule(**STALE)
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(
        actor=desk.l1,
        ticket=ticket,
        action="resolve",
        resolution=services.Resolution(problem_identified="x", action_taken="y"),
    )
    _age(ticket, 48)
    assert sweep.sweep_time_rules().tickets == 0


def test_without_time_rules_the_sweep_reads_no_tickets(
    desk: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        desk.ticket()
    with django_assert_max_num_queries(1):
        assert sweep.sweep_time_rules().tickets == 0


def test_the_sweep_reads_a_bounded_batch_and_moves_on(desk: Any, monkeypatch: Any) -> None:
    rule_factories.rule(**STALE)
    tickets = [desk.ticket() for _ in range(5)]
    monkeypatch.setattr(sweep, "BATCH", 2)
    seen = [sweep.sweep_time_rules().tickets for _ in range(3)]
    assert seen == [2, 2, 2]  # 2, 2, then the last one and a wrap to the first
    cursor = SweepCursor.objects.get(name=sweep.CURSOR)
    assert cursor.last_ticket_id == sorted(t.pk for t in tickets)[0]
