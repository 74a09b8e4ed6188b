"""Replies, customer messages and internal notes."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from helpline.accounts.models import User
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import (
    InvalidTransition,
)
from helpline.notifications import events as notify
from helpline.tickets import access
from helpline.tickets.models import (
    EntryKind,
    ThreadEntry,
    Ticket,
)
from helpline.tickets.services._common import (
    UploadedFileLike,
    _add_entry,
    _clean_text,
    _lock,
    _save,
    _set_status,
    _snapshot,
    _status_event,
    _store_attachments,
    _transition,
    check_attachments,
)
from helpline.tickets.states import (
    Action,
    Channel,
    Status,
)

# --- thread --------------------------------------------------------------------------------


def ticket_reply(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    attachments: Sequence[UploadedFileLike] = (),
    channel: str = Channel.WEB,
    text_format: str = "markdown",
    message_id: str = "",
) -> ThreadEntry:
    """A public message: a reply from an agent, or a message from the customer.

    An agent's first reply is the first response and starts work on a new ticket; a customer
    message brings a pending or resolved ticket back to open. ``text_format`` is "markdown"
    or "text" (a plain-text email); ``message_id`` is the Message-ID of the email it came in
    (mail threads later replies by it).
    """
    body = _clean_text(body, field="body", max_length=100_000)
    check_attachments(attachments)
    with transaction.atomic():
        ticket = _lock(ticket)
        if ticket.is_closed:
            raise InvalidTransition(
                "this ticket is closed; open a new ticket that refers to it instead"
            )
        before = _snapshot(ticket, ["status", "first_response_at", "reopen_count"])
        changed: list[str] = []
        if actor.is_agent:
            access.check_can_act(actor, ticket, Action.OPEN)
            kind = EntryKind.REPLY
            if ticket.status == Status.NEW:
                changed += _set_status(ticket, Status.OPEN)
            if ticket.first_response_at is None:
                ticket.first_response_at = clock.now()
                changed.append("first_response_at")
            if ticket.awaiting_reply_since is not None:
                ticket.awaiting_reply_since = None  # the next response is given
                changed.append("awaiting_reply_since")
        else:
            access.check_can_act(actor, ticket, Action.CUSTOMER_REPLY)
            kind = EntryKind.CUSTOMER_MESSAGE
            new_status = _transition(ticket, Action.CUSTOMER_REPLY)
            if new_status.value != ticket.status:
                if ticket.status == Status.RESOLVED:
                    ticket.reopen_count += 1
                    ticket.resolved_at = None
                    changed += ["reopen_count", "resolved_at"]
                changed += _set_status(ticket, new_status)
            if ticket.first_response_at is not None and ticket.awaiting_reply_since is None:
                # The customer spoke after the desk did: the next-response clock starts.
                ticket.awaiting_reply_since = clock.now()
                changed.append("awaiting_reply_since")
        entry = _add_entry(
            ticket,
            kind=kind,
            author=actor,
            body=body,
            channel=channel,
            text_format=text_format,
            message_id=message_id,
        )
        _store_attachments(ticket, entry, attachments)
        if before["status"] != ticket.status:
            _status_event(ticket, actor, before["status"], Status(ticket.status))
        _save(ticket, changed)
        audit_record(
            actor=actor,
            action="ticket.reply" if kind == EntryKind.REPLY else "ticket.customer_message",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, ["status", "first_response_at", "reopen_count"]),
            entry_id=entry.pk,
        )
        if kind == EntryKind.REPLY:
            notify.agent_replied(ticket, entry)
        else:
            notify.customer_replied(ticket, entry)
    return entry


def ticket_note(*, actor: User, ticket: Ticket, body: str) -> ThreadEntry:
    """An internal note: agents only, never shown or sent to a customer."""
    access.check_is_agent(actor, "write internal notes")
    body = _clean_text(body, field="body", max_length=100_000)
    with transaction.atomic():
        ticket = _lock(ticket)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.is_closed:
            raise InvalidTransition("this ticket is closed")
        entry = _add_entry(ticket, kind=EntryKind.NOTE, author=actor, body=body)
        _save(ticket, [])
        audit_record(
            actor=actor, action="ticket.note", obj=ticket, ticket=ticket, entry_id=entry.pk
        )
    return entry
