"""Reads for time tracking. Callers have checked that the user may see the ticket."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Sum

from helpline.accounts.models import User
from helpline.tickets.models import EntryKind, ThreadEntry, Ticket
from helpline.timetrack import cost
from helpline.timetrack.models import ActivityType, AgentRate, LevelRate, TimeEntry, Timer


@dataclass(frozen=True)
class Totals:
    minutes: int
    cost: Decimal


def time_entries(*, ticket: Ticket) -> list[TimeEntry]:
    """The ticket's time entries, oldest work first (one query)."""
    return list(
        TimeEntry.objects.filter(ticket=ticket)
        .select_related("agent", "activity")
        .order_by("work_date", "id")
    )


def totals(entries: list[TimeEntry]) -> Totals:
    return Totals(
        minutes=sum(e.minutes for e in entries),
        cost=sum((e.cost for e in entries), Decimal("0.00")),
    )


def activity_types() -> list[ActivityType]:
    return list(ActivityType.objects.filter(is_active=True).order_by("order", "name"))


def hourly_rate(agent: User) -> Decimal:
    """What an hour of ``agent``'s work costs now: their own rate, else their level's."""
    agent_rate = AgentRate.objects.filter(agent=agent).values_list("hourly_rate", flat=True)
    level_rate = None
    if agent.support_level is not None:
        level_rate = (
            LevelRate.objects.filter(support_level=agent.support_level)
            .values_list("hourly_rate", flat=True)
            .first()
        )
    return cost.pick_rate(agent_rate=agent_rate.first(), level_rate=level_rate)


def running_timer(*, agent: User, ticket: Ticket) -> Timer | None:
    return Timer.objects.filter(agent=agent, ticket=ticket).first()


def untimed_reply(*, agent: User, ticket: Ticket) -> ThreadEntry | None:
    """The agent's latest reply on the ticket, if no time was logged for it yet."""
    latest = (
        ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.REPLY, author=agent)
        .annotate(timed=Exists(TimeEntry.objects.filter(entry=OuterRef("pk"))))
        .order_by("-id")
        .first()
    )
    if latest is None or latest.timed:  # type: ignore[attr-defined]
        return None
    return latest


@dataclass(frozen=True)
class CostRow:
    key: int | None
    name: str
    tickets: int
    minutes: int
    cost: Decimal

    @property
    def cost_per_ticket(self) -> Decimal:
        if not self.tickets:
            return Decimal("0.00")
        return (self.cost / self.tickets).quantize(cost.CENT)


def cost_report(
    *, since: date, until: date, department_ids: Iterable[int] | None
) -> dict[str, Any]:
    """Time and cost of the work done from ``since`` to ``until`` (inclusive work dates),
    per department (the ticket's department when the time was logged), two queries."""
    entries = TimeEntry.objects.filter(work_date__gte=since, work_date__lte=until)
    if department_ids is not None:
        entries = entries.filter(department_id__in=list(department_ids))
    stats = {
        "n": Count("ticket_id", distinct=True),
        "mins": Sum("minutes"),
        "total": Sum("cost"),
    }
    overall = entries.order_by().aggregate(**stats)
    rows = (
        entries.order_by()
        .values("department_id", "department__name")
        .annotate(**stats)
        .order_by("department__name")
    )

    def row(key: int | None, name: str, r: Any) -> CostRow:
        return CostRow(
            key=key,
            name=name,
            tickets=r["n"] or 0,
            minutes=r["mins"] or 0,
            cost=Decimal(r["total"] or 0).quantize(cost.CENT),
        )

    return {
        "overall": row(None, "all", overall),
        "departments": [row(r["department_id"], r["department__name"], r) for r in rows],
    }
