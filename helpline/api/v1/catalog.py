"""The service catalog as the caller may request it, and the deflection metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema

from helpline.api.v1.auth import caller
from helpline.api.v1.schemas import ERRORS
from helpline.catalog import selectors
from helpline.tickets.access import check_is_agent

router = Router(tags=["catalog"])


class RequestTypeOut(Schema):
    id: int
    name: str
    description: str
    help_topic_id: int | None
    fulfilment_hours: int | None
    extra_fields: list[dict[str, object]]
    guide_id: int | None


class ServiceOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    request_types: list[RequestTypeOut]


class ServiceList(Schema):
    items: list[ServiceOut]


class CountOut(Schema):
    id: int | None
    name: str
    count: int


class DeflectionOut(Schema):
    total: int
    by_source: dict[str, int]
    by_step: list[CountOut]
    by_article: list[CountOut]
    by_help_topic: list[CountOut]


class Period(Schema):
    since: datetime | None = None
    until: datetime | None = None


@router.get("/catalog/services", response={200: ServiceList, **ERRORS})
def service_list(request: HttpRequest) -> ServiceList:
    """The services and the request types you may start."""
    items = []
    for service in selectors.catalog_for(user=caller(request)):
        types = []
        for rt in service.offered:  # type: ignore[attr-defined]
            guide = getattr(rt, "guide", None)
            types.append(
                RequestTypeOut(
                    id=rt.pk,
                    name=rt.name,
                    description=rt.description,
                    help_topic_id=rt.help_topic_id,
                    fulfilment_hours=rt.fulfilment_hours,
                    extra_fields=list(rt.extra_fields or []),
                    guide_id=guide.pk if guide is not None and guide.is_active else None,
                )
            )
        items.append(
            ServiceOut(
                id=service.pk,
                name=service.name,
                slug=service.slug,
                description=service.description,
                request_types=types,
            )
        )
    return ServiceList(items=items)


@router.get("/metrics/deflection", response={200: DeflectionOut, **ERRORS}, tags=["metrics"])
def deflection(request: HttpRequest, period: Annotated[Period, Query()]) -> DeflectionOut:
    """Problems solved without a ticket, per guide step, article and help topic (agents)."""
    check_is_agent(caller(request), "read the metrics")
    metrics = selectors.deflection_metrics(since=period.since, until=period.until)

    def counts(rows: list[selectors.DeflectionCount]) -> list[CountOut]:
        return [CountOut(id=row.id, name=row.name, count=row.count) for row in rows]

    return DeflectionOut(
        total=metrics.total,
        by_source=metrics.by_source,
        by_step=counts(metrics.by_step),
        by_article=counts(metrics.by_article),
        by_help_topic=counts(metrics.by_help_topic),
    )
