"""Signals for every committed ticket change, for the parts that react to them.

``audit_record`` (one event) and ``audit_record_many`` (a batch job's events) send them after
the transaction that wrote the audit events commits, so automation rules, webhooks, CSAT and
the like see every change exactly once and never one that was rolled back. Two signals, sent
for the same changes:

- :data:`ticket_changes`, once per commit with ``changes``, a list of :class:`TicketChange`
  (one for ``audit_record``, the whole batch for ``audit_record_many``). Receivers that read
  configuration (enabled webhooks, active rules) connect here, so they read it once per batch
  rather than once per change.
- :data:`ticket_changed`, once per change with ``change``, for receivers that need no more.

Receivers are called with ``send_robust``: one failing receiver is logged and does not stop
the others. Receivers must be quick; anything slow (HTTP, mail) is enqueued as a task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

ticket_changes = Signal()
ticket_changed = Signal()


@dataclass(frozen=True, slots=True)
class TicketChange:
    """What happened, as the audit log recorded it.

    ``action`` is the audit action (``ticket.create``, ``ticket.reply``,
    ``ticket.customer_message``, ``ticket.note``, ``ticket.update``, ``ticket.resolve``,
    ``ticket.sla_breached`` ...); ``changes`` is ``{field: [before, after]}``.
    ``entry_id`` names the thread entry the change added, if any.
    """

    audit_event_id: int
    action: str
    ticket_id: int
    actor_id: int | None
    changes: dict[str, list[Any]] = field(default_factory=dict)
    note: str = ""
    entry_id: int | None = None


def send_on_commit(change: TicketChange) -> None:
    """Send ``change`` once the current transaction commits."""
    send_many_on_commit([change])


def send_many_on_commit(changes: Sequence[TicketChange]) -> None:
    """Send ``changes`` once the current transaction commits: :data:`ticket_changes` once
    with all of them, then :data:`ticket_changed` once per change."""
    if changes:
        batch = list(changes)
        transaction.on_commit(lambda: send_now(batch))


def send_now(changes: list[TicketChange]) -> None:
    """Call every receiver for ``changes`` now, logging (not raising) what fails."""
    for receiver, result in ticket_changes.send_robust(sender=TicketChange, changes=changes):
        if isinstance(result, Exception):
            logger.error(
                "ticket_changes receiver %r failed for %s change(s), the first %s on ticket %s",
                receiver,
                len(changes),
                changes[0].action,
                changes[0].ticket_id,
                exc_info=result,
            )
    for change in changes:
        for receiver, result in ticket_changed.send_robust(sender=TicketChange, change=change):
            if isinstance(result, Exception):
                logger.error(
                    "ticket_changed receiver %r failed for %s on ticket %s",
                    receiver,
                    change.action,
                    change.ticket_id,
                    exc_info=result,
                )


def each_change(
    changes: Sequence[TicketChange], handle: Callable[[TicketChange], object], what: str
) -> None:
    """``handle`` every change in turn; one that fails is logged and the others still run
    (for batch receivers, so one bad change costs only itself, as with one signal each)."""
    for change in changes:
        try:
            handle(change)
        except Exception:
            logger.exception("%s failed for %s on ticket %s", what, change.action, change.ticket_id)
