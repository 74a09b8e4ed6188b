"""React to committed ticket changes: queue webhook deliveries (the posting is a task)."""

from __future__ import annotations

import logging
from typing import Any

from helpline.tickets.signals import TicketChange, each_change
from helpline.webhooks.services import deliveries_for_change, deliveries_for_changes

log = logging.getLogger(__name__)


def on_ticket_changes(sender: Any, changes: list[TicketChange], **kwargs: Any) -> None:
    """Queue the deliveries of a commit's changes at once; if that fails, one change at a
    time, so a change that cannot be delivered costs only its own deliveries."""
    try:
        deliveries_for_changes(changes)
    except Exception:
        if len(changes) == 1:
            raise
        log.exception("webhook deliveries for %s changes failed; one at a time", len(changes))
        each_change(changes, deliveries_for_change, "webhook deliveries")
