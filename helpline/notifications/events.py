"""Ticket events that notify people. Called by the ticket services inside their transaction;
each one enqueues its task only when that transaction commits.

Internal notes are never passed here: only public entries reach a customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpline.core.tasks_backend import enqueue_on_commit

if TYPE_CHECKING:
    from helpline.accounts.models import User
    from helpline.tickets.models import ThreadEntry, Ticket


def _later(
    event: str,
    ticket_id: int,
    *,
    entry_id: int | None = None,
    user_id: int | None = None,
    detail: str = "",
) -> None:
    from helpline.notifications.tasks import send_ticket_notification

    enqueue_on_commit(
        send_ticket_notification,
        event=event,
        ticket_id=ticket_id,
        entry_id=entry_id,
        user_id=user_id,
        detail=detail,
    )


def ticket_created(ticket: Ticket) -> None:
    _later("ticket_created", ticket.pk)


def ticket_opened(ticket: Ticket, agent: User | None) -> None:
    """A new ticket, and the agent it was assigned to on arrival if any: what
    :func:`ticket_created` and :func:`ticket_assigned` would send, in ONE task on commit (a
    task costs the worker three writes of its own besides the mail)."""
    if agent is None:
        ticket_created(ticket)
        return
    from helpline.notifications.tasks import send_ticket_notifications

    items = [["ticket_created", ticket.pk, ""], ["ticket_assigned", ticket.pk, "", agent.pk]]
    enqueue_on_commit(send_ticket_notifications, items=items)


def ticket_assigned(ticket: Ticket, agent: User) -> None:
    _later("ticket_assigned", ticket.pk, user_id=agent.pk)


def ticket_escalated(ticket: Ticket, agent: User | None) -> None:
    _later("ticket_escalated", ticket.pk, user_id=agent.pk if agent else None)


def agent_replied(ticket: Ticket, entry: ThreadEntry) -> None:
    _later("agent_replied", ticket.pk, entry_id=entry.pk)


def customer_replied(ticket: Ticket, entry: ThreadEntry) -> None:
    _later("customer_replied", ticket.pk, entry_id=entry.pk)


def status_changed(ticket: Ticket, action: str) -> None:
    event = {"resolve": "ticket_resolved", "pend": "ticket_pending"}.get(action)
    if event is not None:
        _later(event, ticket.pk)


def sla_event(ticket: Ticket, *, target: str, state: str) -> None:
    """An SLA target warned or breached: tell the assignee and the department manager."""
    _later(f"sla_{state}", ticket.pk, detail=target)


def pending_reminder(ticket: Ticket) -> None:
    _later("pending_reminder", ticket.pk)


def ticket_closed_automatically(ticket: Ticket) -> None:
    _later("ticket_autoclosed", ticket.pk)


def sla_events(items: list[tuple[Ticket, str, str]]) -> None:
    """Many SLA warnings and breaches at once, ``(ticket, target, state)`` each (the SLA
    sweep's batch): ONE task on commit that sends what :func:`sla_event` would for each."""
    if not items:
        return
    from helpline.notifications.tasks import send_ticket_notifications

    payload = [[f"sla_{state}", ticket.pk, target] for ticket, target, state in items]
    enqueue_on_commit(send_ticket_notifications, items=payload)
