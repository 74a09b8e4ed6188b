"""Template tags for a ticket's SLA: ``{% load sla_tags %}``.

``{% ticket_sla ticket as sla %}`` reads the policies and calendars once per request
(``selectors.PolicyCache``), so a queue of tickets costs no query per row.
"""

from __future__ import annotations

from typing import Any

from django import template

from helpline.core import clock
from helpline.sla import selectors
from helpline.tickets.models import Ticket

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_sla(context: template.Context, ticket: Ticket) -> selectors.TicketSla:
    policies = selectors.PolicyCache.for_request(context.get("request"))
    return selectors.ticket_sla(ticket, now=clock.now(), policies=policies)


@register.simple_tag(takes_context=True)
def sla_policies(context: template.Context) -> list[Any]:
    """Every policy, for the change-policy form (read once per request)."""
    policies = selectors.PolicyCache.for_request(context.get("request")).policies()
    return sorted(policies.values(), key=lambda policy: policy.name)


@register.filter
def business_time(minutes: int | None) -> str:
    """``135`` → ``2 h 15 min left``; negative → ``… overdue``."""
    return selectors.format_minutes(minutes)


@register.filter
def duration(minutes: int | None) -> str:
    """Business minutes as a length: ``1440`` → ``24 h``, ``90`` → ``1 h 30 min``."""
    return selectors.format_duration(minutes)
