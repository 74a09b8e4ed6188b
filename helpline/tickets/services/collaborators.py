"""Collaborators: the people CC'd on a ticket, who get its mail and may post on it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from helpline.accounts.models import User
from helpline.audit.services import audit_record
from helpline.core.errors import InvalidTransition
from helpline.tickets import access
from helpline.tickets.models import Ticket
from helpline.tickets.services._common import _lock
from helpline.tickets.states import Action


def ticket_add_collaborators(
    ticket: Ticket, users: Iterable[User], *, actor: User, note: str = ""
) -> list[User]:
    """Put ``users`` on ``ticket`` as collaborators; returns those actually added.

    Anyone who may post on the ticket may add people (a customer CC'ing a colleague, an
    agent). Users already on the ticket and the requester are skipped; when nobody is left
    nothing is written. Otherwise one ``ticket.collaborators_added`` audit event records the
    list before and after (``note`` says why, e.g. "CC'd on an email to the desk"). Closed
    tickets are refused. The ticket row is locked while the list is read and changed, so two
    concurrent calls never add the same person twice; the version is not bumped, since
    collaborators are not among the fields an agent edits with a version in hand.
    """
    wanted = {user.pk: user for user in users if user.pk is not None}
    with transaction.atomic():
        ticket = _lock(ticket)
        access.check_can_act(actor, ticket, Action.CUSTOMER_REPLY)
        if ticket.is_closed:
            raise InvalidTransition("closed tickets cannot be changed")
        present = dict(ticket.collaborators.values_list("pk", "email"))
        added = [
            user for pk, user in wanted.items() if pk not in present and pk != ticket.requester_id
        ]
        if not added:
            return []
        ticket.collaborators.add(*added)
        before = sorted(present.values())
        audit_record(
            actor=actor,
            action="ticket.collaborators_added",
            obj=ticket,
            ticket=ticket,
            before={"collaborators": before},
            after={"collaborators": sorted([*before, *(user.email for user in added)])},
            note=note,
        )
    return added
