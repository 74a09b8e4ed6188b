"""Mail out for ticket events, run by the worker after the change commits."""

from __future__ import annotations

from django.tasks import task

from helpline.notifications import services


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
