"""The only writers of ticket state.

Every function here follows the same order: lock the row, check the caller's rights, check the
transition, change the row and bump its version, append the audit event, and schedule side
effects (mail, webhooks) with ``transaction.on_commit`` so nothing leaves the building for a
change that was rolled back. Callers pass the actor; the UI, the API, mail ingestion, rules and
tasks all come through here.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from helpline.accounts.models import User
from helpline.accounts.services import customer_get_or_create
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from helpline.core.html import render_markdown
from helpline.directory.models import Category, Department, HelpTopic, Tag, Team
from helpline.notifications import events as notify
from helpline.sla.models import Policy
from helpline.sla.services import sla_record_events, sla_refresh
from helpline.tickets import access
from helpline.tickets.assignment import pick_agent
from helpline.tickets.models import (
    Attachment,
    Counter,
    EntryKind,
    PriorityMatrixEntry,
    ThreadEntry,
    Ticket,
)
from helpline.tickets.priority import derive_priority
from helpline.tickets.states import (
    Action,
    Channel,
    Level,
    Priority,
    Status,
    TicketType,
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


def _next_ticket_number() -> int:
    """Take the next ticket number. Call inside a transaction: the counter row stays locked
    until it commits, so concurrent creators get distinct numbers."""
    for _ in range(3):
        if Counter.objects.filter(name="ticket").update(value=F("value") + 1):
            return Counter.objects.get(name="ticket").value
        try:
            with transaction.atomic():
                Counter.objects.create(name="ticket", value=FIRST_TICKET_NUMBER)
            return FIRST_TICKET_NUMBER
        except IntegrityError:
            continue  # someone else created it first; increment theirs
    raise Conflict("could not allocate a ticket number, try again")


def _lock(ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """Re-read ``ticket`` under a row lock; check the caller's version if given."""
    # Lock with a join-free query, then read with the joins. PostgreSQL refuses FOR UPDATE on
    # the nullable side of an outer join, and when a locking query waited for a concurrent
    # writer it re-checks the new row against the *old* joined rows: the related objects
    # came back stale or NULL (a wrong audit "before"), or the row vanished after a
    # concurrent change of department. The second read runs after the lock is held, so it
    # sees the committed row and its current relations.
    Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk").get()
    locked = Ticket.objects.select_related(
        "requester", "assignee", "department", "team", "help_topic"
    ).get(pk=ticket.pk)
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
    ticket.save(update_fields=list({*fields, *sla_fields, "version", "updated_at"}))
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
    ticket: Ticket, *, kind: EntryKind, author: User | None, body: str, channel: str = "web"
) -> ThreadEntry:
    return ThreadEntry.objects.create(
        ticket=ticket,
        kind=kind,
        author=author,
        body=body,
        body_html=render_markdown(body),
        channel=channel,
    )


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


def priority_matrix() -> dict[tuple[Level, Level], Priority]:
    return {
        (Level(cell.impact), Level(cell.urgency)): Priority(cell.priority)
        for cell in PriorityMatrixEntry.objects.all()
    }


def _tags(names: Iterable[str]) -> list[Tag]:
    cleaned = sorted({name.strip().lower()[:64] for name in names if name and name.strip()})
    if len(cleaned) > 20:
        raise ValidationFailed("at most 20 tags", fields={"tags": "at most 20 tags"})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=cleaned)}
    for name in cleaned:
        if name not in existing:
            existing[name], _ = Tag.objects.get_or_create(name=name)
    return [existing[name] for name in cleaned]


def _assign(ticket: Ticket, agent: User | None) -> list[str]:
    ticket.assignee = agent
    if agent is not None:
        User.objects.filter(pk=agent.pk).update(last_assigned_at=clock.now())
    return ["assignee"]


# --- create --------------------------------------------------------------------------------


def ticket_create(
    *,
    actor: User,
    subject: str,
    description: str,
    requester: User | None = None,
    requester_email: str | None = None,
    help_topic: HelpTopic | None = None,
    type: str | None = None,
    category: Category | None = None,
    impact: str | None = None,
    urgency: str | None = None,
    tags: Iterable[str] = (),
    device: str = "",
    location: str = "",
    channel: str = Channel.WEB,
    department: Department | None = None,
    attachments: Sequence[UploadedFileLike] = (),
) -> Ticket:
    """Open a ticket, route it by help topic and assign it to a level-1 agent.

    Customers always create for themselves; agents may name a requester by email (created as
    a customer if unknown).
    """
    subject = _clean_text(subject, field="subject", max_length=250)
    description = _clean_text(description, field="description", max_length=100_000)
    impact_level = _enum(Level, impact or Level.MEDIUM, "impact")
    urgency_level = _enum(Level, urgency or Level.MEDIUM, "urgency")
    channel = _enum(Channel, channel, "channel")
    device = _clean_text(device, field="device", max_length=200, required=False)
    location = _clean_text(location, field="location", max_length=200, required=False)
    check_attachments(attachments)
    if help_topic is not None and not help_topic.is_public and not actor.is_agent:
        raise ValidationFailed("unknown help topic", fields={"help_topic_id": "unknown"})
    if requester_email and not actor.is_agent:
        raise PermissionDenied("only the support team can open a ticket for someone else")

    with transaction.atomic():
        if not actor.is_agent:
            requester = actor
        elif requester is None:
            requester = (
                customer_get_or_create(email=requester_email, actor=actor)
                if requester_email
                else actor
            )
        department = department or (help_topic.department if help_topic else None)
        if department is None:
            department = Department.objects.filter(is_active=True).order_by("id").first()
            if department is None:
                raise ValidationFailed("no department is configured to receive tickets")
        ticket_type = _enum(
            TicketType, type or (help_topic.type if help_topic else TicketType.INCIDENT), "type"
        )
        if help_topic is not None and help_topic.priority:
            priority = Priority(help_topic.priority)
        else:
            priority = derive_priority(impact_level, urgency_level, priority_matrix())
        now = clock.now()
        ticket = Ticket(
            number=_next_ticket_number(),
            subject=subject,
            description=description,
            description_html=render_markdown(description),
            type=ticket_type.value,
            status=Status.NEW.value,
            category=category,
            impact=impact_level.value,
            urgency=urgency_level.value,
            priority=priority.value,
            requester=requester,
            organization_id=requester.organization_id,
            device=device,
            location=location,
            channel=channel.value,
            department=department,
            support_level=1,
            help_topic=help_topic,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
        agent = pick_agent(department_id=department.pk, level=1, tags=tags)
        if agent is not None:
            _assign(ticket, agent)
        sla_refresh(ticket, now=now)
        ticket.save()
        if tags:
            ticket.tags.set(_tags(tags))
        _store_attachments(ticket, None, attachments)
        audit_record(
            actor=actor,
            action="ticket.create",
            obj=ticket,
            ticket=ticket,
            after=_snapshot(
                ticket,
                ["status", "priority", "department", "assignee", "support_level", "requester"],
            ),
        )
        notify.ticket_created(ticket)
        if agent is not None:
            notify.ticket_assigned(ticket, agent)
    return ticket


# --- thread --------------------------------------------------------------------------------


def ticket_reply(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    attachments: Sequence[UploadedFileLike] = (),
    channel: str = Channel.WEB,
) -> ThreadEntry:
    """A public message: a reply from an agent, or a message from the customer.

    An agent's first reply is the first response and starts work on a new ticket; a customer
    message brings a pending or resolved ticket back to open.
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
        entry = _add_entry(ticket, kind=kind, author=actor, body=body, channel=channel)
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


# --- lifecycle -----------------------------------------------------------------------------


def ticket_transition(
    *,
    actor: User,
    ticket: Ticket,
    action: str,
    resolution: Resolution | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move the ticket along its lifecycle: pend, hold, resume, resolve, reopen, close.

    ``resolve`` needs a ``resolution`` (problem identified and action taken at least);
    ``reopen`` needs a ``reason``. A customer may only close (confirm) or reopen their own
    resolved ticket.
    """
    action_enum = _enum(Action, action, "action")
    if action_enum in (Action.CUSTOMER_REPLY, Action.OPEN):
        raise ValidationFailed(f"{action} is not a transition you can ask for")
    reason = (reason or "").strip()[:5000]
    if action_enum is Action.REOPEN and not reason:
        raise ValidationFailed("say why the ticket is reopened", fields={"reason": "required"})
    if action_enum is Action.RESOLVE:
        if resolution is None:
            raise ValidationFailed(
                "a resolution is required", fields={"resolution": "required to resolve"}
            )
        resolution.check()
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, action_enum)
        new_status = _transition(ticket, action_enum)
        fields = ["status", "resolution_problem", "resolution_action", "reopen_count"]
        before = _snapshot(ticket, fields)
        changed = _set_status(ticket, new_status)
        if resolution is not None and action_enum is Action.RESOLVE:
            ticket.resolution_problem = resolution.problem_identified.strip()
            ticket.resolution_action = resolution.action_taken.strip()
            ticket.resolution_confirmation = resolution.confirmation.strip()
            ticket.resolution_next_steps = resolution.next_steps.strip()
            changed += [
                "resolution_problem",
                "resolution_action",
                "resolution_confirmation",
                "resolution_next_steps",
            ]
            if ticket.first_response_at is None:
                # The resolution notice is the desk's first public answer.
                ticket.first_response_at = ticket.resolved_at
                changed.append("first_response_at")
        if action_enum is Action.REOPEN:
            ticket.reopen_count += 1
            ticket.resolved_at = None
            changed += ["reopen_count", "resolved_at"]
        _status_event(ticket, actor, before["status"], new_status)
        if reason:
            # The customer's own words stay public; an agent's reason is an internal note.
            _add_entry(
                ticket,
                kind=EntryKind.NOTE if actor.is_agent else EntryKind.CUSTOMER_MESSAGE,
                author=actor,
                body=f"{action_enum.value.capitalize()}: {reason}",
            )
        _save(ticket, changed)
        audit_record(
            actor=actor,
            action=f"ticket.{action_enum.value}",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, fields),
            note=reason,
        )
        notify.status_changed(ticket, action_enum.value)
    return ticket


def ticket_take(*, actor: User, ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """An agent claims the ticket for themselves; a new ticket becomes open."""
    access.check_is_agent(actor, "take tickets")
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        if ticket.is_closed:
            raise InvalidTransition("this ticket is closed")
        if not actor.is_admin and not access.is_member(actor, ticket.department_id):
            raise ValidationFailed("you are not a member of this ticket's department")
        before = _snapshot(ticket, ["assignee", "status"])
        changed = _assign(ticket, actor)
        if ticket.status == Status.NEW:
            changed += _set_status(ticket, Status.OPEN)
            _status_event(ticket, actor, before["status"], Status.OPEN)
        _save(ticket, changed)
        audit_record(
            actor=actor,
            action="ticket.take",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, ["assignee", "status"]),
        )
    return ticket


def ticket_assign(
    *, actor: User, ticket: Ticket, assignee: User | None, expected_version: int | None = None
) -> Ticket:
    """Give the ticket to an agent of its department (or unassign with None)."""
    access.check_is_agent(actor, "assign tickets")
    if assignee is not None and not assignee.is_agent:
        raise ValidationFailed(
            "tickets can only be assigned to agents", fields={"assignee": "not an agent"}
        )
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.is_closed:
            raise InvalidTransition("this ticket is closed")
        if (
            assignee is not None
            and not assignee.is_admin
            and not access.is_member(assignee, ticket.department_id)
        ):
            raise ValidationFailed(
                f"{assignee.display_name} is not a member of {ticket.department}",
                fields={"assignee": "not in this department"},
            )
        before = _snapshot(ticket, ["assignee"])
        _save(ticket, _assign(ticket, assignee))
        audit_record(
            actor=actor,
            action="ticket.assign",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, ["assignee"]),
        )
        if assignee is not None and assignee.pk != actor.pk:
            notify.ticket_assigned(ticket, assignee)
    return ticket


def ticket_escalate(
    *,
    actor: User,
    ticket: Ticket,
    note: str,
    to_level: int | None = None,
    department: Department | None = None,
    team: Team | None = None,
    agent: User | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Functional escalation, with a required note (kept internal).

    With no target the ticket goes to the next support level of its department. A department,
    team, level or named agent can be given; the new assignee is picked by the assignment
    function among available agents of the target level, or left unassigned in the queue.
    """
    access.check_is_agent(actor, "escalate tickets")
    note = _clean_text(note, field="note", max_length=20_000)
    if agent is not None and not agent.is_agent:
        raise ValidationFailed(
            "escalation can only go to an agent", fields={"agent": "not an agent"}
        )
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.status not in (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD):
            raise InvalidTransition(f"cannot escalate a ticket that is {ticket.status_enum.label}")
        fields = ["support_level", "department", "team", "assignee", "status"]
        before = _snapshot(ticket, fields)
        level = to_level
        if level is None and department is None and team is None and agent is None:
            level = ticket.support_level + 1
        if level is not None and not 1 <= level <= MAX_LEVEL:
            raise ValidationFailed(
                f"there is no support level {level}",
                fields={"to_level": f"between 1 and {MAX_LEVEL}"},
            )
        target_department = department or ticket.department
        if (
            agent is not None
            and not agent.is_admin
            and not access.is_member(agent, target_department.pk)
        ):
            raise ValidationFailed(
                f"{agent.display_name} is not a member of {target_department}",
                fields={"agent": "not in the target department"},
            )
        if (
            (level is None or level == ticket.support_level)
            and target_department.pk == ticket.department_id
            and team is None
            and agent is None
        ):
            raise ValidationFailed("the ticket is already there", fields={"to_level": "unchanged"})
        ticket.department = target_department
        if level is not None:
            ticket.support_level = level
        if team is not None:
            ticket.team = team
        new_agent = agent or pick_agent(
            department_id=target_department.pk,
            level=ticket.support_level,
            exclude_ids=(actor.pk,),
            tags=[tag.name for tag in ticket.tags.all()],
        )
        changed = ["support_level", "department", "team", *_assign(ticket, new_agent)]
        if ticket.status == Status.NEW:
            changed += _set_status(ticket, Status.OPEN)
            _status_event(ticket, actor, before["status"], Status.OPEN)
        _add_entry(ticket, kind=EntryKind.NOTE, author=actor, body=f"Escalated: {note}")
        _save(ticket, changed, reselect_policy=before["department"] != ticket.department)
        audit_record(
            actor=actor,
            action="ticket.escalate",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, fields),
            note=note,
        )
        notify.ticket_escalated(ticket, new_agent)
    return ticket


# --- edit ----------------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "subject", "type", "category", "impact", "urgency", "priority", "tags", "device",
    "location", "team", "help_topic",
)  # fmt: skip


def ticket_update(
    *, actor: User, ticket: Ticket, expected_version: int, changes: Mapping[str, Any]
) -> Ticket:
    """Edit ticket fields (agents only), guarded by optimistic locking.

    ``changes`` holds already-resolved values: model instances for category, team and help
    topic. Changing impact or urgency re-derives the priority unless a priority is also given.
    """
    access.check_is_agent(actor, "edit tickets")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            "these fields cannot be changed here: " + ", ".join(sorted(unknown)),
            fields={name: "not editable" for name in unknown},
        )
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.is_closed:
            raise InvalidTransition("closed tickets cannot be changed")
        plain = [name for name in changes if name != "tags"]
        rederive = ("impact" in changes or "urgency" in changes) and "priority" not in changes
        if rederive:
            plain.append("priority")
        before = _snapshot(ticket, plain)
        if "tags" in changes:
            before["tags"] = sorted(tag.name for tag in ticket.tags.all())
        for name in changes:
            if name == "tags":
                continue
            value = changes[name]
            if name == "subject":
                value = _clean_text(value, field="subject", max_length=250)
            elif name in ("device", "location"):
                value = _clean_text(value or "", field=name, max_length=200, required=False)
            elif name == "type":
                value = _enum(TicketType, value, "type").value
            elif name in ("impact", "urgency"):
                value = _enum(Level, value, name).value
            elif name == "priority":
                value = _enum(Priority, value, "priority").value
            setattr(ticket, name, value)
        if rederive:
            ticket.priority = derive_priority(
                ticket.impact, ticket.urgency, priority_matrix()
            ).value
        after = _snapshot(ticket, plain)
        if "tags" in changes:
            tags = _tags(changes["tags"] or [])
            ticket.tags.set(tags)
            after["tags"] = [tag.name for tag in tags]
        _save(ticket, plain, reselect_policy="help_topic" in changes)
        audit_record(
            actor=actor,
            action="ticket.update",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=after,
        )
    return ticket


def ticket_set_sla_policy(
    *,
    actor: User,
    ticket: Ticket,
    policy: Policy,
    reason: str,
    expected_version: int | None = None,
) -> Ticket:
    """Put the ticket under another SLA policy (agents, with a reason kept as an internal
    note); its due times are recomputed from creation under the new policy's targets."""
    access.check_is_agent(actor, "change a ticket's SLA policy")
    reason = _clean_text(reason, field="reason", max_length=5000)
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.is_closed:
            raise InvalidTransition("closed tickets cannot be changed")
        if ticket.sla_policy_id == policy.pk:
            raise ValidationFailed(
                "the ticket is under this policy already", fields={"policy": "unchanged"}
            )
        before = _snapshot(ticket, ["sla_policy", "resolution_due_at"])
        ticket.sla_policy = policy
        _add_entry(ticket, kind=EntryKind.NOTE, author=actor, body=f"SLA policy changed: {reason}")
        _save(ticket, ["sla_policy"])
        audit_record(
            actor=actor,
            action="ticket.sla_policy",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, ["sla_policy", "resolution_due_at"]),
            note=reason,
        )
    return ticket


def ticket_route(
    *, actor: User, ticket: Ticket, department: Department, reassign: bool = True
) -> Ticket:
    """Move the ticket to another department at its support level (routing by an agent or an
    automation rule; unlike escalation it needs no note and keeps the level).

    An assignee who is not a member of the new department (admins always are) loses the
    ticket; with ``reassign`` the new department's assignment strategy picks someone.
    """
    access.check_is_agent(actor, "route tickets")
    if not department.is_active:
        raise ValidationFailed(
            f"{department} does not take tickets", fields={"department": "inactive"}
        )
    with transaction.atomic():
        ticket = _lock(ticket)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.is_closed:
            raise InvalidTransition("this ticket is closed")
        if ticket.department_id == department.pk:
            return ticket
        before = _snapshot(ticket, ["department", "assignee"])
        ticket.department = department
        changed = ["department"]
        assignee = ticket.assignee
        keeps = assignee is not None and (
            assignee.is_admin or access.is_member(assignee, department.pk)
        )
        new_agent = None
        if not keeps:
            if reassign:
                new_agent = pick_agent(
                    department_id=department.pk,
                    level=ticket.support_level,
                    tags=[tag.name for tag in ticket.tags.all()],
                )
            changed += _assign(ticket, new_agent)
        _save(ticket, changed, reselect_policy=True)
        audit_record(
            actor=actor,
            action="ticket.route",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, ["department", "assignee"]),
        )
        if new_agent is not None:
            notify.ticket_assigned(ticket, new_agent)
    return ticket
