"""Webhook writes: queue deliveries for ticket changes, post them signed, retry with backoff.

Nothing here posts from a request: deliveries are created after the change commits and sent
by a task or by the worker's retry sweep.
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F

from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.configcache import ConfigCache
from helpline.core.errors import NotFound, PermissionDenied, ValidationFailed
from helpline.core.tasks_backend import enqueue_on_commit
from helpline.notifications.backoff import retry_delay
from helpline.tickets.models import EntryKind, ThreadEntry, Ticket
from helpline.tickets.signals import TicketChange
from helpline.webhooks import signing
from helpline.webhooks.models import Delivery, DeliveryStatus, Webhook, WebhookEvent

log = logging.getLogger(__name__)
RETRYABLE = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)
LEASE = timedelta(minutes=5)
BATCH = 200
MAX_RESPONSE_BYTES = 2000
SUBSCRIBABLE = [e.value for e in WebhookEvent if e is not WebhookEvent.RULE]


def webhook_check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL; ValidationFailed otherwise."""
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationFailed(
            "the URL must be an absolute http:// or https:// address", fields={"url": "invalid"}
        ) from None
    return url


def webhook_check_events(events: Any) -> list[str]:
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise ValidationFailed("events must be a list of event names", fields={"events": "list"})
    unknown = sorted(set(events) - set(SUBSCRIBABLE))
    if unknown:
        raise ValidationFailed(
            f"unknown events: {', '.join(unknown)}; choose from {', '.join(SUBSCRIBABLE)}",
            fields={"events": "unknown"},
        )
    return sorted(set(events))


# --- configuration (admins) ----------------------------------------------------------------

WEBHOOK_FIELDS = ("name", "url", "events", "include_internal", "enabled")


def _check_admin(actor: Any) -> None:
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied("only admins can configure webhooks")


def _webhook_values(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - {*WEBHOOK_FIELDS, "secret"}
    if unknown:
        raise ValidationFailed(f"unknown fields: {', '.join(sorted(unknown))}")
    clean = dict(values)
    if "url" in clean:
        clean["url"] = webhook_check_url(clean["url"])
    if "events" in clean:
        clean["events"] = webhook_check_events(clean["events"])
    if "name" in clean and not str(clean["name"]).strip():
        raise ValidationFailed("a webhook needs a name", fields={"name": "required"})
    if "secret" in clean and len(str(clean["secret"])) < 16:
        raise ValidationFailed("the secret needs 16 characters or more", fields={"secret": "short"})
    return clean


def webhook_create(*, actor: Any, **values: Any) -> Webhook:
    """A new endpoint (url, events, name; optionally secret, include_internal, enabled)."""
    _check_admin(actor)
    values = _webhook_values(values)
    for required in ("name", "url"):
        if required not in values:
            raise ValidationFailed(f"{required} is required", fields={required: "required"})
    with transaction.atomic():
        hook = Webhook.objects.create(**values)
        audit_record(
            actor=actor,
            action="webhook.create",
            obj=hook,
            after={name: getattr(hook, name) for name in WEBHOOK_FIELDS},
        )
    return hook


def webhook_update(*, actor: Any, webhook: Webhook, changes: dict[str, Any]) -> Webhook:
    _check_admin(actor)
    values = _webhook_values(changes)
    if not values:
        raise ValidationFailed("nothing to change: send at least one field")
    with transaction.atomic():
        hook = Webhook.objects.select_for_update().get(pk=webhook.pk)
        before = {name: getattr(hook, name) for name in values if name != "secret"}
        for name, value in values.items():
            setattr(hook, name, value)
        hook.save()
        after = {name: getattr(hook, name) for name in values if name != "secret"}
        if "secret" in values:
            before["secret"], after["secret"] = "(old)", "(new)"
        audit_record(actor=actor, action="webhook.update", obj=hook, before=before, after=after)
    return hook


def webhook_delete(*, actor: Any, webhook: Webhook) -> None:
    _check_admin(actor)
    with transaction.atomic():
        audit_record(actor=actor, action="webhook.delete", obj=webhook)
        webhook.delete()


# --- payloads -----------------------------------------------------------------------------


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "support_level": ticket.support_level,
        "channel": ticket.channel,
        "department": ticket.department.name if ticket.department_id else None,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "requester": ticket.requester.email,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "url": f"{settings.SITE_URL}/tickets/{ticket.number}/",
    }


def _entry(entry: ThreadEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "internal": entry.kind == EntryKind.NOTE,
        "author": entry.author.email if entry.author else None,
        "body": entry.body,
        "created_at": entry.created_at,
    }


def _payload(
    event: str, ticket: Ticket, *, action: str, changes: dict[str, Any], entry: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": event,
        "action": action,
        "occurred_at": clock.now(),
        "ticket": ticket_summary(ticket),
        "changes": changes,
    }
    if entry is not None:
        payload["entry"] = _entry(entry)
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def _delivery(webhook: Webhook, ticket: Ticket, event: str, payload: dict[str, Any]) -> Delivery:
    now = clock.now()
    return Delivery(
        webhook=webhook,
        ticket=ticket,
        event=event,
        payload=payload,
        created_at=now,
        next_attempt_at=now,
    )


def _queue(webhook: Webhook, ticket: Ticket, event: str, payload: dict[str, Any]) -> Delivery:
    delivery = _delivery(webhook, ticket, event, payload)
    delivery.save(force_insert=True)
    return delivery


def _send_after_commit(deliveries: list[Delivery]) -> None:
    from helpline.webhooks.tasks import deliver_webhook

    for delivery in deliveries:
        enqueue_on_commit(deliver_webhook, delivery_id=delivery.pk)


def _load_enabled_webhooks() -> list[Webhook]:
    return list(Webhook.objects.filter(enabled=True).order_by("id"))


_enabled_webhooks = ConfigCache("webhooks", _load_enabled_webhooks, models=[Webhook])


def enabled_webhooks() -> list[Webhook]:
    """The enabled webhooks (cached configuration: read, do not change them; see
    ``helpline.core.configcache``)."""
    return _enabled_webhooks.get()


def deliveries_for_change(change: TicketChange) -> list[Delivery]:
    """Queue a delivery to every enabled webhook subscribed to what ``change`` is, and enqueue
    the sending. An internal note goes only to webhooks marked internal."""
    return deliveries_for_changes([change])


def deliveries_for_changes(changes: Sequence[TicketChange]) -> list[Delivery]:
    """:func:`deliveries_for_change` for many changes (one commit's, e.g. an SLA sweep batch):
    the enabled webhooks, the tickets and the entries are each read once, and the deliveries
    written with one INSERT. No enabled webhook: no query at all (they are cached)."""
    hooks = enabled_webhooks()
    if not hooks:
        return []
    wanted = [(change, _hooks_for(change, hooks)) for change in changes]
    wanted = [(change, subscribed) for change, subscribed in wanted if subscribed]
    if not wanted:
        return []
    tickets = Ticket.objects.select_related("department", "assignee", "requester").in_bulk(
        {change.ticket_id for change, _ in wanted}
    )
    entries = ThreadEntry.objects.select_related("author").in_bulk(
        {change.entry_id for change, _ in wanted if change.entry_id is not None}
    )
    deliveries = []
    for change, subscribed in wanted:
        ticket = tickets.get(change.ticket_id)
        if ticket is None:  # deleted since
            continue
        entry = entries.get(change.entry_id) if change.entry_id is not None else None
        deliveries += _deliveries(change, subscribed, ticket, entry)
    with transaction.atomic():
        deliveries = Delivery.objects.bulk_create(deliveries)
        _send_after_commit(deliveries)
    return deliveries


def _hooks_for(change: TicketChange, hooks: list[Webhook]) -> list[tuple[Webhook, list[str]]]:
    """The webhooks ``change`` goes to, each with the events it subscribed to among the
    change's (in order). An internal note goes only to webhooks marked internal."""
    events, internal = signing.change_events(change.action, change.changes)
    return [
        (hook, sorted(set(hook.events) & events))
        for hook in hooks
        if set(hook.events) & events and (hook.include_internal or not internal)
    ]


def _deliveries(
    change: TicketChange,
    subscribed: list[tuple[Webhook, list[str]]],
    ticket: Ticket,
    entry: ThreadEntry | None,
) -> list[Delivery]:
    deliveries = []
    for hook, events in subscribed:
        if entry is not None and entry.kind == EntryKind.NOTE and not hook.include_internal:
            continue  # belt and braces: never a note to an outside endpoint
        for event in events:
            payload = _payload(
                event, ticket, action=change.action, changes=change.changes, entry=entry
            )
            deliveries.append(_delivery(hook, ticket, event, payload))
    return deliveries


def webhook_fire(
    *, webhook_id: int, ticket: Ticket, event: str = WebhookEvent.RULE, data: Any = None
) -> Delivery:
    """Queue one delivery of ``ticket`` to webhook ``webhook_id`` (an automation rule's
    action), sent after the caller's transaction commits. ``data``, if given, is added to
    the payload as ``data``."""
    hook = Webhook.objects.filter(pk=webhook_id, enabled=True).first()
    if hook is None:
        raise NotFound("no such enabled webhook")
    payload = _payload(event, ticket, action="", changes={}, entry=None)
    if data is not None:
        payload["data"] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    delivery = _queue(hook, ticket, event, payload)
    _send_after_commit([delivery])
    return delivery


def webhook_call(
    *, ticket: Ticket, url: str, method: str = "POST", payload: str | None = None
) -> Delivery:
    """A rule's "call a webhook" by URL: the URL must be an enabled webhook an admin defined
    (so rules cannot post tickets to arbitrary addresses, and every call is signed).
    ``payload`` (JSON or text) is sent as ``data``."""
    if method.upper() != "POST":
        raise ValidationFailed("webhooks are called with POST", fields={"method": "POST only"})
    hook = Webhook.objects.filter(url=webhook_check_url(url), enabled=True).first()
    if hook is None:
        raise NotFound("no enabled webhook has that URL; an admin adds it under Webhooks")
    data: Any = None
    if payload:
        try:
            data = json.loads(payload)
        except ValueError:
            data = payload
    return webhook_fire(webhook_id=hook.pk, ticket=ticket, data=data)


# --- sending ------------------------------------------------------------------------------


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST ``body``; (status, start of the answer). Separate connect and read timeouts."""
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    assert parts.hostname
    connection = connection_class(
        parts.hostname, parts.port, timeout=settings.HELPLINE_WEBHOOK_CONNECT_TIMEOUT
    )
    try:
        connection.connect()
        assert connection.sock is not None
        connection.sock.settimeout(settings.HELPLINE_WEBHOOK_READ_TIMEOUT)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace")
        return response.status, answer
    finally:
        connection.close()


def _claim(pk: int, now: datetime) -> Delivery | None:
    """Take delivery ``pk`` for one attempt if due (conditional UPDATE: one worker wins)."""
    claimed = Delivery.objects.filter(pk=pk, status__in=RETRYABLE, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + LEASE
    )
    if claimed != 1:
        return None
    return Delivery.objects.select_related("webhook").get(pk=pk)


def delivery_attempt(pk: int, *, now: datetime | None = None) -> bool:
    """Post delivery ``pk`` once if it is due; True on a 2xx answer. Anything else is logged
    on the delivery and retried with backoff until the attempts are used up."""
    now = now or clock.now()
    delivery = _claim(pk, now)
    if delivery is None:
        return False
    hook = delivery.webhook
    body = json.dumps({**delivery.payload, "delivery_id": delivery.pk}).encode()
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Helpline-Webhooks/1",
        signing.SIGNATURE_HEADER: signing.sign(hook.secret, timestamp, body),
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.EVENT_HEADER: delivery.event,
        signing.DELIVERY_HEADER: str(delivery.pk),
    }
    code: int | None = None
    answer = ""
    error = ""
    try:
        code, answer = _post(hook.url, body, headers)
    except Exception as failure:  # refused, timed out, TLS, DNS: all retried
        error = f"{type(failure).__name__}: {failure}"
    delivery.response_code = code
    delivery.response_body = answer
    if code is not None and 200 <= code < 300:
        delivery.status = DeliveryStatus.SENT
        delivery.delivered_at = clock.now()
        delivery.next_attempt_at = None
        delivery.last_error = ""
    else:
        _schedule_retry(delivery, error or f"HTTP {code}", now)
    delivery.save(
        update_fields=[
            "status", "next_attempt_at", "response_code", "response_body", "last_error",
            "delivered_at",
        ]
    )  # fmt: skip
    return delivery.status == DeliveryStatus.SENT


def _schedule_retry(delivery: Delivery, error: str, now: datetime) -> None:
    delay = retry_delay(delivery.attempts, settings.HELPLINE_WEBHOOK_MAX_ATTEMPTS)
    delivery.last_error = error[:2000]
    if delay is None:
        delivery.status = DeliveryStatus.DEAD
        delivery.next_attempt_at = None
        log.error("webhook delivery %s to %s given up: %s", delivery.pk, delivery.webhook, error)
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = now + delay
        log.warning("webhook delivery %s failed (attempt %s): %s", delivery.pk,
                    delivery.attempts, error)  # fmt: skip


def delivery_retry_due(*, now: datetime | None = None) -> int:
    """Attempt every delivery whose time has come (the worker's sweep); returns how many
    were delivered."""
    now = now or clock.now()
    due = list(
        Delivery.objects.filter(status__in=RETRYABLE, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(1 for pk in due if delivery_attempt(pk, now=now))
