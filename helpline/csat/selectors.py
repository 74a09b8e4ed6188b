"""Reads for CSAT: the settings, a ticket's current survey, a survey by its link token."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from helpline.csat.models import CsatSettings, Survey
from helpline.csat.scale import Scale
from helpline.tickets.models import EntryKind, ThreadEntry, Ticket
from helpline.tickets.states import Status


def csat_settings() -> CsatSettings:
    """The settings row, created with the defaults on first use."""
    row, _ = CsatSettings.objects.get_or_create(pk=1)
    return row


def current_survey(*, ticket: Ticket | int) -> Survey | None:
    """The ticket's survey that can still be answered or shows its answer; older ones were
    superseded by a later resolution."""
    ticket_id = ticket if isinstance(ticket, int) else ticket.pk
    return (
        Survey.objects.filter(ticket_id=ticket_id, superseded_at__isnull=True)
        .select_related("agent", "department")
        .first()
    )


def survey_by_token(raw: str) -> Survey | None:
    if not raw or len(raw) > 200:
        return None
    return (
        Survey.objects.filter(token_hash=Survey.hash(raw))
        .select_related("ticket", "agent", "department")
        .first()
    )


# --- reports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsatRow:
    """Ratings of one agent or department (``key`` is its id, ``name`` its name)."""

    key: int | None
    name: str
    count: int
    average: float | None  # of the 1-5 ratings only
    satisfied_rate: float | None  # satisfied / rated, on either scale
    low_count: int


@dataclass(frozen=True)
class FcrRow:
    key: int | None
    name: str
    resolved: int
    first_contact: int

    @property
    def rate(self) -> float | None:
        return round(self.first_contact / self.resolved, 4) if self.resolved else None


def _scoped(queryset: QuerySet[Any], field: str, department_ids: Iterable[int] | None) -> Any:
    if department_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": list(department_ids)})


_STATS = {
    "n": Count("id"),
    "avg": Avg("rating", filter=Q(scale=Scale.FIVE.value)),
    "happy": Count("id", filter=Q(satisfied=True)),
    "low_n": Count("id", filter=Q(low=True)),
}


def _csat_row(key: int | None, name: str, stats: dict[str, Any]) -> CsatRow:
    n = stats["n"] or 0
    avg = stats["avg"]
    return CsatRow(
        key=key,
        name=name,
        count=n,
        average=round(float(avg), 2) if avg is not None else None,
        satisfied_rate=round(stats["happy"] / n, 4) if n else None,
        low_count=stats["low_n"] or 0,
    )


def csat_report(
    *, start: datetime, end: datetime, department_ids: Iterable[int] | None
) -> dict[str, Any]:
    """Ratings given in [start, end), overall, per agent and per department (three queries).
    ``department_ids`` None means every department."""
    rated = _scoped(
        Survey.objects.filter(rated_at__gte=start, rated_at__lt=end),
        "department_id",
        department_ids,
    )
    overall = _csat_row(None, "all", rated.aggregate(**_STATS))
    by_agent = (
        rated.order_by()
        .values("agent_id", "agent__name", "agent__email")
        .annotate(**_STATS)
        .order_by("agent__name", "agent_id")
    )
    by_department = (
        rated.order_by()
        .values("department_id", "department__name")
        .annotate(**_STATS)
        .order_by("department__name")
    )
    return {
        "overall": overall,
        "agents": [
            _csat_row(r["agent_id"], r["agent__name"] or r["agent__email"] or "nobody", r)
            for r in by_agent
        ],
        "departments": [
            _csat_row(r["department_id"], r["department__name"], r) for r in by_department
        ],
    }


def fcr_report(
    *, start: datetime, end: datetime, department_ids: Iterable[int] | None
) -> dict[str, Any]:
    """First-contact resolution of the tickets resolved in [start, end) and not reopened
    since: resolved with exactly one agent reply and never reopened (two queries)."""
    replies = (
        ThreadEntry.objects.filter(ticket=OuterRef("pk"), kind=EntryKind.REPLY)
        .order_by()
        .values("ticket")
        .annotate(n=Count("id"))
        .values("n")
    )
    resolved = _scoped(
        Ticket.objects.filter(
            status__in=[Status.RESOLVED, Status.CLOSED],
            resolved_at__gte=start,
            resolved_at__lt=end,
        ),
        "department_id",
        department_ids,
    ).annotate(replies=Coalesce(Subquery(replies, output_field=IntegerField()), 0))
    stats = {
        "total": Count("id"),
        "first": Count("id", filter=Q(replies=1, reopen_count=0)),
    }
    overall = resolved.order_by().aggregate(**stats)
    by_department = (
        resolved.order_by()
        .values("department_id", "department__name")
        .annotate(**stats)
        .order_by("department__name")
    )
    return {
        "overall": FcrRow(None, "all", overall["total"] or 0, overall["first"] or 0),
        "departments": [
            FcrRow(r["department_id"], r["department__name"], r["total"], r["first"])
            for r in by_department
        ],
    }
