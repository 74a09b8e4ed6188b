"""Desk metrics: CSAT with first-contact resolution, and cost per ticket.

Agents see the departments they are members of, admins every department; customers get 403.
Dates are UTC calendar days, both ends included; the default is the last 30 days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from helpline.accounts.models import User
from helpline.api.v1.auth import caller
from helpline.api.v1.schemas import ERRORS, QueryId, Ref
from helpline.core import clock
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.csat import selectors as csat_selectors
from helpline.tickets import access
from helpline.timetrack import selectors as time_selectors

router = Router(tags=["metrics"])

DEFAULT_DAYS = 30
MAX_DAYS = 366

Since = Annotated[date | None, Query(description="First day (UTC), default 30 days ago.")]
Until = Annotated[date | None, Query(description="Last day (UTC), default today.")]


class CsatStats(Schema):
    count: int
    average: float | None = Field(description="Mean of the 1-5 ratings; null if none.")
    satisfied_rate: float | None = Field(description="Share of satisfied ratings (4-5, good).")
    low_count: int


class AgentCsat(CsatStats):
    agent: Ref | None


class DepartmentCsat(CsatStats):
    department: Ref


class Fcr(Schema):
    resolved: int = Field(description="Tickets resolved in the range (still resolved/closed).")
    first_contact: int = Field(description="Of those: exactly one agent reply, never reopened.")
    rate: float | None


class DepartmentFcr(Fcr):
    department: Ref


class CsatMetricsOut(Schema):
    since: date
    until: date
    overall: CsatStats
    agents: list[AgentCsat]
    departments: list[DepartmentCsat]
    first_contact_resolution: Fcr
    first_contact_resolution_by_department: list[DepartmentFcr]


class CostStats(Schema):
    tickets: int
    minutes: int
    cost: Decimal
    cost_per_ticket: Decimal


class DepartmentCost(CostStats):
    department: Ref


class CostMetricsOut(Schema):
    since: date
    until: date
    overall: CostStats
    departments: list[DepartmentCost]


def date_range(since: date | None, until: date | None) -> tuple[date, date]:
    until = until or clock.now().date()
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise ValidationFailed("since must not be after until", fields={"since": "after until"})
    if (until - since).days >= MAX_DAYS:
        raise ValidationFailed(
            f"at most {MAX_DAYS} days at once", fields={"since": f"range over {MAX_DAYS} days"}
        )
    return since, until


def department_scope(user: User, department_id: int | None) -> list[int] | None:
    """The departments ``user`` may report on (None: all), narrowed to ``department_id``."""
    if not user.is_agent:
        raise PermissionDenied("metrics are for the support team")
    if user.is_admin:
        return None if department_id is None else [department_id]
    mine = access.member_department_ids(user)
    if department_id is None:
        return sorted(mine)
    if department_id not in mine:
        raise PermissionDenied("you can only see the metrics of your own departments")
    return [department_id]


def _bounds(since: date, until: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(since, time.min, tzinfo=UTC),
        datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC),
    )


def _stats(row: csat_selectors.CsatRow) -> dict[str, Any]:
    return {
        "count": row.count,
        "average": row.average,
        "satisfied_rate": row.satisfied_rate,
        "low_count": row.low_count,
    }


@router.get("/metrics/csat", response={200: CsatMetricsOut, **ERRORS})
def csat_metrics(
    request: HttpRequest,
    since: Since = None,
    until: Until = None,
    department_id: QueryId | None = None,
) -> CsatMetricsOut:
    """Ratings given in the range, per agent (at resolution) and department, and the
    first-contact resolution rate of the tickets resolved in it."""
    user = caller(request)
    scope = department_scope(user, department_id)
    since, until = date_range(since, until)
    start, end = _bounds(since, until)
    csat = csat_selectors.csat_report(start=start, end=end, department_ids=scope)
    fcr = csat_selectors.fcr_report(start=start, end=end, department_ids=scope)
    return CsatMetricsOut(
        since=since,
        until=until,
        overall=CsatStats(**_stats(csat["overall"])),
        agents=[
            AgentCsat(
                agent=Ref(id=row.key, name=row.name) if row.key is not None else None,
                **_stats(row),
            )
            for row in csat["agents"]
        ],
        departments=[
            DepartmentCsat(department=Ref(id=row.key, name=row.name), **_stats(row))
            for row in csat["departments"]
        ],
        first_contact_resolution=Fcr(
            resolved=fcr["overall"].resolved,
            first_contact=fcr["overall"].first_contact,
            rate=fcr["overall"].rate,
        ),
        first_contact_resolution_by_department=[
            DepartmentFcr(
                department=Ref(id=row.key, name=row.name),
                resolved=row.resolved,
                first_contact=row.first_contact,
                rate=row.rate,
            )
            for row in fcr["departments"]
        ],
    )


def _cost(row: time_selectors.CostRow) -> dict[str, Any]:
    return {
        "tickets": row.tickets,
        "minutes": row.minutes,
        "cost": row.cost,
        "cost_per_ticket": row.cost_per_ticket,
    }


@router.get("/metrics/cost", response={200: CostMetricsOut, **ERRORS})
def cost_metrics(
    request: HttpRequest,
    since: Since = None,
    until: Until = None,
    department_id: QueryId | None = None,
) -> CostMetricsOut:
    """Time logged with work dates in the range, its cost, and the cost per ticket worked,
    per department."""
    user = caller(request)
    scope = department_scope(user, department_id)
    since, until = date_range(since, until)
    report = time_selectors.cost_report(since=since, until=until, department_ids=scope)
    return CostMetricsOut(
        since=since,
        until=until,
        overall=CostStats(**_cost(report["overall"])),
        departments=[
            DepartmentCost(department=Ref(id=row.key, name=row.name), **_cost(row))
            for row in report["departments"]
        ],
    )
