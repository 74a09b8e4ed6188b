"""Model rows → output schemas. Reads only what the selectors already loaded.

Lists are rendered from plain data (``rendered``, django-ninja's own renderer) instead of
schema objects: for a page of 25 tickets, building and dumping 225 schema objects cost more
than reading the rows, and for 500 thread entries 1,000 of them. The plain data is what
django-ninja would write for the schema, held equal to it by tests:

- ``ticket_data`` and ``thread_data`` write their times as the renderer does (``json_time``),
  so the encoder does not call its Python fallback once per value; ``thread_data`` reads
  the rows' values, without model instances;
- ``entry_data`` (a page of a thread) is what ``model_dump()`` gives.

A single ticket is ``ticket_data`` validated into its schema. The other schemas are built
with ``model_construct``: the values come from our own rows with the schema's types already,
and validating them (through django-ninja's ``DjangoGetter`` wrapper, once per nested object)
cost more than the SQL. Django-ninja returns a model instance of the response type without
validating it again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from helpline.accounts.models import User
from helpline.api.v1.schemas import (
    AgentOut,
    EntryOut,
    EventOut,
    HelpTopicOut,
    MeOut,
    Ref,
    ResolutionOut,
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
    """One ticket as its schema: ``ticket_data`` validated (a list renders the data as it is).
    Call with the related rows and tags loaded (``select_related``/``prefetch_related``)."""
    return TicketOut.model_validate(ticket_data(ticket, allowed_actions=allowed_actions))


def ticket_data(ticket: Ticket, *, allowed_actions: list[str]) -> dict[str, Any]:
    """What the renderer writes for ``TicketOut`` of ``ticket``, as plain data: keys in the
    schema's order, times already written (``json_time``). A page of 25 tickets built 225
    schema objects for this, which cost more than reading the page. Call with the related
    rows and tags loaded."""
    assignee = ticket.assignee
    requester = ticket.requester
    department = ticket.department
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "description": ticket.description,
        "type": ticket.type,
        "status": ticket.status,
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "category": _ref(ticket.category),
        "tags": sorted(tag.name for tag in prefetched(ticket, "tags")),
        "department": {"id": department.pk, "name": department.name},
        "team": _ref(ticket.team),
        "assignee": (
            {
                "id": assignee.pk,
                "name": assignee.display_name,
                "support_level": assignee.support_level,
            }
            if assignee is not None
            else None
        ),
        "support_level": ticket.support_level,
        "requester": {
            "id": requester.pk,
            "name": requester.display_name,
            "email": requester.email,
        },
        "help_topic": _ref(ticket.help_topic),
        "channel": ticket.channel,
        "device": ticket.device,
        "location": ticket.location,
        "created_at": json_time(ticket.created_at),
        "updated_at": json_time(ticket.updated_at),
        "first_response_at": _json_time(ticket.first_response_at),
        "resolved_at": _json_time(ticket.resolved_at),
        "closed_at": _json_time(ticket.closed_at),
        "resolution": resolution_data(ticket.resolution),
        "version": ticket.version,
        "sla": sla_data(ticket),
        "allowed_actions": allowed_actions,
    }


def _ref(obj: Model | None) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": _name(obj)}


def resolution_data(record: object) -> dict[str, str]:
    """``ResolutionOut`` of a ticket's resolution record, as plain data."""
    fields = record if isinstance(record, dict) else {}
    return {name: str(fields.get(name) or "") for name in ResolutionOut.model_fields}


def sla_data(ticket: Ticket) -> dict[str, Any]:
    """``SlaOut`` of ``ticket`` as plain data; the policy's name comes from a cache unless it
    was loaded with the ticket, so a page of tickets costs no query per ticket."""
    policy = None
    if ticket.sla_policy_id is not None:
        if Ticket.sla_policy.is_cached(ticket):  # type: ignore[attr-defined]
            name = ticket.sla_policy.name if ticket.sla_policy else ""
        else:
            name = policy_name(ticket.sla_policy_id)
        policy = {"id": ticket.sla_policy_id, "name": name}
    met_at = {"first_response": ticket.first_response_at, "resolution": ticket.resolved_at}

    def target(name: str) -> dict[str, Any]:
        state = getattr(ticket, f"{name}_state") or None
        return {
            "due_at": _json_time(getattr(ticket, f"{name}_due_at")),
            "state": state,
            "met_at": _json_time(met_at.get(name)) if state in ("met", "breached") else None,
        }

    return {
        "policy": policy,
        "first_response": target("first_response"),
        "next_response": target("next_response"),
        "resolution": target("resolution"),
        "paused_minutes": ticket.sla_paused_minutes,
        "paused_since": _json_time(ticket.sla_paused_since),
    }


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


def _json_time(moment: datetime | None) -> str | None:
    return None if moment is None else json_time(moment)


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
