"""Reads of tickets, always through the visibility filter of ``access``.

Lists use keyset pagination on the ticket id (newest first): a page costs the same at ticket
10 and ticket 1,000,000, and the count badges read the counts the database keeps per
department and assignee (``queuecounts``), never a COUNT over a whole list view.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from helpline.accounts.models import Role, User
from helpline.audit.models import AuditEvent
from helpline.core.configcache import ConfigCache
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.core.rows import RowReader, set_prefetched
from helpline.directory.models import Department, DepartmentMembership, HelpTopic
from helpline.tickets import queuecounts
from helpline.tickets.access import can_see_internal, member_department_ids, tickets_visible_to
from helpline.tickets.models import PUBLIC_ENTRY_KINDS, Attachment, ThreadEntry, Ticket
from helpline.tickets.states import ACTIVE, Status

# The queue predicate, in exactly the words of the partial indexes ``ticket_queue_*``
# (``sqlindexes``; migrations 0005 and 0008). SQLite uses a partial index only when the query
# repeats its WHERE term literally (same values, same order, no bound parameters), so the
# queues filter with this SQL rather than ``status__in``.
QUEUE_STATUSES = ("new", "open", "pending", "on_hold")
assert frozenset(QUEUE_STATUSES) == {s.value for s in ACTIVE}
_TICKET_STATUS = f'"{Ticket._meta.db_table}"."status"'
QUEUE_STATUS_SQL = f"{_TICKET_STATUS} IN ({', '.join(repr(s) for s in QUEUE_STATUSES)})"

MAX_PAGE = 100
LIST_RELATED = ("requester", "assignee", "department", "team", "help_topic", "category")
_LIST_READ = RowReader(Ticket, "t.id IN ({keys})", related=LIST_RELATED)
_TAGS_READ = RowReader(Ticket.tags.through, "t.ticket_id IN ({keys})", related=("tag",))

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


def _my_department_ids(user: User) -> list[int]:
    """The agent's departments in order, read once per user object
    (``access.member_department_ids``): a desk page builds its queue and its badge counts,
    and an API page its allowed actions, from the same request user."""
    return sorted(member_department_ids(user))


def queue_filter(user: User, queue: str, *, department_ids: list[int] | None = None) -> Q:
    """The filter of a named agent queue (see QUEUES).

    The department queues read the agent's departments first (one small query) and filter on
    their ids: with one department, ``department_id = ? AND status IN (…)`` walks the partial
    index ``(department_id, id DESC)`` newest first and stops at the page's LIMIT, where an
    ``IN (subquery)`` would read and sort every active ticket of the departments. Pass
    ``department_ids`` when building several queues for the same agent.
    """
    if department_ids is None and queue in ("unassigned", "department"):
        department_ids = _my_department_ids(user)
    active = Q(RawSQL(QUEUE_STATUS_SQL, [], output_field=BooleanField()))
    if queue == "mine":
        return active & Q(assignee=user)
    if queue == "unassigned":
        return active & Q(assignee__isnull=True, department_id__in=department_ids)
    if queue == "department":
        return active & Q(department_id__in=department_ids)
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
    # The page's ids by the ORM (the filters vary), then the rows by SQL written once.
    rows = tickets_by_ids(queryset.order_by("-id").values_list("id", flat=True)[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def tickets_by_ids(ids: Iterable[int]) -> list[Ticket]:
    """The tickets with ``ids``, in that order, with their ``LIST_RELATED`` rows and tags, as a
    list page shows them: two queries. Both SELECTs are written once (see helpline.core.rows):
    compiling the ticket's with six related rows cost more than running it, and the tags by
    ``prefetch_related`` a fifth of an API list request's CPU."""
    rows = _LIST_READ.in_order(list(ids))
    tags: dict[int, list[Any]] = {row.pk: [] for row in rows}
    for link in _TAGS_READ.in_keys(list(tags)):
        tags[link.ticket_id].append(link.tag)
    for row in rows:
        set_prefetched(row, "tags", sorted(tags[row.pk], key=lambda tag: tag.name))  # Tag's order
    return rows


def queue_counts(*, user: User) -> dict[str, int]:
    """Exact counts for the agent queue badges, from the counts the database keeps per
    (department, assignee) (``queuecounts``): one statement that sums a few rows per key,
    however big the queues are. The "all" queue has no badge."""
    if not user.is_agent:
        return {}
    department_ids = _my_department_ids(user)
    mine = queuecounts.sums_sql("assignee_id = %s")
    params: list[Any] = [user.pk]
    if department_ids:
        marks = ", ".join(["%s"] * len(department_ids))
        unassigned = queuecounts.sums_sql(f"department_id IN ({marks}) AND assignee_id = 0")
        department = queuecounts.sums_sql(f"department_id IN ({marks})")
        params += [*department_ids, *department_ids]
    else:  # an agent in no department
        unassigned = department = "SELECT 0"
    # One round trip for the three badges.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({mine}), ({unassigned}), ({department})", params)
        row = cursor.fetchone()
    names = ("mine", "unassigned", "department")
    return {name: int(count) for name, count in zip(names, row, strict=True)}


# A whole thread can be thousands of rows: its SELECTs are written once (helpline.core.rows),
# and the entries of one author share one User instance.
_PUBLIC_KINDS = [kind.value for kind in PUBLIC_ENTRY_KINDS]  # plain strings for the driver


def _thread_where(internal: bool, before: bool = False) -> str:
    """A ticket's entries (``%s``), only the public kinds unless ``internal``, and only those
    before an entry id if ``before``: for the thread readers below and the page readers."""
    where = "t.ticket_id = %s"
    if not internal:
        where += f" AND t.kind IN ({', '.join(['%s'] * len(_PUBLIC_KINDS))})"
    if before:
        where += " AND t.id < %s"
    return where


_THREAD_READ = RowReader(ThreadEntry, _thread_where(True), related=("author",), order="t.id")
_PUBLIC_THREAD_READ = RowReader(
    ThreadEntry, _thread_where(False), related=("author",), order="t.id"
)
_ENTRY_FILES_READ = RowReader(
    Attachment, "t.ticket_id = %s AND t.entry_id IS NOT NULL", order="t.id"
)


def ticket_entries(*, user: User, ticket: Ticket) -> list[ThreadEntry]:
    """The thread as ``user`` may see it, oldest first, each entry with ``files`` (its
    attachments): internal notes only for agents and admins. Two queries."""
    if can_see_internal(user):
        entries = _THREAD_READ.all(ticket.pk)
    else:
        entries = _PUBLIC_THREAD_READ.all(ticket.pk, *_PUBLIC_KINDS)
    files: dict[int, list[Attachment]] = {entry.pk: [] for entry in entries}
    for attachment in _ENTRY_FILES_READ.all(ticket.pk):
        if attachment.entry_id in files:  # not a hidden note's
            files[attachment.entry_id].append(attachment)
    for entry in entries:
        entry.files = files[entry.pk]  # type: ignore[attr-defined]
    return entries


@dataclass(frozen=True)
class ThreadRows:
    """A whole thread as plain values (``ticket_thread_rows``)."""

    entries: list[dict[str, Any]]  # each entry's columns by attname, oldest first
    authors: dict[int, User]  # the entries' authors by id
    files: dict[int, list[Attachment]]  # each entry's attachments by entry id


# The thread's columns without instances (RowReader.values), its authors apart: a joined
# author's two dozen columns, read again on every row, cost more than the entry's own.
_THREAD_ROWS = RowReader(ThreadEntry, _thread_where(True), order="t.id")
_PUBLIC_THREAD_ROWS = RowReader(ThreadEntry, _thread_where(False), order="t.id")
_USERS_READ = RowReader(User, "t.id IN ({keys})")


def ticket_thread_rows(*, user: User, ticket: Ticket) -> ThreadRows:
    """The entries ``ticket_entries`` gives, as plain values for a listing that turns them
    into data at once (the API's whole thread): internal notes only for agents and admins.
    At 500 entries, building the instances cost more than the rest of the request. Three
    queries: the entries, their authors, their attachments."""
    if can_see_internal(user):
        entries = _THREAD_ROWS.values(ticket.pk)
    else:
        entries = _PUBLIC_THREAD_ROWS.values(ticket.pk, *_PUBLIC_KINDS)
    author_ids = sorted({row["author_id"] for row in entries if row["author_id"] is not None})
    authors = {author.pk: author for author in _USERS_READ.in_keys(author_ids)}
    files: dict[int, list[Attachment]] = {row["id"]: [] for row in entries}
    for attachment in _ENTRY_FILES_READ.all(ticket.pk):
        if attachment.entry_id in files:  # not a hidden note's
            files[attachment.entry_id].append(attachment)
    return ThreadRows(entries, authors, files)


# The desk ticket page shows this many of the newest entries; older ones load on demand.
THREAD_PAGE = 50
MAX_THREAD_PAGE = 500


@dataclass(frozen=True)
class ThreadPage:
    entries: list[ThreadEntry]  # oldest first, each with ``files`` (its attachments)
    earlier: int  # how many older entries the user may see before ``entries[0]``
    ticket_files: list[Attachment]  # attachments of the ticket itself (no entry)


def ticket_thread_page(
    *, user: User, ticket: Ticket, before: int | None = None, limit: int = THREAD_PAGE
) -> ThreadPage:
    """The newest ``limit`` entries of the thread as ``user`` may see it (those before entry
    id ``before`` if given), oldest first, and how many older ones there are.

    Two queries, three when the page is full (the count of all that match, from an index):
    the entries with their authors, read newest first from the (ticket, id) index, and the
    attachments of those entries together with the ticket's own. Written once
    (``core.rows``): the ORM spent ~4 ms of a 50-entry page building its SELECT and the
    entries' authors.
    """
    if not 1 <= limit <= MAX_THREAD_PAGE:
        raise ValidationFailed(
            f"limit must be 1 to {MAX_THREAD_PAGE}", fields={"limit": "out of range"}
        )
    internal = can_see_internal(user)
    params: list[Any] = [ticket.pk] if internal else [ticket.pk, *_PUBLIC_KINDS]
    if before is not None:
        params.append(before)
    reader = _PAGE_READS[(internal, before is not None)]
    newest = reader.all(*params, limit=limit)
    newest.reverse()
    if len(newest) < limit:
        earlier = 0
    else:
        with connection.cursor() as cursor:
            cursor.execute(_PAGE_COUNTS[(internal, before is not None)], params)
            earlier = cursor.fetchone()[0] - len(newest)
    files: dict[int | None, list[Attachment]] = {entry.pk: [] for entry in newest}
    files[None] = []
    low = newest[0].pk if newest else 0
    high = newest[-1].pk if newest else 0
    for attachment in _PAGE_FILES_READ.all(ticket.pk, low, high):
        if attachment.entry_id in files:  # not a hidden note's
            files[attachment.entry_id].append(attachment)
    for entry in newest:
        entry.files = files[entry.pk]  # type: ignore[attr-defined]
    return ThreadPage(entries=newest, earlier=earlier, ticket_files=files[None])


_PAGE_READS = {
    (internal, before): RowReader(
        ThreadEntry, _thread_where(internal, before), related=("author",), order="t.id DESC"
    )
    for internal in (True, False)
    for before in (True, False)
}
_PAGE_COUNTS = {
    (internal, before): (
        f"SELECT COUNT(*) FROM {ThreadEntry._meta.db_table} t "
        f"WHERE {_thread_where(internal, before)}"
    )
    for internal in (True, False)
    for before in (True, False)
}
# The ticket's own files and those of the page's entries (entry ids from the page's lowest
# to its highest; a hidden note's among them are left out by the caller).
_PAGE_FILES_READ = RowReader(
    Attachment,
    "t.ticket_id = %s AND (t.entry_id IS NULL OR t.entry_id BETWEEN %s AND %s)",
    order="t.id",
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
    """The active departments by name (cached configuration: the instances are shared, read
    them and do not change them; see ``helpline.core.configcache``)."""
    return list(_active_departments.get())


def _load_active_departments() -> tuple[Department, ...]:
    return tuple(Department.objects.filter(is_active=True).order_by("name"))


_active_departments = ConfigCache(
    "active-departments", _load_active_departments, models=[Department]
)


def help_topics_for(*, user: User) -> list[HelpTopic]:
    """The help topics ``user`` may pick: public ones only for customers."""
    topics = HelpTopic.objects.select_related("department")
    if not user.is_agent:
        topics = topics.filter(is_public=True)
    return list(topics.order_by("order", "name"))


# User columns the roster does not show, written on every login and every assignment: a save
# of only these keeps it (and _assign's update of the turn order tells no receiver).
ROSTER_IGNORED_FIELDS = frozenset({"last_login", "last_assigned_at"})


@dataclass(frozen=True)
class Roster:
    """The support team: active agents and admins by level and name, each with
    ``departments`` loaded (by name, as ``prefetch_related`` gives them), and the same
    departments by agent id."""

    agents: tuple[User, ...]
    departments_of: dict[int, tuple[Department, ...]]

    def of_department(self, department_id: int) -> list[User]:
        return [
            agent
            for agent in self.agents
            if any(d.pk == department_id for d in self.departments_of[agent.pk])
        ]


def agent_roster() -> Roster:
    """The support team, kept per process like configuration (``helpline.core.configcache``):
    a save of a user, a membership or a department clears it, and other processes read it
    again within ``CONFIG_CACHE_SECONDS``. The instances are shared between requests: read
    them, never change them. Whoever acts on an agent (assign, escalate) is checked again by
    the service, under the ticket's row lock, against the database."""
    return _roster.get()


def agent_list(*, department_id: int | None = None) -> list[User]:
    """Agents and admins (of ``department_id`` if given), by level and name, each with
    ``departments`` loaded: ``agent_roster``'s shared instances, read them only."""
    roster = agent_roster()
    if department_id is None:
        return list(roster.agents)
    return roster.of_department(department_id)


def _load_roster() -> Roster:
    """Two queries written once (``core.rows``): the ORM spent ~15 ms on a desk of 73 agents,
    building a Department for each membership."""
    agents = _AGENTS_READ.all(Role.AGENT.value, Role.ADMIN.value)
    departments: dict[int, list[Department]] = {agent.pk: [] for agent in agents}
    for membership in _MEMBERSHIPS_READ.in_keys(list(departments)):
        departments[membership.user_id].append(membership.department)
    departments_of = {pk: tuple(sorted(found, key=_by_name)) for pk, found in departments.items()}
    for agent in agents:
        set_prefetched(agent, "departments", list(departments_of[agent.pk]))
    return Roster(agents=tuple(agents), departments_of=departments_of)


def _by_name(department: Department) -> str:
    return department.name  # Department's Meta.ordering


_AGENT_WHERE = "t.role IN (%s, %s) AND t.is_active"
_AGENT_ORDER = "t.support_level, t.name, t.id"
_AGENTS_READ = RowReader(User, _AGENT_WHERE, order=_AGENT_ORDER)
_MEMBERSHIPS_READ = RowReader(
    DepartmentMembership, "t.user_id IN ({keys})", related=("department",)
)
_roster = ConfigCache(
    "agent-roster",
    _load_roster,
    models=[User, DepartmentMembership, Department],
    ignored_fields=ROSTER_IGNORED_FIELDS,
)
