"""Small display helpers for the web templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import dateformat, timezone

register = template.Library()

_ACTION_LABELS = {
    "create": "Created",
    "reply": "Replied",
    "customer_message": "Customer wrote",
    "note": "Internal note",
    "take": "Taken",
    "assign": "Assigned",
    "escalate": "Escalated",
    "update": "Edited",
    "pend": "Pending",
    "hold": "On hold",
    "resume": "Resumed",
    "resolve": "Resolved",
    "reopen": "Reopened",
    "close": "Closed",
}


@register.filter
def audit_action(action: str) -> str:
    """'ticket.escalate' → 'Escalated'."""
    verb = action.rpartition(".")[2]
    return _ACTION_LABELS.get(verb, verb.replace("_", " ").capitalize())


@register.filter
def audit_value(value: Any) -> str:
    """A before/after value of the audit record, as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("name", value.get("id", "")))
    if isinstance(value, list):
        return ", ".join(audit_value(item) for item in value) or "—"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return dateformat.format(moment, "j M Y, H:i")
    return str(value).replace("_", " ")


@register.filter
def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
