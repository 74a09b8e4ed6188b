"""Mail out for ticket events, run by the worker after the change commits."""

from __future__ import annotations

import logging
from typing import Any

from django.tasks import task

from helpline.notifications import services

log = logging.getLogger(__name__)


@task()
def send_ticket_notification(
    event: str,
    ticket_id: int,
    entry_id: int | None = None,
    user_id: int | None = None,
    detail: str = "",
) -> int:
    """Render, store and send the mail for one ticket event; returns how many messages went
    out (a failed one stays in the outbox and the worker's sweep retries it)."""
    return services.notification_send(
        event=event, ticket_id=ticket_id, entry_id=entry_id, user_id=user_id, detail=detail
    )


@task()
def deliver_outbound(message_id: int) -> bool:
    """One attempt at sending an outbox message (if it is still due)."""
    return services.outbound_deliver(message_id)


@task()
def send_ticket_notifications(items: list[list[Any]]) -> int:
    """:func:`send_ticket_notification` for many ``[event, ticket_id, detail]`` or
    ``[event, ticket_id, detail, user_id]`` items in one task (the SLA sweep's batch, a new
    ticket and its assignment). One failing item is logged and does not stop the others;
    returns how many messages went out."""
    sent = 0
    tickets: dict[int, Any] = {}  # each ticket read once for all its events
    for event, ticket_id, detail, *user in items:
        try:
            sent += services.notification_send(
                event=event,
                ticket_id=ticket_id,
                detail=detail,
                user_id=user[0] if user else None,
                tickets=tickets,
            )
        except Exception:
            log.exception("notification %s for ticket id %s failed", event, ticket_id)
    return sent
