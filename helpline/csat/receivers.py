"""React to committed ticket changes: a resolution opens a survey."""

from __future__ import annotations

from typing import Any

from helpline.tickets.signals import TicketChange, each_change


def on_ticket_changes(sender: Any, changes: list[TicketChange], **kwargs: Any) -> None:
    resolved = [change for change in changes if change.action == "ticket.resolve"]
    if not resolved:
        return
    from helpline.csat.services import survey_open

    each_change(resolved, lambda change: survey_open(ticket_id=change.ticket_id), "CSAT survey")
