"""Shared by the ticket services: locking, saving, entries, attachments, input checks."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from helpline.accounts.models import User
from helpline.core import clock, rows
from helpline.core.configcache import ConfigCache
from helpline.core.errors import (
    Conflict,
    InvalidTransition,
    StaleVersion,
    ValidationFailed,
)
from helpline.core.html import render
from helpline.core.rows import RowReader
from helpline.directory.models import Tag
from helpline.sla.services import sla_record_events, sla_refresh, sla_schedule
from helpline.tickets.models import (
    TICKET_NUMBER_SEQUENCE,
    Attachment,
    Counter,
    EntryKind,
    PriorityMatrixEntry,
    ThreadEntry,
    Ticket,
)
from helpline.tickets.states import (
    Action,
    Level,
    Priority,
    Status,
    TransitionError,
    next_status,
)

MAX_LEVEL = 3
FIRST_TICKET_NUMBER = 1000  # the counter row is seeded with 999


class UploadedFileLike(Protocol):
    name: str | None
    size: int | None
    content_type: str | None

    def chunks(self) -> Iterable[bytes]: ...


@dataclass(frozen=True)
class Resolution:
    problem_identified: str
    action_taken: str
    confirmation: str = ""
    next_steps: str = ""

    def check(self) -> None:
        missing = {
            name: "required to resolve"
            for name in ("problem_identified", "action_taken")
            if not getattr(self, name).strip()
        }
        if missing:
            raise ValidationFailed(
                "a resolution needs the problem identified and the action taken", fields=missing
            )


# --- helpers -------------------------------------------------------------------------------


def _insert_ticket(ticket: Ticket) -> None:
    """INSERT the new ``ticket``, giving it the next ticket number. Call inside a transaction.

    PostgreSQL takes the number from its sequence in the INSERT itself: no lock, no statement
    of its own, and a create rolled back leaves its number unused. Elsewhere it comes from the
    ``ticket`` counter, whose row stays locked until the transaction commits."""
    if connection.vendor == "postgresql":
        rows.insert(ticket, computed={"number": f"nextval('{TICKET_NUMBER_SEQUENCE}')"})
        return
    ticket.number = _next_ticket_number()
    rows.insert(ticket)


def _next_ticket_number() -> int:
    """Take the next ticket number from the counter (not PostgreSQL's: see ``_insert_ticket``).
    Call inside a transaction: the counter row stays locked until it commits, so concurrent
    creators get distinct numbers."""
    for _ in range(3):
        taken = _increment_counter("ticket")
        if taken is not None:
            return taken
        try:
            with transaction.atomic():
                Counter.objects.create(name="ticket", value=FIRST_TICKET_NUMBER)
            return FIRST_TICKET_NUMBER
        except IntegrityError:
            continue  # someone else created it first; increment theirs
    raise Conflict("could not allocate a ticket number, try again")


def _increment_counter(name: str) -> int | None:
    """Add one to counter ``name`` and return the new value (None when there is no such row):
    one ``UPDATE ... RETURNING`` where the database has it, else an update and a read."""
    if not rows.returns_from_update():
        if Counter.objects.filter(name=name).update(value=F("value") + 1):
            return Counter.objects.get(name=name).value
        return None
    quote = connection.ops.quote_name
    table, value, key = quote(Counter._meta.db_table), quote("value"), quote("name")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {value} = {value} + 1 WHERE {key} = %s RETURNING {value}",
            [name],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


# The ticket as every service works on it, read on each change (see helpline.core.rows).
_LOCKED_READ = RowReader(
    Ticket, "t.id = %s", related=("requester", "assignee", "department", "team", "help_topic")
)


def _lock(ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """Re-read ``ticket`` under a row lock; check the caller's version if given."""
    # Lock with a join-free query, then read with the joins. PostgreSQL refuses FOR UPDATE on
    # the nullable side of an outer join, and when a locking query waited for a concurrent
    # writer it re-checks the new row against the *old* joined rows: the related objects
    # came back stale or NULL (a wrong audit "before"), or the row vanished after a
    # concurrent change of department. The second read runs after the lock is held, so it
    # sees the committed row and its current relations.
    if connection.features.has_select_for_update:  # SQLite locks the whole database instead
        Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk").get()
    locked = _LOCKED_READ.one(ticket.pk)
    if locked is None:
        raise Ticket.DoesNotExist(f"ticket {ticket.pk} does not exist")
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            f"the ticket was changed by someone else (version {locked.version}, "
            f"you had {expected_version}); reload and try again"
        )
    return locked


def _snapshot(ticket: Ticket, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in fields}


def _save(ticket: Ticket, fields: Iterable[str], *, reselect_policy: bool = False) -> None:
    """Save the changed fields, bump the version, and move the SLA clock along."""
    now = clock.now()
    sla_fields, sla_events = sla_refresh(ticket, now=now, reselect_policy=reselect_policy)
    ticket.version += 1
    ticket.updated_at = now
    rows.update(ticket, [*fields, *sla_fields, "version", "updated_at"])  # see core.rows
    if "sla_next_check_at" in sla_fields:
        sla_schedule([ticket])
    sla_record_events(ticket, sla_events)


def _set_status(ticket: Ticket, status: Status) -> list[str]:
    """Set the status and its timestamps; returns the fields changed."""
    now = clock.now()
    changed = ["status", "status_changed_at"]
    if ticket.status == Status.PENDING and status is not Status.PENDING:
        ticket.pending_reminded_at = None
        changed.append("pending_reminded_at")
    ticket.status = status.value
    ticket.status_changed_at = now
    if status is Status.RESOLVED:
        ticket.resolved_at = now
        changed.append("resolved_at")
    elif status is Status.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    return changed


def _transition(ticket: Ticket, action: Action) -> Status:
    try:
        return next_status(ticket.status, action)
    except TransitionError as error:
        raise InvalidTransition(str(error)) from None


def _add_entry(
    ticket: Ticket,
    *,
    kind: EntryKind,
    author: User | None,
    body: str,
    channel: str = "web",
    text_format: str = "markdown",
    message_id: str = "",
) -> ThreadEntry:
    entry = ThreadEntry(
        ticket=ticket,
        kind=kind,
        author=author,
        body=body,
        body_html=render(body, text_format),
        channel=channel,
        message_id=message_id[:255],
    )
    rows.insert(entry)  # see helpline.core.rows
    return entry


def _status_event(ticket: Ticket, actor: User | None, old: str, new: Status) -> None:
    """A public thread line for a status change, so the customer sees what happened."""
    if old != new.value:
        _add_entry(
            ticket,
            kind=EntryKind.EVENT,
            author=actor,
            body=f"Status changed from {Status(old).label} to {new.label}.",
        )


def _store_attachments(
    ticket: Ticket, entry: ThreadEntry | None, files: Sequence[UploadedFileLike]
) -> None:
    for upload in files:
        name = (upload.name or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:255]
        content_type = (
            upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        attachment = Attachment(
            ticket=ticket,
            entry=entry,
            filename=name or "attachment",
            content_type=content_type[:120],
            size=upload.size or 0,
        )
        attachment.file.save(name, upload, save=False)  # type: ignore[arg-type]
        attachment.save()


def check_attachments(files: Sequence[UploadedFileLike]) -> None:
    """Refuse too many or too large files before anything is written."""
    limit = settings.HELPLINE_MAX_ATTACHMENT_BYTES
    if len(files) > settings.HELPLINE_MAX_ATTACHMENTS:
        raise ValidationFailed(
            f"at most {settings.HELPLINE_MAX_ATTACHMENTS} attachments",
            fields={"attachments": "too many files"},
        )
    for upload in files:
        if (upload.size or 0) > limit:
            raise ValidationFailed(
                f"{upload.name} is larger than {limit // (1024 * 1024)} MB",
                fields={"attachments": f"{upload.name} is too large"},
            )


def _clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"{field.replace('_', ' ')} is required", fields={field: "required"})
    if len(value) > max_length:
        raise ValidationFailed(
            f"{field} is longer than {max_length} characters",
            fields={field: f"at most {max_length} characters"},
        )
    return value


def _enum(enum: type[Any], value: Any, field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValidationFailed(
            f"{field} must be one of {allowed}", fields={field: f"one of {allowed}"}
        ) from None


def _load_priority_matrix() -> dict[tuple[Level, Level], Priority]:
    return {
        (Level(cell.impact), Level(cell.urgency)): Priority(cell.priority)
        for cell in PriorityMatrixEntry.objects.all()
    }


_priority_matrix = ConfigCache(
    "priority-matrix", _load_priority_matrix, models=[PriorityMatrixEntry]
)


def priority_matrix() -> dict[tuple[Level, Level], Priority]:
    """The impact × urgency → priority matrix (cached: see ``helpline.core.configcache``)."""
    return _priority_matrix.get()


def _tag_names(names: Iterable[str]) -> list[str]:
    """The tag names as stored (trimmed, lower case, sorted, no repeats); at most 20."""
    cleaned = sorted({name.strip().lower()[:64] for name in names if name and name.strip()})
    if len(cleaned) > 20:
        raise ValidationFailed("at most 20 tags", fields={"tags": "at most 20 tags"})
    return cleaned


def _tags(names: Iterable[str]) -> list[Tag]:
    cleaned = _tag_names(names)
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=cleaned)}
    for name in cleaned:
        if name not in existing:
            existing[name], _ = Tag.objects.get_or_create(name=name)
    return [existing[name] for name in cleaned]


def _assign(ticket: Ticket, agent: User | None) -> list[str]:
    ticket.assignee = agent
    if agent is not None:  # round robin's turn order
        agent.last_assigned_at = clock.now()
        # The only receiver of a user's save is the support roster's cache, which ignores
        # this column (selectors.ROSTER_IGNORED_FIELDS).
        rows.update(agent, ["last_assigned_at"], receivers_applied=True)
    return ["assignee"]
