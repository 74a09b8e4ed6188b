"""Webhook endpoints and their delivery log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool

from helpline.api.v1.auth import caller
from helpline.api.v1.schemas import ERRORS, MAX_ID, In, QueryId, Text
from helpline.core.errors import NotFound, PermissionDenied
from helpline.webhooks import services
from helpline.webhooks.models import Delivery, Webhook

router = Router(tags=["webhooks"])


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    include_internal: bool
    enabled: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown once: verify X-Helpline-Signature with it.")


class WebhookList(Schema):
    items: list[WebhookOut]


class WebhookIn(In):
    name: Text
    url: Text
    events: list[Text] = []
    include_internal: StrictBool = False
    enabled: StrictBool = True
    secret: Text | None = None


class WebhookPatch(In):
    name: Text | None = None
    url: Text | None = None
    events: list[Text] | None = None
    include_internal: StrictBool | None = None
    enabled: StrictBool | None = None
    secret: Text | None = None


class DeliveryOut(Schema):
    id: int
    event: str
    ticket_id: int | None
    status: str
    attempts: int
    response_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None


class DeliveryList(Schema):
    items: list[DeliveryOut]


class DeliveryFilter(Schema):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    before: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


def _admin(request: HttpRequest) -> Any:
    user = caller(request)
    if not user.is_admin:
        raise PermissionDenied("only admins can configure webhooks")
    return user


def _webhook(webhook_id: int) -> Webhook:
    hook = Webhook.objects.filter(pk=webhook_id).first()
    if hook is None:
        raise NotFound("no such webhook")
    return hook


def _out(hook: Webhook) -> WebhookOut:
    return WebhookOut(
        id=hook.pk,
        name=hook.name,
        url=hook.url,
        events=hook.events,
        include_internal=hook.include_internal,
        enabled=hook.enabled,
        created_at=hook.created_at,
    )


@router.get("/webhooks", response={200: WebhookList, **ERRORS})
def webhook_list(request: HttpRequest) -> WebhookList:
    _admin(request)
    return WebhookList(items=[_out(hook) for hook in Webhook.objects.order_by("name", "id")])


@router.post("/webhooks", response={201: WebhookCreated, **ERRORS})
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Status[WebhookCreated]:
    """A new endpoint. URLs must be http(s); events from: ticket.created, ticket.updated,
    ticket.status_changed, ticket.message_added, ticket.sla_breached."""
    user = _admin(request)
    hook = services.webhook_create(actor=user, **payload.model_dump(exclude_none=True))
    return Status(201, WebhookCreated(**_out(hook).model_dump(), secret=hook.secret))


@router.patch("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS})
def webhook_update(request: HttpRequest, webhook_id: QueryId, payload: WebhookPatch) -> WebhookOut:
    user = _admin(request)
    hook = services.webhook_update(
        actor=user, webhook=_webhook(webhook_id), changes=payload.model_dump(exclude_none=True)
    )
    return _out(hook)


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS})
def webhook_delete(request: HttpRequest, webhook_id: QueryId) -> Status[None]:
    user = _admin(request)
    services.webhook_delete(actor=user, webhook=_webhook(webhook_id))
    return Status(204, None)


@router.get("/webhooks/{webhook_id}/deliveries", response={200: DeliveryList, **ERRORS})
def delivery_list(
    request: HttpRequest, webhook_id: QueryId, filters: Query[DeliveryFilter]
) -> DeliveryList:
    """The delivery log, newest first, with each answer's status code."""
    _admin(request)
    rows = Delivery.objects.filter(webhook=_webhook(webhook_id)).order_by("-id")
    if filters.before is not None:
        rows = rows.filter(id__lt=filters.before)
    return DeliveryList(
        items=[
            DeliveryOut(
                id=d.pk,
                event=d.event,
                ticket_id=d.ticket_id,
                status=d.status,
                attempts=d.attempts,
                response_code=d.response_code,
                last_error=d.last_error,
                created_at=d.created_at,
                delivered_at=d.delivered_at,
                next_attempt_at=d.next_attempt_at,
            )
            for d in rows.defer("payload", "response_body")[: filters.limit]
        ]
    )
