"""Notification reads: the unread count, an agent's list, a ticket's mail log."""

from __future__ import annotations

from dataclasses import dataclass

from helpline.accounts.models import User
from helpline.notifications.models import Notification, OutboundMessage
from helpline.tickets.models import Ticket

COUNT_CAP = 100


def unread_count(user: User) -> int:
    """Unread notifications of ``user``, counted up to :data:`COUNT_CAP` (one indexed query:
    the count stops at the cap however many there are)."""
    return Notification.objects.filter(user=user, read_at__isnull=True)[:COUNT_CAP].count()


def count_label(count: int) -> str:
    return f"{COUNT_CAP - 1}+" if count >= COUNT_CAP else str(count)


@dataclass
class NotificationPage:
    items: list[Notification]
    next_before: int | None


def notification_list(
    *, user: User, before: int | None = None, unread_only: bool = False, limit: int = 50
) -> NotificationPage:
    """``user``'s notifications, newest first, ``limit`` at a time (keyset on the id)."""
    rows = Notification.objects.filter(user=user).select_related("ticket").order_by("-id")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    if before is not None:
        rows = rows.filter(id__lt=before)
    items = list(rows[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return NotificationPage(items=items, next_before=items[-1].pk if more and items else None)


def ticket_outbound(ticket: Ticket, *, limit: int = 50) -> list[OutboundMessage]:
    """The newest ``limit`` mails of ``ticket`` (the delivery log agents see), newest first."""
    return list(
        OutboundMessage.objects.filter(ticket=ticket)
        .only(
            "id", "ticket_id", "event", "audience", "to", "subject", "status", "attempts",
            "last_error", "created_at", "sent_at", "next_attempt_at",
        )
        .order_by("-id")[:limit]
    )  # fmt: skip
