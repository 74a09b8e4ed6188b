"""Turn a ticket's facts into the snapshot the rule engine reads. Pure: no ORM.

The runner collects the facts (plain values and aware datetimes) from the database; this
module derives the ages in hours and the flags, so the derivation is tested without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class TicketFacts:
    subject: str
    description: str
    status: str
    priority: str
    impact: str
    urgency: str
    type: str
    channel: str
    support_level: int
    created_at: datetime
    updated_at: datetime
    department: str = ""
    team: str = ""
    help_topic: str = ""
    category: str = ""
    assignee: int | None = None
    requester_email: str = ""
    requester_name: str = ""
    organization: str = ""
    tags: tuple[str, ...] = ()
    latest_message: str = ""
    last_customer_message_at: datetime | None = None
    last_agent_reply_at: datetime | None = None
    due_at: tuple[datetime, ...] = ()  # the open SLA targets' due times
    sla_states: tuple[str, ...] = ()
    business_hours: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def hours_between(start: datetime | None, end: datetime) -> float | None:
    if start is None:
        return None
    return round((end - start).total_seconds() / SECONDS_PER_HOUR, 2)


def _earliest(times: Iterable[datetime]) -> datetime | None:
    return min(times, default=None)


def build_snapshot(facts: TicketFacts, *, now: datetime) -> dict[str, Any]:
    """The engine's snapshot of ``facts`` at ``now``: ages in hours (fractional), the hours
    until the earliest open SLA target (negative once it passed), ``sla_breached``."""
    due = _earliest(facts.due_at)
    snapshot: dict[str, Any] = {
        "subject": facts.subject,
        "description": facts.description,
        "latest_message": facts.latest_message or None,
        "status": facts.status,
        "priority": facts.priority,
        "impact": facts.impact,
        "urgency": facts.urgency,
        "type": facts.type,
        "channel": facts.channel,
        "support_level": facts.support_level,
        "department": facts.department or None,
        "team": facts.team or None,
        "help_topic": facts.help_topic or None,
        "category": facts.category or None,
        "assignee": facts.assignee,
        "requester": {"email": facts.requester_email or None, "name": facts.requester_name or None},
        "organization": {"name": facts.organization or None},
        "tags": list(facts.tags),
        "hours_since_created": hours_between(facts.created_at, now),
        "hours_since_updated": hours_between(facts.updated_at, now),
        "hours_since_customer_reply": hours_between(facts.last_customer_message_at, now),
        "hours_since_agent_reply": hours_between(facts.last_agent_reply_at, now),
        "hours_until_due": None if due is None else hours_between(now, due),
        "sla_breached": "breached" in facts.sla_states,
        "business_hours": facts.business_hours,
    }
    snapshot.update(facts.extra)
    return snapshot
