"""Turn committed ticket changes into rule runs (enqueued, never evaluated here)."""

from __future__ import annotations

import logging
from typing import Any

from helpline.core.configcache import ConfigCache
from helpline.rules.engine import MAX_CHAIN_DEPTH
from helpline.rules.models import Rule
from helpline.rules.runner import chain_of
from helpline.tickets.signals import TicketChange, each_change

log = logging.getLogger(__name__)


def _load_enabled_triggers() -> frozenset[str]:
    return frozenset(Rule.objects.filter(enabled=True).values_list("trigger", flat=True))


_enabled_triggers = ConfigCache("rule-triggers", _load_enabled_triggers, models=[Rule])


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


def _run_for(change: TicketChange) -> tuple[str, list[int | str], int] | None:
    """(trigger, rules already fired, chain depth) of the run ``change`` asks for, if any."""
    chain = chain_of(change.audit_event_id)
    if chain is None:
        trigger = trigger_for(change)
        return None if trigger is None else (trigger, [], 0)
    # A change a rule made: one follow-up "updated" run for the whole rule run.
    if chain.followed_up:
        return None
    chain.followed_up = True
    if chain.depth >= MAX_CHAIN_DEPTH:
        log.warning("rule chain on ticket %s reached depth %s", chain.ticket_id, chain.depth)
        return None
    return "updated", sorted(chain.fired, key=str), chain.depth


def on_ticket_changes(sender: Any, changes: list[TicketChange], **kwargs: Any) -> None:
    """Enqueue one rule run per change whose trigger has enabled rules (the enabled triggers
    are cached configuration, read again when a rule changes)."""
    runs: list[tuple[TicketChange, tuple[str, list[int | str], int]]] = []

    def plan(change: TicketChange) -> None:
        run = _run_for(change)
        if run is not None:
            runs.append((change, run))

    each_change(changes, plan, "rule trigger")
    if not runs:
        return
    enabled = _enabled_triggers.get()
    from helpline.rules.tasks import run_ticket_rules

    for change, (trigger, fired, depth) in runs:
        if trigger not in enabled:
            continue
        try:
            run_ticket_rules.enqueue(
                ticket_id=change.ticket_id, trigger=trigger, fired=fired, depth=depth
            )
        except Exception:  # one change's run must not cost the others theirs
            log.exception("rule run for ticket %s could not be enqueued", change.ticket_id)
