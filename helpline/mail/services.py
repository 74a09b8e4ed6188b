"""Mail in: one ingestion service for every way mail arrives (IMAP poll, MTA pipe).

``ingest`` records the message once in the ledger (keyed by Message-ID), ignores automatic
mail, rate-limits senders, threads replies into their ticket, opens new tickets, and puts
whatever it cannot process into the quarantine with the reason. It never raises for content:
only a database outage escapes, as ``MailTemporaryFailure``, so the caller retries later.
Tickets and replies are written only through ``helpline.tickets.services``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction

from helpline.accounts.models import User
from helpline.accounts.selectors import system_user, user_by_email
from helpline.accounts.services import customer_get_or_create
from helpline.audit.services import audit_record
from helpline.core import clock, rows
from helpline.core.errors import Conflict, DomainError
from helpline.directory.models import Department
from helpline.mail import selectors
from helpline.mail.inbound.addressing import ticket_number_from_recipients
from helpline.mail.inbound.parse import (
    ParsedMessage,
    parse_message,
    strip_quoted_reply,
    thread_candidates,
    ticket_number_from_subject,
)
from helpline.mail.inbound.screen import automatic_reason
from helpline.mail.models import (
    InboundMessage,
    InboundStatus,
    Mailbox,
    UnknownSender,
    message_key,
)
from helpline.tickets import access
from helpline.tickets.models import Ticket
from helpline.tickets.services import ticket_add_collaborators, ticket_create, ticket_reply
from helpline.tickets.states import Channel

log = logging.getLogger(__name__)

DUPLICATE = "duplicate"
MAX_BODY = 100_000  # the ticket services' limit on a description or message
MAX_SUBJECT = 250
MAX_COLLABORATORS = 10  # CC'd addresses added to a ticket from one message


class MailTemporaryFailure(Exception):
    """The database is unreachable: nothing was recorded; deliver the message again later."""


class Quarantine(Exception):  # a decision rather than an error
    """Stop processing this message and keep it for an admin, with ``reason``."""


@dataclass(frozen=True)
class IngestResult:
    status: str  # an InboundStatus value, or "duplicate"
    message: InboundMessage
    reason: str = ""

    @property
    def ticket(self) -> Ticket | None:
        return self.message.ticket


# --- entry points ----------------------------------------------------------------------------


def ingest(raw: bytes, *, mailbox: Mailbox | None = None) -> IngestResult:
    """Record and process one message (RFC 5322 bytes). Idempotent by Message-ID (by content
    when it has none): a message seen before changes nothing and reports ``duplicate``.

    Raises ``MailTemporaryFailure`` only when the database is unavailable.
    """
    parsed = parse_message(raw)
    key = message_key(parsed.message_id, raw)
    try:
        with transaction.atomic():
            row = None if selectors.received_before(key) else _ledger_row(key, raw, parsed, mailbox)
            if row is not None:
                _process(row, parsed, mailbox, trusted=False)
                if not _ledger_insert(row):  # the same message, delivered concurrently, won
                    transaction.set_rollback(True)  # and with it what this one did
                    row = None
    except (OperationalError, InterfaceError) as error:
        raise MailTemporaryFailure(f"database unavailable: {error}") from error
    if row is None:
        existing = InboundMessage.objects.select_related("ticket").get(key=key)
        return IngestResult(DUPLICATE, existing, "already received")
    return IngestResult(row.status, row, row.reason)


def inbound_reprocess(*, actor: User, message: InboundMessage) -> IngestResult:
    """Process a quarantined message again, as an admin's decision: the sender rate limit and
    the department's unknown-sender quarantine no longer apply (automatic mail is still
    ignored). Raises Conflict unless the message is in quarantine."""
    access.check_is_agent(actor, "reprocess mail")
    try:
        with transaction.atomic():
            row = InboundMessage.objects.select_for_update().get(pk=message.pk)
            if row.status != InboundStatus.QUARANTINED:
                raise Conflict(f"message {row.pk} is not in quarantine ({row.status})")
            before = {"status": row.status, "reason": row.reason}
            row.attempts += 1
            mailbox = None
            if row.mailbox_id is not None:
                mailbox = Mailbox.objects.select_related("department").get(pk=row.mailbox_id)
            _process(row, parse_message(bytes(row.raw)), mailbox, trusted=True)
            row.save(update_fields=PROCESSED_FIELDS)
            audit_record(
                actor=actor,
                action="mail.reprocess",
                obj=row,
                before=before,
                after={"status": row.status, "reason": row.reason},
            )
    except (OperationalError, InterfaceError) as error:
        raise MailTemporaryFailure(f"database unavailable: {error}") from error
    return IngestResult(row.status, row, row.reason)


def inbound_dismiss(*, actor: User, message: InboundMessage) -> InboundMessage:
    """Take a message out of quarantine without processing it (the raw bytes stay)."""
    access.check_is_agent(actor, "dismiss mail")
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if row.status != InboundStatus.QUARANTINED:
            raise Conflict(f"message {row.pk} is not in quarantine ({row.status})")
        row.status = InboundStatus.DISMISSED
        row.processed_at = clock.now()
        row.save(update_fields=["status", "processed_at"])
        audit_record(
            actor=actor,
            action="mail.dismiss",
            obj=row,
            before={"status": InboundStatus.QUARANTINED},
            after={"status": row.status},
        )
    return row


# --- the ledger ------------------------------------------------------------------------------


def _ledger_row(
    key: str, raw: bytes, parsed: ParsedMessage, mailbox: Mailbox | None
) -> InboundMessage:
    """The ledger row for a message received now (not saved: ``_process`` decides its status
    first, and ``_ledger_insert`` writes it once)."""
    return InboundMessage(
        key=key,
        message_id=parsed.message_id[:255],
        mailbox=mailbox,
        sender=parsed.from_address[:254],
        subject=parsed.subject[:MAX_SUBJECT],
        received_at=clock.now(),
        defects="\n".join(parsed.defects)[:10_000],
        size=len(raw),
        raw=raw,
    )


def _ledger_insert(row: InboundMessage) -> bool:
    """Insert the processed ledger row; False when its key exists (received concurrently)."""
    try:
        with transaction.atomic():
            rows.insert(row)  # one write per message (see helpline.core.rows)
        return True
    except IntegrityError:
        return False


# What processing a ledger row decides.
PROCESSED_FIELDS = ["mailbox", "ticket", "entry", "status", "reason", "attempts", "processed_at"]


def _process(
    row: InboundMessage, parsed: ParsedMessage, mailbox: Mailbox | None, *, trusted: bool
) -> None:
    """Decide what ``row`` becomes (its ``PROCESSED_FIELDS``; the caller saves it). Call inside
    a transaction. Content problems end in quarantine; database outages propagate."""
    boxes = selectors.mailboxes()
    if mailbox is None:
        mailbox = selectors.mailbox_for(boxes, [m.address for m in (*parsed.to, *parsed.cc)])
        row.mailbox = mailbox
    own = selectors.own_addresses(boxes)
    row.ticket, row.entry = None, None
    reason = automatic_reason(bytes(row.raw), parsed, own)
    if reason:
        row.status, row.reason = InboundStatus.IGNORED, reason
    else:
        try:
            with transaction.atomic():
                row.status, row.reason = _deliver(row, parsed, mailbox, own, trusted=trusted)
        except Quarantine as decision:
            row.status, row.reason = InboundStatus.QUARANTINED, str(decision)
        except DomainError as error:
            row.status = InboundStatus.QUARANTINED
            row.reason = f"refused by the ticket services: {error.message}"
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:  # one bad message never stops the batch
            log.exception("mail ingestion failed for %s", row.message_id or f"key {row.key}")
            row.status = InboundStatus.QUARANTINED
            row.reason = f"unexpected error: {type(error).__name__}: {error}"[:2000]
        if row.status == InboundStatus.QUARANTINED:
            row.ticket, row.entry = None, None
            log.warning("mail %s quarantined: %s", row.message_id or row.key, row.reason)
    row.processed_at = clock.now()


# --- delivery --------------------------------------------------------------------------------


def _deliver(
    row: InboundMessage,
    parsed: ParsedMessage,
    mailbox: Mailbox | None,
    own: frozenset[str],
    *,
    trusted: bool,
) -> tuple[str, str]:
    """Thread or open a ticket for a message from a person. Returns (status, reason); raises
    Quarantine when an admin has to decide."""
    sender = parsed.from_address
    if not sender:
        raise Quarantine("no sender address (the From header is missing or unreadable)")
    if not trusted:
        _check_rate(row, sender)
    user = user_by_email(sender)
    if user is not None and not user.is_active:
        raise Quarantine(f"the sender's account {sender} is deactivated")
    ticket = selectors.ticket_for_message_ids(thread_candidates(parsed))
    how = "by its In-Reply-To/References"
    if ticket is None:
        recipients = [*parsed.delivered_to, *(m.address for m in (*parsed.to, *parsed.cc))]
        ticket = selectors.ticket_by_number(ticket_number_from_recipients(recipients, own))
        how = "by the ticket's reply address it was sent to"
    if ticket is None:
        ticket = selectors.ticket_by_number(ticket_number_from_subject(parsed.subject))
        how = "by the ticket number in its subject"
    department = mailbox.department if mailbox is not None else None
    if ticket is None:
        return _open(row, parsed, department, own, sender=sender, user=user)
    if user is None or not access.can_see(user, ticket):
        if not trusted and _unknown_sender_policy(ticket.department) == UnknownSender.QUARANTINE:
            raise Quarantine(f"{sender} may not post on ticket #{ticket.number}")
        preface = f"Sent as a reply to ticket #{ticket.number} by an address not on that ticket."
        return _open(row, parsed, ticket.department, own, sender=sender, user=user, preface=preface)
    if ticket.is_closed:
        preface = f"Follow-up to closed ticket #{ticket.number}."
        return _open(row, parsed, ticket.department, own, sender=sender, user=user, preface=preface)
    body, files = _body_and_files(parsed, reply=True)
    entry = ticket_reply(
        actor=user,
        ticket=ticket,
        body=body,
        attachments=files,
        channel=Channel.EMAIL,
        text_format="text",
        message_id=parsed.message_id,
    )
    _add_collaborators(ticket, parsed, own, actor=user)
    row.ticket, row.entry = ticket, entry
    return InboundStatus.THREADED, f"added to ticket #{ticket.number} {how}"


def _open(
    row: InboundMessage,
    parsed: ParsedMessage,
    department: Department | None,
    own: frozenset[str],
    *,
    sender: str,
    user: User | None,
    preface: str = "",
) -> tuple[str, str]:
    requester = user or customer_get_or_create(
        email=sender, name=parsed.from_name, actor=system_user()
    )
    body, files = _body_and_files(parsed, reply=bool(preface))
    if preface:
        body = f"({preface})\n\n{body}"[:MAX_BODY]
    subject = " ".join(parsed.subject.split())[:MAX_SUBJECT] or "(no subject)"
    ticket = ticket_create(
        actor=requester,
        subject=subject,
        description=body,
        channel=Channel.EMAIL,
        department=department,
        attachments=files,
        text_format="text",
    )
    _add_collaborators(ticket, parsed, own, actor=requester)
    row.ticket = ticket
    return InboundStatus.CREATED, f"opened ticket #{ticket.number}" + (
        f" ({preface[0].lower()}{preface[1:]})" if preface else ""
    )


def _check_rate(row: InboundMessage, sender: str) -> None:
    limit = int(getattr(settings, "HELPLINE_MAIL_RATE_LIMIT", 30))
    since = clock.now() - timedelta(hours=1)
    if limit > 0 and selectors.recent_messages_from(sender, since, exclude_pk=row.pk) >= limit:
        raise Quarantine(f"rate limit: more than {limit} messages from {sender} within an hour")


def _unknown_sender_policy(department: Department) -> str:
    default = getattr(settings, "HELPLINE_MAIL_UNKNOWN_SENDER", UnknownSender.NEW_TICKET)
    return selectors.unknown_sender_policy(department.pk) or default


def _body_and_files(parsed: ParsedMessage, *, reply: bool) -> tuple[str, list[Any]]:
    """The text to post (quoted history trimmed from replies; the original stays in the
    ledger) and the attachments within the limits, with a line for each one left out."""
    text = parsed.text.strip()
    if reply:
        text = strip_quoted_reply(text).strip()
    limit = int(settings.HELPLINE_MAX_ATTACHMENT_BYTES)
    files: list[Any] = []
    left_out: list[str] = []
    for attachment in parsed.attachments:
        size_mb = f"{attachment.size / (1024 * 1024):.1f} MB"
        if attachment.size > limit:
            left_out.append(f"{attachment.filename} ({size_mb}): larger than the limit")
        elif len(files) >= settings.HELPLINE_MAX_ATTACHMENTS:
            left_out.append(f"{attachment.filename} ({size_mb}): too many attachments")
        else:
            files.append(
                SimpleUploadedFile(attachment.filename, attachment.content, attachment.content_type)
            )
    notes = "".join(f"\n- {line}" for line in left_out)
    if notes:
        notes = "\n\nAttachments not stored (the original message is kept):" + notes
    if not text:
        text = "(attachments only)" if files else "(no text)"
    return text[: MAX_BODY - len(notes)] + notes, files


def _add_collaborators(
    ticket: Ticket, parsed: ParsedMessage, own: frozenset[str], *, actor: User
) -> None:
    """Put the other people a customer wrote to (To and Cc, not Helpline's own addresses) on
    the ticket as collaborators, so they get its mail and may answer it."""
    exclude = own | {parsed.from_address, ticket.requester.email}
    wanted = [m for m in (*parsed.to, *parsed.cc) if m.address not in exclude and "@" in m.address][
        :MAX_COLLABORATORS
    ]
    people: list[User] = []
    for mailbox in wanted:
        try:
            with transaction.atomic():
                people.append(
                    customer_get_or_create(
                        email=mailbox.address, name=mailbox.name, actor=system_user()
                    )
                )
        except DomainError:  # an address the validator refuses: not worth the message
            continue
    if people:
        ticket_add_collaborators(ticket, people, actor=actor, note="CC'd on an email to the desk")
