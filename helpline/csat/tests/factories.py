"""Helpers for CSAT tests: resolve a ticket as a commit would, read the mailed link."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from helpline.tickets import services
from helpline.tickets.models import Ticket

LINK = re.compile(r"/csat/([A-Za-z0-9_\-]+)/\?rating=")


def resolve(committed: Any, ticket: Ticket, agent: Any) -> Ticket:
    """Take (if new) and resolve ``ticket`` as ``agent``, running the on-commit effects."""
    with committed():
        if ticket.status == "new":
            ticket = services.ticket_take(actor=agent, ticket=ticket)
        ticket = services.ticket_transition(
            actor=agent,
            ticket=ticket,
            action="resolve",
            resolution=services.Resolution(
                problem_identified="Paper jam", action_taken="Removed the paper"
            ),
        )
    return ticket


def reopen(committed: Any, ticket: Ticket, customer: Any) -> Ticket:
    with committed():
        return services.ticket_transition(
            actor=customer, ticket=ticket, action="reopen", reason="Jams again"
        )


def survey_mails() -> list[Any]:
    return [m for m in mail.outbox if "How did we do?" in m.subject]


def last_token() -> str:
    """The token in the newest survey mail."""
    (token,) = set(LINK.findall(survey_mails()[-1].body))
    return token
