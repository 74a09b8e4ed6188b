"""Reads of tickets, always through the visibility filter of ``access``.

Lists use keyset pagination on the ticket id (newest first): a page costs the same at ticket
10 and ticket 1,000,000, and the count badges are separate indexed queries capped at COUNT_CAP,
never a COUNT over a whole list view.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from helpline.accounts.models import Role, User
from helpline.audit.models import AuditEvent
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.directory.models import Department, DepartmentMembership, HelpTopic
from helpline.tickets.access import can_see_internal, tickets_visible_to
from helpline.tickets.models import PUBLIC_ENTRY_KINDS, Attachment, ThreadEntry, Ticket
from helpline.tickets.states import ACTIVE, Status

MAX_PAGE = 100
# Queue badges count up to this many tickets; more shows as "1000+".
COUNT_CAP = 1000
LIST_RELATED = ("requester", "assignee", "department", "team", "help_topic", "category")

QUEUES = {
    "mine": "Assigned to me",
    "unassigned": "Unassigned in my departments",
    "department": "Open in my departments",
    "all": "All tickets I can see",
}


@dataclass(frozen=True)
class Page:
    items: list[Ticket]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if kind != "id":
            raise ValueError(cursor)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("invalid cursor", fields={"cursor": "invalid"}) from None


def _my_department_ids(user: User) -> QuerySet[DepartmentMembership, Any]:
    return DepartmentMembership.objects.filter(user=user).values("department_id")


def queue_filter(user: User, queue: str) -> Q:
    """The filter of a named agent queue (see QUEUES)."""
    active = Q(status__in=[s.value for s in ACTIVE])
    if queue == "mine":
        return active & Q(assignee=user)
    if queue == "unassigned":
        return active & Q(assignee__isnull=True, department__in=_my_department_ids(user))
    if queue == "department":
        return active & Q(department__in=_my_department_ids(user))
    if queue == "all":
        return Q()
    raise ValidationFailed(f"unknown queue {queue!r}", fields={"queue": "unknown"})


def ticket_list(
    *,
    user: User,
    queue: str | None = None,
    status: list[str] | None = None,
    department_id: int | None = None,
    assignee: str | None = None,
    requester: str | None = None,
    cursor: str | None = None,
    limit: int = 25,
) -> Page:
    """One page of the tickets ``user`` may see, newest first, with the filters applied.

    ``assignee`` is "me", "none" or an agent id; ``requester`` is "me".
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be 1 to {MAX_PAGE}", fields={"limit": "out of range"})
    queryset = tickets_visible_to(user)
    if queue:
        if not user.is_agent:
            raise PermissionDenied("queues are for the support team")
        queryset = queryset.filter(queue_filter(user, queue))
    if status:
        bad = [s for s in status if s not in Status.__members__.values()]
        if bad:
            raise ValidationFailed(f"unknown status {bad[0]!r}", fields={"status": "unknown"})
        queryset = queryset.filter(status__in=status)
    if department_id is not None:
        queryset = queryset.filter(department_id=department_id)
    if assignee == "me":
        queryset = queryset.filter(assignee=user)
    elif assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee:
        if not assignee.isdecimal():  # isdigit() accepts "²", which int() refuses
            raise ValidationFailed(
                "assignee must be me, none or an id", fields={"assignee": "invalid"}
            )
        queryset = queryset.filter(assignee_id=int(assignee))
    if requester == "me":
        queryset = queryset.filter(requester=user)
    elif requester:
        raise ValidationFailed("requester must be me", fields={"requester": "invalid"})
    if cursor:
        queryset = queryset.filter(id__lt=decode_cursor(cursor))
    rows = list(
        queryset.select_related(*LIST_RELATED).prefetch_related("tags").order_by("-id")[: limit + 1]
    )
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def queue_counts(*, user: User) -> dict[str, int]:
    """Counts for the agent queue badges, each one indexed query that stops counting past
    COUNT_CAP: a count above COUNT_CAP means "more than COUNT_CAP" (shown as "1000+").

    Capping is what keeps a badge cheap at a million tickets: the database reads at most
    COUNT_CAP + 1 index entries per queue, however big the queue is, and never counts a whole
    table. The "all" queue has no badge.
    """
    if not user.is_agent:
        return {}
    names = ("mine", "unassigned", "department")
    parts: list[str] = []
    params: list[Any] = []
    for name in names:
        queue = Ticket.objects.filter(queue_filter(user, name)).order_by().values("id")
        sql, queue_params = queue[: COUNT_CAP + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) capped_{name})")
        params.extend(queue_params)
    # One round trip for the three badges.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return {name: int(count) for name, count in zip(names, row, strict=True)}


def ticket_entries(*, user: User, ticket: Ticket) -> list[ThreadEntry]:
    """The thread as ``user`` may see it: internal notes only for agents and admins."""
    entries = ThreadEntry.objects.filter(ticket=ticket)
    if not can_see_internal(user):
        entries = entries.filter(kind__in=PUBLIC_ENTRY_KINDS)
    return list(
        entries.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("id")
    )


def ticket_attachments(*, user: User, ticket: Ticket) -> list[Attachment]:
    """Attachments ``user`` may download: none from internal notes for customers."""
    attachments = Attachment.objects.filter(ticket=ticket)
    if not can_see_internal(user):
        attachments = attachments.filter(
            Q(entry__isnull=True) | Q(entry__kind__in=PUBLIC_ENTRY_KINDS)
        )
    return list(attachments.order_by("id"))


def ticket_events(*, user: User, ticket: Ticket) -> list[AuditEvent]:
    """The audit trail; agents and admins only."""
    if not can_see_internal(user):
        raise PermissionDenied("the audit trail is for the support team")
    return list(AuditEvent.objects.filter(ticket=ticket).select_related("actor").order_by("id"))


def departments_for(*, user: User) -> list[Department]:
    return list(Department.objects.filter(is_active=True).order_by("name"))


def help_topics_for(*, user: User) -> list[HelpTopic]:
    """The help topics ``user`` may pick: public ones only for customers."""
    topics = HelpTopic.objects.select_related("department")
    if not user.is_agent:
        topics = topics.filter(is_public=True)
    return list(topics.order_by("order", "name"))


def agent_list(*, department_id: int | None = None) -> list[User]:
    """Agents and admins with their departments (two queries whatever the count)."""
    agents = User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
    if department_id is not None:
        agents = agents.filter(departmentmembership__department_id=department_id)
    return list(agents.prefetch_related("departments").order_by("support_level", "name", "id"))
