"""Shared steps of the SLA tests that need a database: instants, policies, ticket moves."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from helpline.audit.models import AuditEvent
from helpline.sla.models import Calendar, Policy, Target
from helpline.tickets.models import Ticket
from helpline.tickets.services import Resolution
from helpline.tickets.states import Priority

CPH = ZoneInfo("Europe/Copenhagen")
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RESOLUTION = Resolution(
    problem_identified="The VPN profile was out of date.", action_taken="Installed the new one."
)


def cph(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Copenhagen wall-clock time, aware."""
    return datetime(year, month, day, hour, minute, tzinfo=CPH)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def policy_with(
    name: str,
    *,
    first_response: int | None = 60,
    next_response: int | None = 120,
    resolution: int | None = 240,
    calendar: Calendar | None = None,
    **fields: object,
) -> Policy:
    """A policy with the same targets (minutes) for every priority, by default on a 24/7 UTC
    calendar so that business minutes are real minutes."""
    if calendar is None:
        calendar, _ = Calendar.objects.get_or_create(
            name="Round the clock",
            defaults={"timezone": "UTC", "weekly": {d: [["00:00", "24:00"]] for d in EVERY_DAY}},
        )
    policy = Policy.objects.create(name=name, calendar=calendar, **fields)
    for priority in Priority:
        Target.objects.create(
            policy=policy,
            priority=priority.value,
            first_response_minutes=first_response,
            next_response_minutes=next_response,
            resolution_minutes=resolution,
        )
    return policy


def fresh(ticket: Ticket) -> Ticket:
    ticket.refresh_from_db()
    return ticket


def audit_count(action: str, ticket: Ticket | None = None) -> int:
    events = AuditEvent.objects.filter(action=action)
    if ticket is not None:
        events = events.filter(ticket=ticket)
    return events.count()
