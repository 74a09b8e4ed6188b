"""Notification writes: render an event, store its mail in the outbox and send it (retrying
with backoff), in-app notifications, and agents' preferences.

Call :func:`notification_send` from a task (never from the request: it sends mail).
:func:`notify_users` and :func:`render_template` are what automation rules use.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from helpline.accounts.models import User
from helpline.audit.services import audit_record
from helpline.core import clock, rows
from helpline.core.errors import NotFound, ValidationFailed
from helpline.core.mail import Email
from helpline.core.rows import RowReader, prepared_cursor
from helpline.core.tasks_backend import enqueue_on_commit
from helpline.notifications import mailheaders
from helpline.notifications.backoff import retry_delay
from helpline.notifications.models import (
    Audience,
    Notification,
    NotificationPreference,
    OutboundMessage,
    OutboundStatus,
)
from helpline.notifications.registry import AGENT_EVENTS, EVENTS
from helpline.notifications.templating import render_template
from helpline.tickets.models import EntryKind, ThreadEntry, Ticket

__all__ = ["notify_users", "render_template"]

log = logging.getLogger(__name__)
RETRYABLE = (OutboundStatus.QUEUED, OutboundStatus.FAILED)
# A claimed message is not picked again for this long (a worker that died mid-send).
LEASE = timedelta(minutes=10)
BATCH = 200


def user_language(user: User) -> str:
    """The user's language if the user model has one, else the site's."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


# --- who receives an event ---------------------------------------------------------------


def recipients(event: str, ticket: Ticket, user: User | None) -> list[User]:
    """The people ``event`` on ``ticket`` is for (``user``: the agent the event names)."""
    audience = EVENTS[event].audience
    people: list[User | None]
    if audience == "requester":
        people = [ticket.requester, *_COLLABORATORS_READ.all(ticket.pk)]
    elif audience == "assignee":
        people = [ticket.assignee]
    elif audience == "assignee_and_manager":
        people = [ticket.assignee, ticket.department.manager]
    else:
        people = [user] if user else [ticket.department.manager]
    unique: dict[int, User] = {}
    for person in people:
        if person is not None and person.email and person.is_active:
            unique.setdefault(person.pk, person)
    return sorted(unique.values(), key=lambda u: u.email)


# --- preferences --------------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    event: str
    label: str
    email: bool
    in_app: bool


def preferences_for(user: User) -> list[Preference]:
    """Every agent event with how ``user`` hears about it (default: email and in-app)."""
    rows = {p.event: p for p in NotificationPreference.objects.filter(user=user)}
    result = []
    for event in AGENT_EVENTS:
        row = rows.get(event)
        result.append(
            Preference(
                event=event,
                label=EVENTS[event].label,
                email=row.email if row else True,
                in_app=row.in_app if row else True,
            )
        )
    return result


def _channels(users: Iterable[User], event: str) -> dict[int, tuple[bool, bool]]:
    """{user id: (email, in_app)} for ``event``: one query for all of them."""
    ids = [u.pk for u in users]
    if not ids:
        return {}
    # Every preference of these agents (a row per event at most), the event picked here.
    chosen = {
        p.user_id: (p.email, p.in_app) for p in _PREFERENCES_READ.in_keys(ids) if p.event == event
    }
    return {pk: chosen.get(pk, (True, True)) for pk in ids}


def preferences_update(*, actor: User, changes: dict[str, dict[str, bool]]) -> list[Preference]:
    """Set ``actor``'s preferences: ``{event: {"email": bool, "in_app": bool}}`` (either key
    may be left out). Unknown events or keys are refused and nothing changes."""
    if not actor.is_agent:
        raise ValidationFailed("only agents have notification preferences")
    for event, values in changes.items():
        if event not in AGENT_EVENTS:
            raise ValidationFailed(f"unknown event {event!r}", fields={event: "unknown event"})
        if not isinstance(values, dict) or set(values) - {"email", "in_app"}:
            raise ValidationFailed(
                "each event takes email and/or in_app", fields={event: "email, in_app"}
            )
        if not all(isinstance(v, bool) for v in values.values()):
            raise ValidationFailed("values must be true or false", fields={event: "boolean"})
    before = {p.event: {"email": p.email, "in_app": p.in_app} for p in preferences_for(actor)}
    with transaction.atomic():
        for event, values in changes.items():
            merged = {**before[event], **values}
            NotificationPreference.objects.update_or_create(
                user=actor, event=event, defaults=merged
            )
        after = {e: {**before[e], **changes.get(e, {})} for e in before}
        audit_record(
            actor=actor,
            action="notification_preferences.update",
            obj=actor,
            before=before,
            after=after,
        )
    return preferences_for(actor)


# --- in-app -------------------------------------------------------------------------------


def _in_app(users: Iterable[User], *, ticket: Ticket | None, event: str, text: str) -> int:
    notifications = [
        Notification(user=u, ticket=ticket, event=event, text=text[:500]) for u in users
    ]
    for notification in notifications:  # mostly one: rows.insert costs less than bulk_create
        rows.insert(notification)
    return len(notifications)


def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of ``actor``'s notifications read (idempotent). Others' are not found."""
    notification = Notification.objects.filter(pk=notification_id, user=actor).first()
    if notification is None:
        raise NotFound("no such notification")
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(read_at=clock.now())


# --- the outbox ---------------------------------------------------------------------------


def _thread_ids(ticket: Ticket, audience: str) -> list[str]:
    """Message-IDs already in ``ticket``'s mail thread as ``audience`` sees it, oldest first:
    our messages and the customer's (never an internal note's)."""
    sql = _CUSTOMER_THREAD_SQL if audience == Audience.CUSTOMER else _AGENT_THREAD_SQL
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [ticket.pk, ticket.pk])
        rows = cursor.fetchall()
    return list(dict.fromkeys(message_id for (message_id,) in rows))


# One query, written once (the worker threads every message it sends; the ORM's two querysets
# cost ~1 ms to build). Ours first at equal times, as the customer's mail answers ours.
_THREAD_SQL = f"""
    SELECT message_id FROM (
        SELECT created_at, 0 AS source, id, message_id
        FROM {OutboundMessage._meta.db_table} WHERE ticket_id = %s {{audience}}
        UNION ALL
        SELECT created_at, 1, id, message_id FROM {ThreadEntry._meta.db_table}
        WHERE ticket_id = %s AND kind IN ('{EntryKind.CUSTOMER_MESSAGE.value}',
            '{EntryKind.REPLY.value}') AND message_id <> ''
    ) thread ORDER BY created_at, source, id"""
_AGENT_THREAD_SQL = _THREAD_SQL.format(audience="")
_CUSTOMER_THREAD_SQL = _THREAD_SQL.format(audience=f"AND audience = '{Audience.CUSTOMER.value}'")


def new_message_id() -> str:
    domain = mailheaders.message_domain(settings.HELPLINE_MAIL_DOMAIN, settings.SITE_URL)
    return make_msgid(domain=domain)


def outbound_queue(
    *,
    ticket: Ticket | None,
    event: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    entry: ThreadEntry | None = None,
    audience: str = Audience.CUSTOMER,
    from_person: str = "",
    claimed: bool = False,
) -> OutboundMessage:
    """Store one message, ready to send, with its own Message-ID, threaded under the ticket's
    earlier messages. Internal notes are refused: they never reach a customer.

    ``claimed``: stored as :func:`_claim` leaves a message, for the caller to send itself
    with :func:`_attempt` once the transaction commits (the sweep takes it over if that never
    happens, when the lease runs out)."""
    if entry is not None and entry.kind == EntryKind.NOTE:
        raise ValidationFailed("an internal note is never mailed")
    in_reply_to, references = ("", "")
    if ticket is not None:
        in_reply_to, references = mailheaders.thread_headers(_thread_ids(ticket, audience))
    headers = {}
    auto = EVENTS[event].auto_submitted if event in EVENTS else "auto-generated"
    if auto:
        headers["Auto-Submitted"] = auto
    if ticket is not None:
        headers["X-Helpline-Ticket"] = str(ticket.number)
    now = clock.now()
    message = OutboundMessage(
        ticket=ticket,
        entry=entry,
        event=event,
        audience=audience,
        from_email=mailheaders.from_address(settings.DEFAULT_FROM_EMAIL, from_person),
        to=to,
        subject=subject,
        body_text=text,
        body_html=html or "",
        headers=headers,
        message_id=new_message_id(),
        in_reply_to=in_reply_to,
        references=references,
        created_at=now,
        attempts=1 if claimed else 0,
        next_attempt_at=now + LEASE if claimed else now,
    )
    rows.insert(message)  # the worker stores every message it sends: SQL written once
    return message


def _reply_to(message: OutboundMessage) -> str:
    """The support address, plus-addressed with the message's ticket number if it has one."""
    number = message.headers.get("X-Helpline-Ticket", "")
    return mailheaders.reply_to_address(
        settings.HELPLINE_SUPPORT_EMAIL,
        settings.DEFAULT_FROM_EMAIL,
        int(number) if number.isdigit() else None,
        plus_addressing=settings.HELPLINE_MAIL_PLUS_ADDRESSING,
    )


def _email(message: OutboundMessage) -> Email:
    headers = {"Message-ID": message.message_id, **message.headers}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
        headers["References"] = message.references
    email = Email(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=message.to,
        reply_to=[_reply_to(message)],
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    return email


def _claim(pk: int, now: datetime) -> OutboundMessage | None:
    """Take message ``pk`` for one attempt if it is due and nobody else has it.

    The conditional UPDATE is the claim, on PostgreSQL and SQLite alike: a second worker's
    UPDATE waits for the first and then no longer matches (next_attempt_at moved on), so its
    row count is 0. No row lock is held while the mail server is talked to."""
    claimed = OutboundMessage.objects.filter(
        pk=pk, status__in=RETRYABLE, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if claimed != 1:
        return None
    return OutboundMessage.objects.get(pk=pk)


def outbound_deliver(pk: int, *, now: datetime | None = None) -> bool:
    """One attempt at sending message ``pk`` if it is due; True if it went out.

    A failure is recorded and retried later with backoff; after the last attempt the
    message is dead (logged and audited)."""
    now = now or clock.now()
    message = _claim(pk, now)
    if message is None:
        return False
    return _attempt(message, now)


def _attempt(message: OutboundMessage, now: datetime) -> bool:
    """Send a claimed ``message``; record the outcome. True if it went out."""
    try:
        _email(message).send()
    except Exception as error:  # any failure of the mail server is recorded and retried
        permanent = isinstance(error, smtplib.SMTPRecipientsRefused)
        _record_failure(message, f"{type(error).__name__}: {error}", now, permanent=permanent)
        return False
    message.status = OutboundStatus.SENT
    message.sent_at = clock.now()
    message.next_attempt_at = None
    message.last_error = ""
    rows.update(message, ["status", "sent_at", "next_attempt_at", "last_error"])
    return True


def _record_failure(
    message: OutboundMessage, error: str, now: datetime, *, permanent: bool = False
) -> None:
    max_attempts = settings.HELPLINE_MAIL_MAX_ATTEMPTS
    delay = None if permanent else retry_delay(message.attempts, max_attempts)
    message.last_error = error[:2000]
    if delay is None:
        message.status = OutboundStatus.DEAD
        message.next_attempt_at = None
        log.error(
            "gave up mailing %s (%s) after %s attempts: %s",
            message.message_id,
            message.event,
            message.attempts,
            error,
        )
        audit_record(
            actor=None,
            action="mail.dead",
            obj=message,
            note=error[:500],
            after={"to": message.to, "event": message.event, "attempts": message.attempts},
        )
    else:
        message.status = OutboundStatus.FAILED
        message.next_attempt_at = now + delay
        log.warning(
            "mailing %s failed (attempt %s), retry at %s: %s",
            message.message_id,
            message.attempts,
            message.next_attempt_at,
            error,
        )
    message.save(update_fields=["status", "next_attempt_at", "last_error"])


def outbound_retry_due(*, now: datetime | None = None) -> int:
    """Send every message whose next attempt is due (the worker's sweep); returns how many
    went out. Safe with several workers: each message is claimed (see :func:`_claim`)."""
    now = now or clock.now()
    due = list(
        OutboundMessage.objects.filter(status__in=RETRYABLE, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(1 for pk in due if outbound_deliver(pk, now=now))


def outbound_requeue(*, actor: User, pks: Iterable[int]) -> int:
    """Send given-up or failing messages again from a fresh set of attempts (an admin's
    "send again"); returns how many were requeued. Sent messages are left alone."""
    now = clock.now()
    with transaction.atomic():
        rows = list(
            OutboundMessage.objects.select_for_update()
            .filter(pk__in=list(pks), status__in=(OutboundStatus.DEAD, OutboundStatus.FAILED))
            .only("pk", "status")
        )
        for row in rows:
            audit_record(
                actor=actor,
                action="mail.requeue",
                obj=row,
                before={"status": row.status},
                after={"status": OutboundStatus.QUEUED},
            )
        OutboundMessage.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=OutboundStatus.QUEUED, attempts=0, next_attempt_at=now
        )
    return len(rows)


# --- events -------------------------------------------------------------------------------


def _context(ticket: Ticket, **extra: Any) -> dict[str, Any]:
    url = f"{settings.SITE_URL}/tickets/{ticket.number}/"
    return {
        "ticket": ticket,
        "ticket_url": url,
        "site_url": settings.SITE_URL,
        "confirm_url": f"{url}#confirm",
        "reopen_url": f"{url}#reopen",
        **extra,
    }


def _by_language(users: Iterable[User]) -> dict[str, list[User]]:
    groups: dict[str, list[User]] = defaultdict(list)
    for user in users:
        groups[user_language(user)].append(user)
    return groups


def _deliver(
    *,
    ticket: Ticket,
    event: str,
    users: list[User],
    context: dict[str, Any],
    entry: ThreadEntry | None = None,
    from_person: str = "",
    claimed: bool = False,
) -> list[OutboundMessage]:
    """Render ``event`` for ``users`` (agents by their preferences) and queue the mail and the
    in-app notifications. Returns the queued messages (not yet sent; ``claimed`` as
    :func:`outbound_queue` says)."""
    spec = EVENTS[event]
    audience = Audience.AGENT if spec.for_agents else Audience.CUSTOMER
    mail_to, app_to = users, []
    if audience == Audience.AGENT:
        channels = _channels(users, event)
        mail_to = [u for u in users if channels[u.pk][0]]
        app_to = [u for u in users if channels[u.pk][1]]
    # Customers (requester and CCs) share one message; each agent gets their own.
    groups = (
        [(user_language(u), [u]) for u in mail_to]
        if audience == Audience.AGENT
        else sorted(_by_language(mail_to).items())
    )
    # Rendered before the transaction: on SQLite it holds the database's one write lock, and
    # the web's requests would wait for the templates too.
    rendered = []
    for language, group in groups:
        recipient = group[0] if len(group) == 1 else None
        rendered.append(
            (group, render_template(event, {**context, "recipient": recipient}, language))
        )
    app_text = render_template(event, {**context, "recipient": None})[0] if app_to else ""
    messages = []
    with transaction.atomic():
        for group, (subject, text, html) in rendered:
            messages.append(
                outbound_queue(
                    ticket=ticket,
                    event=event,
                    to=[u.email for u in group],
                    subject=subject,
                    text=text,
                    html=html,
                    entry=entry,
                    audience=audience,
                    from_person=from_person,
                    claimed=claimed,
                )
            )
        if app_to:
            _in_app(app_to, ticket=ticket, event=event, text=app_text)
    return messages


def notification_send(
    *,
    event: str,
    ticket_id: int,
    entry_id: int | None = None,
    user_id: int | None = None,
    detail: str = "",
    tickets: dict[int, Ticket | None] | None = None,
) -> int:
    """Render, store and send the mail of one ticket event; returns how many went out now
    (failures are retried by the worker). Never mails an internal note.

    ``tickets``: the tickets a batch of events has read so far, by id (this call adds the one
    it reads), so that a new ticket's two events read it once."""
    if tickets is not None and ticket_id in tickets:
        ticket = tickets[ticket_id]
    else:
        ticket = _TICKET_READ.one(ticket_id)
        if tickets is not None:
            tickets[ticket_id] = ticket
    if ticket is None or event not in EVENTS:
        return 0
    entry = None
    if entry_id is not None:
        entry = _ENTRY_READ.one(entry_id)
        if entry is None or entry.ticket_id != ticket.pk:
            return 0
        if entry.kind == EntryKind.NOTE:
            log.error("refusing to mail internal note %s", entry_id)
            return 0
    user = None
    if user_id:  # mostly the assignee, read with the ticket
        user = ticket.assignee if user_id == ticket.assignee_id else _USER_READ.one(user_id)
    users = recipients(event, ticket, user)
    if not users:
        return 0
    from_person = ""
    if event == "agent_replied" and entry is not None and entry.author is not None:
        from_person = entry.author.display_name
    context = _context(ticket, entry=entry, user=user, detail=detail.replace("_", " "))
    messages = _deliver(
        ticket=ticket,
        event=event,
        users=users,
        context=context,
        entry=entry,
        from_person=from_person,
        claimed=True,
    )
    # Stored claimed and sent from memory: no claim and re-read per message (the worker does
    # this for every ticket event).
    now = clock.now()
    return sum(1 for message in messages if _attempt(message, now))


# Read by SQL written once (core.rows): the worker runs notification_send for every ticket
# event, and the ORM spent ~3.5 ms building the ticket's SELECT and instances each time. The
# department's manager (SLA mail) is read when asked for.
_TICKET_READ = RowReader(Ticket, "t.id = %s", related=("requester", "assignee", "department"))
_ENTRY_READ = RowReader(ThreadEntry, "t.id = %s", related=("author",))
_USER_READ = RowReader(User, "t.id = %s")
_COLLABORATORS_READ = RowReader(
    User,
    f"t.id IN (SELECT user_id FROM {Ticket.collaborators.through._meta.db_table} "
    "WHERE ticket_id = %s)",
)
_PREFERENCES_READ = RowReader(NotificationPreference, "t.user_id IN ({keys})")


def notify_users(*, ticket: Ticket, users: Iterable[User], event: str, text: str) -> int:
    """Tell agents about ``ticket`` (an automation rule's "notify" action): in-app and by
    email as each prefers; ``event`` is an agent event (``rule_notify`` for a rule).

    Call inside the transaction that decided it: the mail is sent after commit. Returns how
    many people were notified."""
    if event not in AGENT_EVENTS:
        raise ValidationFailed(f"{event!r} is not an agent event")
    people = [u for u in {u.pk: u for u in users}.values() if u.is_agent and u.is_active]
    if not people:
        return 0
    messages = _deliver(
        ticket=ticket,
        event=event,
        users=sorted(people, key=lambda u: u.email),
        context=_context(ticket, text=text),
    )
    _send_after_commit(messages)
    return len(people)


def _send_after_commit(messages: list[OutboundMessage]) -> None:
    from helpline.notifications.tasks import deliver_outbound

    for message in messages:
        enqueue_on_commit(deliver_outbound, message_id=message.pk)
