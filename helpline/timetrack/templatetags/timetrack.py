"""``{% timetrack_panel %}``: time and cost on the agent's ticket page."""

from __future__ import annotations

from typing import Any

from django import template

from helpline.accounts.models import User
from helpline.timetrack.panel import panel_context

register = template.Library()


@register.inclusion_tag("web/timetrack/_panel.html", takes_context=True)
def timetrack_panel(context: template.Context) -> dict[str, Any]:
    """Needs ``ticket`` and ``request`` (an agent's) in the context."""
    ticket = context.get("ticket")
    request = context.get("request")
    user = getattr(request, "user", None)
    if ticket is None or not isinstance(user, User) or not user.is_agent:
        return {"show": False}
    return {"show": True, "csrf_token": context.get("csrf_token"), **panel_context(user, ticket)}


@register.filter
def duration(minutes: int) -> str:
    """125 → "2 h 5 min"; 45 → "45 min"."""
    hours, rest = divmod(int(minutes or 0), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"
