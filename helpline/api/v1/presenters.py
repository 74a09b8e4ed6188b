"""Model rows → output schemas. Reads only what the selectors already loaded.

The ticket and thread schemas are built with ``model_construct``: the values come from our own
rows with the schema's types already, and validating them (through django-ninja's
``DjangoGetter`` wrapper, once per nested object) cost more than the SQL of a list page.
Django-ninja returns a model instance of the response type without validating it again.

A long thread is listed from plain data instead (``entry_data``: what ``model_dump()`` of the
schema gives, held equal to it by a test) and rendered by django-ninja's own renderer
(``rendered``): for 500 entries, building and dumping 1,000 schema objects cost more than
reading the rows. The whole thread goes further (``thread_data``): from the rows' values,
without model instances, its times already written as the renderer writes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from helpline.accounts.models import User
from helpline.api.v1.schemas import (
    AgentOut,
    AssigneeRef,
    EntryOut,
    EventOut,
    HelpTopicOut,
    MeOut,
    PersonRef,
    Ref,
    ResolutionOut,
    SlaOut,
    SlaTargetOut,
    TicketOut,
)
from helpline.audit.models import AuditEvent
from helpline.core.rows import prefetched
from helpline.directory.models import HelpTopic
from helpline.sla.selectors import policy_name
from helpline.tickets.models import Attachment, EntryKind, ThreadEntry, Ticket
from helpline.tickets.selectors import ThreadRows


def ref(obj: Model | None) -> Ref | None:
    if obj is None:
        return None
    return Ref.model_construct(id=obj.pk, name=_name(obj))


def _name(obj: Model) -> str:
    return obj.display_name if isinstance(obj, User) else getattr(obj, "name", str(obj))


def rendered(request: HttpRequest, data: Any, *, status: int = 200) -> HttpResponse:
    """``data`` rendered as django-ninja renders a response (its JSON renderer and content
    type), without validating it against the schema: for data built to the schema's
    ``model_dump()``, such as ``entry_data``'s."""
    from helpline.api.v1.api import api  # the API module imports this one

    return api.create_response(request, data, status=status)


def me(user: User) -> MeOut:
    return MeOut(
        id=user.pk,
        email=user.email,
        name=user.display_name,
        role=user.role,
        support_level=user.support_level,
        language=user.language,
    )


def ticket(ticket: Ticket, *, allowed_actions: list[str]) -> TicketOut:
    """Call with the related rows and tags loaded (``select_related``/``prefetch_related``)."""
    assignee = ticket.assignee
    requester = ticket.requester
    return TicketOut.model_construct(
        number=ticket.number,
        subject=ticket.subject,
        description=ticket.description,
        type=ticket.type,
        status=ticket.status,
        priority=ticket.priority,
        impact=ticket.impact,
        urgency=ticket.urgency,
        category=ref(ticket.category),
        tags=sorted(tag.name for tag in prefetched(ticket, "tags")),
        department=Ref.model_construct(id=ticket.department.pk, name=ticket.department.name),
        team=ref(ticket.team),
        assignee=(
            AssigneeRef.model_construct(
                id=assignee.pk, name=assignee.display_name, support_level=assignee.support_level
            )
            if assignee is not None
            else None
        ),
        support_level=ticket.support_level,
        requester=PersonRef.model_construct(
            id=requester.pk, name=requester.display_name, email=requester.email
        ),
        help_topic=ref(ticket.help_topic),
        channel=ticket.channel,
        device=ticket.device,
        location=ticket.location,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        resolution=resolution(ticket.resolution),
        version=ticket.version,
        sla=sla(ticket),
        allowed_actions=allowed_actions,
    )


def resolution(record: object) -> ResolutionOut:
    fields = record if isinstance(record, dict) else {}
    values: dict[str, Any] = {
        name: str(fields.get(name) or "") for name in ResolutionOut.model_fields
    }
    return ResolutionOut.model_construct(**values)


def sla(ticket: Ticket) -> SlaOut:
    """The SLA fields; the policy's name comes from a cache unless it was loaded with the
    ticket, so a page of tickets costs no query per ticket."""
    policy = None
    if ticket.sla_policy_id is not None:
        if Ticket.sla_policy.is_cached(ticket):  # type: ignore[attr-defined]
            name = ticket.sla_policy.name if ticket.sla_policy else ""
        else:
            name = policy_name(ticket.sla_policy_id)
        policy = Ref.model_construct(id=ticket.sla_policy_id, name=name)
    met_at = {"first_response": ticket.first_response_at, "resolution": ticket.resolved_at}

    def target(name: str) -> SlaTargetOut:
        state = getattr(ticket, f"{name}_state") or None
        return SlaTargetOut.model_construct(
            due_at=getattr(ticket, f"{name}_due_at"),
            state=state,
            met_at=met_at.get(name) if state in ("met", "breached") else None,
        )

    return SlaOut.model_construct(
        policy=policy,
        first_response=target("first_response"),
        next_response=target("next_response"),
        resolution=target("resolution"),
        paused_minutes=ticket.sla_paused_minutes,
        paused_since=ticket.sla_paused_since,
    )


def entry(entry: ThreadEntry) -> EntryOut:
    return EntryOut.model_validate(entry_data(entry))


def entry_data(entry: ThreadEntry) -> dict[str, Any]:
    """What ``EntryOut.model_dump()`` gives for ``entry``, built directly (keys in the
    schema's order)."""
    author = entry.author
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "internal": entry.is_internal,
        "author": None if author is None else {"id": author.pk, "name": _name(author)},
        "body": entry.body,
        "body_html": entry.body_html,
        "channel": entry.channel,
        "created_at": entry.created_at,
        "attachments": [
            {
                "id": attachment.pk,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
            }
            for attachment in _files(entry)
        ],
    }


def thread_data(thread: ThreadRows) -> list[dict[str, Any]]:
    """``entry_data`` of each entry of ``thread``, with the times already written as the
    JSON renderer writes them (``json_time``): the same JSON once rendered (a test holds it).
    The author of many entries is one dict, written as often as it appears."""
    authors = {pk: {"id": pk, "name": _name(user)} for pk, user in thread.authors.items()}
    items = []
    for row in thread.entries:
        author_id = row["author_id"]
        items.append(
            {
                "id": row["id"],
                "kind": row["kind"],
                "internal": row["kind"] == EntryKind.NOTE,
                "author": None if author_id is None else authors[author_id],
                "body": row["body"],
                "body_html": row["body_html"],
                "channel": row["channel"],
                "created_at": json_time(row["created_at"]),
                "attachments": [
                    {
                        "id": attachment.pk,
                        "filename": attachment.filename,
                        "content_type": attachment.content_type,
                        "size": attachment.size,
                    }
                    for attachment in thread.files[row["id"]]
                ],
            }
        )
    return items


def json_time(moment: datetime) -> str:
    """``moment`` as Django's JSON encoder (django-ninja's renderer) writes it: ISO 8601 with
    milliseconds, ``Z`` for UTC. Written before rendering, the value no longer goes through
    the encoder's Python fallback, once per value of a long listing."""
    text = moment.isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text.removesuffix("+00:00") + "Z"
    return text


def _files(entry: ThreadEntry) -> list[Attachment]:
    """The entry's attachments as the selectors loaded them (``files``), else read now (a
    new entry just written has none loaded)."""
    files: list[Attachment] | None = getattr(entry, "files", None)
    return files if files is not None else list(entry.attachments.all())


def event(event: AuditEvent) -> EventOut:
    return EventOut(
        id=event.pk,
        action=event.action,
        actor=ref(event.actor),
        changes=event.changes if isinstance(event.changes, dict) else {},
        note=event.note,
        created_at=event.created_at,
    )


def help_topic(topic: HelpTopic) -> HelpTopicOut:
    return HelpTopicOut(
        id=topic.pk,
        name=topic.name,
        description=topic.description,
        department=Ref.model_construct(id=topic.department.pk, name=topic.department.name),
        type=topic.type,
        priority=topic.priority or None,
    )


def agent(user: User, *, now: datetime) -> AgentOut:
    """Call with ``departments`` prefetched."""
    return AgentOut(
        id=user.pk,
        name=user.display_name,
        email=user.email,
        support_level=user.support_level,
        departments=[
            Ref.model_construct(id=d.pk, name=d.name) for d in prefetched(user, "departments")
        ],
        available=user.is_available_at(now),
    )
