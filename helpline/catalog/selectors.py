"""Reads of the service catalog, the intake guides and the deflection counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from helpline.catalog.intake import StepNode
from helpline.catalog.models import Deflection, Guide, GuideStep, RequestType, Service
from helpline.core.errors import NotFound


def requestable_filter(user: Any) -> Q:
    """A Q (on RequestType) of what ``user`` may request: active types open to everyone or to
    the user's organization. Agents see the whole catalog."""
    active = Q(is_active=True, service__is_active=True)
    if user is not None and user.is_authenticated and user.is_agent:
        return active
    restricted = Exists(
        RequestType.organizations.through.objects.filter(requesttype=OuterRef("pk"))
    )
    open_to_all = ~Q(restricted)
    org_id = getattr(user, "organization_id", None) if user is not None else None
    if org_id is None:
        return active & open_to_all
    mine = Exists(
        RequestType.organizations.through.objects.filter(
            requesttype=OuterRef("pk"), organization_id=org_id
        )
    )
    return active & (open_to_all | Q(mine))


def catalog_for(*, user: Any) -> list[Service]:
    """Active services with the request types ``user`` may start (``.offered``). Two queries."""
    offered = (
        RequestType.objects.filter(requestable_filter(user))
        .select_related("help_topic", "guide")
        .order_by("order", "name")
    )
    services = Service.objects.filter(is_active=True).prefetch_related(
        Prefetch("request_types", queryset=offered, to_attr="offered")
    )
    return [service for service in services if service.offered]  # type: ignore[attr-defined]


def request_type_get(*, user: Any, pk: int) -> RequestType:
    found = (
        RequestType.objects.filter(requestable_filter(user), pk=pk)
        .select_related("service", "help_topic")
        .first()
    )
    if found is None:
        raise NotFound("no such request type")
    return found


def guide_get(*, pk: int) -> Guide:
    """An active guide with its steps in order (``guide.step_list``) and their articles."""
    guide = (
        Guide.objects.filter(pk=pk, is_active=True)
        .select_related("help_topic", "request_type")
        .first()
    )
    if guide is None:
        raise NotFound("no such guide")
    guide.step_list = list(  # type: ignore[attr-defined]
        GuideStep.objects.filter(guide=guide).select_related("article").order_by("order", "id")
    )
    return guide


def step_nodes(guide: Guide) -> list[StepNode]:
    return [
        StepNode(id=s.pk, kind=s.kind, text=s.text, on_yes=s.on_yes_id, on_no=s.on_no_id)
        for s in guide.step_list  # type: ignore[attr-defined]
    ]


def guides_by_topic() -> dict[int, Guide]:
    """Active guides of public help topics, by help topic id (one query)."""
    guides = Guide.objects.filter(
        is_active=True, help_topic__isnull=False, help_topic__is_public=True
    ).select_related("help_topic")
    return {guide.help_topic_id: guide for guide in guides if guide.help_topic_id}


@dataclass(frozen=True, slots=True)
class DeflectionCount:
    id: int | None
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class DeflectionMetrics:
    total: int
    by_step: list[DeflectionCount]
    by_article: list[DeflectionCount]
    by_help_topic: list[DeflectionCount]
    by_source: dict[str, int]


def _counts(rows: QuerySet[Any, Any], key: str, name: str) -> list[DeflectionCount]:
    return [
        DeflectionCount(id=row[key], name=row[name] or "", count=row["n"])
        for row in rows.exclude(**{f"{key}__isnull": True})
        .values(key, name)
        .annotate(n=Count("id"))
        .order_by("-n", key)
    ]


def deflection_metrics(
    *, since: datetime | None = None, until: datetime | None = None
) -> DeflectionMetrics:
    """Deflections counted per guide step, article, help topic and source. Five queries."""
    rows = Deflection.objects.all()
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    by_source = {row["source"]: row["n"] for row in rows.values("source").annotate(n=Count("id"))}
    return DeflectionMetrics(
        total=sum(by_source.values()),
        by_step=_counts(rows, "step_id", "step__text"),
        by_article=_counts(rows, "article_id", "article__title"),
        by_help_topic=_counts(rows, "help_topic_id", "help_topic__name"),
        by_source=by_source,
    )
