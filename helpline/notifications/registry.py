"""The notification events: who hears about each, how automatic its mail is, and the template
variables it offers (documented for admins, checked when a template is saved).

Pure: no ORM. The example contexts are plain dicts, for the admin preview and validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    # "requester" (and CCs), "assignee", "agent" (the user named by the event, else the
    # department manager), "assignee_and_manager", "users" (named by the caller: rules)
    audience: str
    # Auto-Submitted header: "auto-replied" (an automatic answer to a customer's message),
    # "auto-generated" (other automatic mail), "" (written by a person).
    auto_submitted: str = "auto-generated"
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def for_agents(self) -> bool:
        return self.audience not in ("requester",)


COMMON = {
    "ticket": (
        "The ticket: ticket.number, .subject, .status, .get_status_display, .priority, "
        ".get_priority_display, .support_level, .requester.display_name, "
        ".assignee.display_name, .department.name, .resolution_problem, .resolution_action, "
        ".resolution_next_steps, .first_response_due_at, .next_response_due_at, "
        ".resolution_due_at"
    ),
    "ticket_url": "Link to the ticket (the portal for customers, the same path for agents).",
    "site_url": "The address of this Helpline.",
    "recipient": "The person the mail is for (recipient.display_name); empty for a group.",
}
ENTRY = {"entry": "The message: entry.body, entry.author.display_name, entry.created_at."}
USER = {"user": "The agent the event names (user.display_name); empty if nobody."}
DETAIL = {"detail": 'The SLA target: "first response", "next response" or "resolution".'}
LINKS = {
    "confirm_url": "Where the customer confirms the fix.",
    "reopen_url": "Where the customer reopens the ticket.",
}
TEXT = {"text": "The text the rule or caller gave."}


def _event(key: str, label: str, audience: str, *extra: dict[str, str], auto: str = "") -> Event:
    variables = dict(COMMON)
    for more in extra:
        variables.update(more)
    return Event(key, label, audience, auto or "auto-generated", variables)


EVENTS: dict[str, Event] = {
    e.key: e
    for e in [
        _event("ticket_created", "New ticket acknowledgement", "requester", auto="auto-replied"),
        Event("agent_replied", "Agent reply", "requester", "", {**COMMON, **ENTRY}),
        _event("ticket_pending", "Waiting for the customer", "requester"),
        _event("pending_reminder", "Pending reminder", "requester"),
        _event("ticket_resolved", "Resolution notice", "requester", LINKS),
        _event("ticket_autoclosed", "Auto-close notice", "requester"),
        _event("ticket_assigned", "Assigned to an agent", "agent", USER),
        _event("ticket_escalated", "Escalation received", "agent", USER),
        _event("customer_replied", "Customer replied", "assignee", ENTRY),
        _event("sla_warning", "SLA warning", "assignee_and_manager", DETAIL),
        _event("sla_breached", "SLA breach", "assignee_and_manager", DETAIL),
        _event("rule_notify", "Notification from a rule", "users", TEXT),
        _event("rule_reply", "Automatic reply from a rule", "requester", TEXT, auto="auto-replied"),
    ]
}

# Agents choose how they hear about these (preferences); customers always get their mail.
AGENT_EVENTS = [key for key, event in EVENTS.items() if event.for_agents]
# Events without a file default; render_template needs a template row or falls back to this.
FALLBACK = ("[#{{ ticket.number }}] {{ ticket.subject }}", "{{ text }}\n\n{{ ticket_url }}\n")


def example_context(event: str) -> dict[str, Any]:
    """A context with every variable of ``event`` filled in with sample values."""
    agent = {"display_name": "Alex Agent", "email": "alex@example.com", "name": "Alex Agent"}
    customer = {"display_name": "Chris Customer", "email": "chris@example.com"}
    ticket = {
        "number": 1042,
        "subject": "VPN drops every few minutes",
        "description": "Since this morning the VPN disconnects.",
        "status": "open",
        "get_status_display": "Open",
        "priority": "high",
        "get_priority_display": "High",
        "support_level": 1,
        "requester": customer,
        "assignee": agent,
        "department": {"name": "Network", "pending_resolve_days": 7, "autoclose_days": 3},
        "resolution_problem": "An outdated VPN client.",
        "resolution_action": "Updated the client to 5.2.",
        "resolution_next_steps": "",
        "first_response_due_at": None,
        "next_response_due_at": None,
        "resolution_due_at": None,
    }
    url = "https://helpdesk.example.com/tickets/1042/"
    values: dict[str, Any] = {
        "ticket": ticket,
        "ticket_url": url,
        "site_url": "https://helpdesk.example.com",
        "recipient": customer,
        "entry": {"body": "Which client version do you use?", "author": agent},
        "user": agent,
        "detail": "first response",
        "confirm_url": url + "#confirm",
        "reopen_url": url + "#reopen",
        "text": "Please look at this ticket.",
    }
    return {name: values[name] for name in EVENTS[event].variables}
