"""The snapshot builder (pure): ages in hours, the SLA flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpline.rules.engine import evaluate, field_value, validate_rule
from helpline.rules.snapshot import TicketFacts, build_snapshot

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _test_settings() -> None:
    """Pure: no Django settings needed."""


def facts(**overrides: object) -> TicketFacts:
    base: dict[str, object] = {
        "subject": "VPN down",
        "description": "since this morning",
        "status": "open",
        "priority": "medium",
        "impact": "medium",
        "urgency": "medium",
        "type": "incident",
        "channel": "web",
        "support_level": 1,
        "created_at": NOW - timedelta(hours=30),
        "updated_at": NOW - timedelta(minutes=90),
        "requester_email": "carol@Example.com",
    }
    base.update(overrides)
    return TicketFacts(**base)  # type: ignore[arg-type]


def test_ages_are_hours_since_the_timestamps() -> None:
    snapshot = build_snapshot(facts(), now=NOW)
    assert snapshot["hours_since_created"] == 30
    assert snapshot["hours_since_updated"] == 1.5
    assert snapshot["hours_since_customer_reply"] is None


def test_hours_until_due_is_the_earliest_open_target_and_negative_once_passed() -> None:
    due = (NOW + timedelta(hours=4), NOW - timedelta(hours=2))
    assert build_snapshot(facts(due_at=due), now=NOW)["hours_until_due"] == -2
    assert build_snapshot(facts(), now=NOW)["hours_until_due"] is None


def test_sla_breached_is_true_when_any_target_breached() -> None:
    assert build_snapshot(facts(sla_states=("ok", "breached")), now=NOW)["sla_breached"] is True
    assert build_snapshot(facts(sla_states=("warning",)), now=NOW)["sla_breached"] is False


def test_the_engine_derives_text_and_domain_from_the_snapshot() -> None:
    snapshot = build_snapshot(facts(latest_message="packet loss again"), now=NOW)
    assert "packet loss again" in field_value(snapshot, "text")
    assert field_value(snapshot, "requester.domain") == "example.com"


def test_a_time_rule_on_hours_since_updated_matches_a_stale_ticket() -> None:
    rule = validate_rule(
        {
            "name": "stale",
            "trigger": "time",
            "conditions": [{"field": "hours_since_updated", "op": "gte", "value": 24}],
            "actions": [{"type": "add_note", "body": "stale"}],
        }
    )
    stale = build_snapshot(facts(updated_at=NOW - timedelta(days=2)), now=NOW)
    fresh = build_snapshot(facts(), now=NOW)
    assert evaluate([rule], stale, "time").matched
    assert not evaluate([rule], fresh, "time").matched
