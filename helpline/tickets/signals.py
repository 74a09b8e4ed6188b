"""One signal for every committed ticket change, for the parts that react to them.

``audit_record`` sends :data:`ticket_changed` after the transaction that wrote a ticket's audit
event commits, so automation rules, webhooks, CSAT and the like see every change exactly once
and never one that was rolled back. Receivers are called with ``send_robust``: one failing
receiver is logged and does not stop the others. Receivers must be quick; anything slow
(HTTP, mail) is enqueued as a task.

Receivers get ``change``, a :class:`TicketChange`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

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
    def send() -> None:
        for receiver, result in ticket_changed.send_robust(sender=TicketChange, change=change):
            if isinstance(result, Exception):
                logger.error(
                    "ticket_changed receiver %r failed for %s on ticket %s",
                    receiver,
                    change.action,
                    change.ticket_id,
                    exc_info=result,
                )

    transaction.on_commit(send)
