"""React to committed ticket changes: queue webhook deliveries (the posting is a task)."""

from __future__ import annotations

from typing import Any

from helpline.tickets.signals import TicketChange
from helpline.webhooks.services import deliveries_for_change


def on_ticket_changed(sender: Any, change: TicketChange, **kwargs: Any) -> None:
    deliveries_for_change(change)
