"""React to committed ticket changes: a resolution opens a survey."""

from __future__ import annotations

from typing import Any

from helpline.tickets.signals import TicketChange


def on_ticket_changed(sender: Any, change: TicketChange, **kwargs: Any) -> None:
    if change.action == "ticket.resolve":
        from helpline.csat.services import survey_open

        survey_open(ticket_id=change.ticket_id)
