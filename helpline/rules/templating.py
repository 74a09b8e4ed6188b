"""Render the text of macros and of rules' "reply with a template" action.

A small, fixed context of plain values (never model instances, so a template cannot reach
``requester.password`` or a related manager), rendered by a Django template engine with no
template loaders (``{% include %}`` and ``{% extends %}`` find nothing) and no autoescaping
(the result is a plain-text reply, turned into HTML by the ticket services like any other).

A variable the context does not have is an error, found when the text is saved by rendering
it against a sample context.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError

_UNKNOWN = "\x00unknown:%s\x00"

VARIABLES: dict[str, str] = {
    "ticket.number": "the ticket number",
    "ticket.subject": "the subject",
    "ticket.status": "the status (new, open, pending …)",
    "ticket.priority": "the priority",
    "ticket.type": "incident or service request",
    "ticket.department": "the department's name",
    "ticket.level": "the support level",
    "ticket.url": "the link to the ticket in the customer portal",
    "requester.name": "the requester's name (or email when no name is known)",
    "requester.email": "the requester's email",
    "agent.name": "the agent applying the macro (rules: Helpline)",
    "agent.email": "the agent's email",
}

SAMPLE: dict[str, Any] = {
    "ticket": {
        "number": 1042,
        "subject": "VPN drops every hour",
        "status": "open",
        "priority": "medium",
        "type": "incident",
        "department": "Helpdesk",
        "level": 1,
        "url": "https://helpdesk.example.com/tickets/1042/",
    },
    "requester": {"name": "Carol Customer", "email": "carol@example.com"},
    "agent": {"name": "Ada Agent", "email": "ada@example.com"},
}


class TemplateProblem(ValueError):
    pass


@cache
def _engine() -> Engine:
    return Engine(dirs=[], loaders=[], app_dirs=False, autoescape=False, string_if_invalid=_UNKNOWN)


def render_text(source: str, context: dict[str, Any]) -> str:
    """Render ``source`` with ``context``; raise TemplateProblem naming unknown variables or
    the syntax error."""
    try:
        text = _engine().from_string(source).render(Context(context, autoescape=False))
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"template syntax error: {error}") from None
    except Exception as error:  # a filter with a bad argument, a missing include
        raise TemplateProblem(f"the text does not render: {error}") from None
    if "\x00unknown:" in text:
        names = sorted({part.split("\x00", 1)[0] for part in text.split("\x00unknown:")[1:]})
        raise TemplateProblem(
            f"unknown variable{'s' if len(names) > 1 else ''}: {', '.join(names)}; "
            f"available: {', '.join(VARIABLES)}"
        )
    return text


def check_text(source: str) -> None:
    """Raise TemplateProblem unless ``source`` renders against the sample context."""
    render_text(source, SAMPLE)


def context_for(ticket: Any, agent: Any, *, site_url: str = "") -> dict[str, Any]:
    """The plain context of ``ticket`` (with its requester and department loaded)."""
    requester = ticket.requester
    return {
        "ticket": {
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "type": ticket.type,
            "department": ticket.department.name,
            "level": ticket.support_level,
            "url": f"{site_url}/tickets/{ticket.number}/",
        },
        "requester": {"name": requester.display_name, "email": requester.email},
        "agent": {"name": agent.display_name, "email": agent.email},
    }
