from __future__ import annotations

from typing import Any

from django import template

from helpline.notifications import selectors
from helpline.tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("web/notifications/delivery_log.html")
def delivery_log(ticket: Ticket) -> dict[str, Any]:
    """The ticket's mail log (one query), for the agent's ticket page."""
    return {"messages_out": selectors.ticket_outbound(ticket), "ticket": ticket}
