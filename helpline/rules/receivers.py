"""Turn committed ticket changes into rule runs (enqueued, never evaluated here)."""

from __future__ import annotations

import logging
from typing import Any

from helpline.rules.engine import MAX_CHAIN_DEPTH
from helpline.rules.models import Rule
from helpline.rules.runner import chain_of
from helpline.tickets.signals import TicketChange

log = logging.getLogger(__name__)


def trigger_for(change: TicketChange) -> str | None:
    """``created`` for a new ticket, ``customer_replied`` for a customer message, ``updated``
    for any other change that changed a field (notes and plain events change none)."""
    if change.action == "ticket.create":
        return "created"
    if change.action == "ticket.customer_message":
        return "customer_replied"
    if change.action.startswith("ticket.") and change.changes:
        return "updated"
    return None


def on_ticket_changed(sender: Any, change: TicketChange, **kwargs: Any) -> None:
    chain = chain_of(change.audit_event_id)
    if chain is not None:
        # A change a rule made: one follow-up "updated" run for the whole rule run.
        if chain.followed_up:
            return
        chain.followed_up = True
        if chain.depth >= MAX_CHAIN_DEPTH:
            log.warning("rule chain on ticket %s reached depth %s", chain.ticket_id, chain.depth)
            return
        trigger: str | None = "updated"
        fired, depth = sorted(chain.fired, key=str), chain.depth
    else:
        trigger = trigger_for(change)
        fired, depth = [], 0
    if trigger is None or not Rule.objects.filter(trigger=trigger, enabled=True).exists():
        return
    from helpline.rules.tasks import run_ticket_rules

    run_ticket_rules.enqueue(ticket_id=change.ticket_id, trigger=trigger, fired=fired, depth=depth)
