"""Mail out for ticket events, run by the worker."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string

from helpline.accounts.models import User
from helpline.tickets.models import EntryKind, ThreadEntry, Ticket

log = logging.getLogger(__name__)

# event -> who receives it: "requester" (and CCs) or "agent" (the user named in the event)
AUDIENCE = {
    "ticket_created": "requester",
    "agent_replied": "requester",
    "ticket_resolved": "requester",
    "ticket_pending": "requester",
    "ticket_assigned": "agent",
    "ticket_escalated": "agent",
    "customer_replied": "assignee",
    "pending_reminder": "requester",
    "ticket_autoclosed": "requester",
    "sla_warning": "assignee_and_manager",
    "sla_breached": "assignee_and_manager",
}


def recipients(event: str, ticket: Ticket, user: User | None) -> list[str]:
    audience = AUDIENCE[event]
    if audience == "requester":
        emails = [ticket.requester.email]
        emails += [u.email for u in ticket.collaborators.all()]
    elif audience == "assignee":
        emails = [ticket.assignee.email] if ticket.assignee else []
    elif audience == "assignee_and_manager":
        emails = [ticket.assignee.email] if ticket.assignee else []
        if ticket.department.manager:
            emails.append(ticket.department.manager.email)
    else:
        emails = [user.email] if user else []
        if not emails and ticket.department.manager:
            emails = [ticket.department.manager.email]
    return sorted({e for e in emails if e})


@task()
def send_ticket_notification(
    event: str,
    ticket_id: int,
    entry_id: int | None = None,
    user_id: int | None = None,
    detail: str = "",
) -> int:
    """Send the mail for one ticket event; returns how many messages went out."""
    ticket = (
        Ticket.objects.select_related("requester", "assignee", "department__manager")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or event not in AUDIENCE:
        return 0
    entry = None
    if entry_id is not None:
        entry = ThreadEntry.objects.filter(pk=entry_id, ticket=ticket).first()
        if entry is not None and entry.kind == EntryKind.NOTE:
            log.error("refusing to mail internal note %s", entry_id)
            return 0
    user = User.objects.filter(pk=user_id).first() if user_id else None
    to = recipients(event, ticket, user)
    if not to:
        return 0
    context = {
        "ticket": ticket,
        "entry": entry,
        "user": user,
        "detail": detail.replace("_", " "),
        "site_url": settings.SITE_URL,
        "ticket_url": f"{settings.SITE_URL}/tickets/{ticket.number}/",
    }
    subject = render_to_string(f"notifications/email/{event}_subject.txt", context)
    body = render_to_string(f"notifications/email/{event}_body.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={"Auto-Submitted": "auto-generated", "X-Helpline-Ticket": str(ticket.number)},
    )
    return message.send()
