"""Who may see and do what with a ticket. The one place these rules live.

A ticket a user may not see does not exist for them: ``access_ticket`` raises NotFound (404),
never PermissionDenied, so numbers cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet

from helpline.accounts.models import User
from helpline.core.errors import NotFound, PermissionDenied
from helpline.core.rows import RowReader
from helpline.directory.models import Department, DepartmentMembership
from helpline.tickets.models import Ticket
from helpline.tickets.states import ACTIVE, CUSTOMER_ACTIONS, Action, Status, can


def visible_tickets_filter(user: User) -> Q:
    """A Q selecting the tickets ``user`` may see.

    Each alternative is a plain column test or ``IN`` an uncorrelated subquery, never a
    correlated EXISTS: both databases can then answer the OR from the ticket indexes
    (department, assignee, requester, organization, primary key) instead of testing every
    row of the table.

    ``ticket_scope`` says the same in the terms of the search index (a test holds the two
    equal): change both together.
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_admin:
        return Q()
    if user.is_agent:
        my_departments = DepartmentMembership.objects.filter(user=user).values("department_id")
        return Q(department_id__in=my_departments) | Q(assignee=user)
    cc_tickets = Ticket.collaborators.through.objects.filter(user=user).values("ticket_id")
    mine = Q(requester=user) | Q(pk__in=cc_tickets)
    org = user.organization
    if org is not None and org.shares_tickets:
        mine |= Q(organization=org)
    return mine


# A customer's scope lists their tickets; one who may see more (a shared organization) gets
# none, and their searches test visibility on each match instead.
MAX_SCOPE_TICKETS = 1000


@dataclass(frozen=True, slots=True)
class TicketScope:
    """Tickets of ``departments`` or with an id in ``tickets``: what a user may see, in the
    terms a search index stores (each document has its ticket's id and department), so that
    the index scan skips what the user could never see. It says the same as
    ``visible_tickets_filter`` at the moment it is read (a test holds the two together):
    keep them in step."""

    departments: tuple[int, ...] = ()
    tickets: tuple[int, ...] = ()


# (department, None) per membership of the agent, (None, ticket) per ticket assigned to them in
# another department. The other departments are a list to seek in the (assignee, department)
# index: excluding the agent's own instead read every ticket ever assigned to them (14k at 1M
# tickets, 4 ms).
_AGENT_SCOPE_SQL = f"""
    SELECT department_id, NULL FROM {DepartmentMembership._meta.db_table} WHERE user_id = %s
    UNION ALL
    SELECT NULL, id FROM {Ticket._meta.db_table}
    WHERE assignee_id = %s AND department_id IN (
        SELECT id FROM {Department._meta.db_table} WHERE id NOT IN (
            SELECT department_id FROM {DepartmentMembership._meta.db_table} WHERE user_id = %s
        )
    )"""


def ticket_scope(user: User) -> TicketScope | None:
    """The ``TicketScope`` of ``user``, or None when it would not narrow much (admins, a
    customer who sees more than MAX_SCOPE_TICKETS tickets).

    An agent's: their departments, and the tickets assigned to them in other departments.
    A customer's: the ids of the tickets they may see."""
    if not user.is_authenticated or not user.is_active:
        return TicketScope()
    if user.is_admin:
        return None
    if user.is_agent:
        # One query, SQL written once (the ORM's union cost more to compile than to run).
        with connection.cursor() as cursor:
            cursor.execute(_AGENT_SCOPE_SQL, [user.pk, user.pk, user.pk])
            rows = cursor.fetchall()
        return TicketScope(
            tuple(department for department, _ in rows if department is not None),
            tuple(ticket for _, ticket in rows if ticket is not None),
        )
    ids = tuple(
        tickets_visible_to(user).order_by().values_list("id", flat=True)[: MAX_SCOPE_TICKETS + 1]
    )
    return None if len(ids) > MAX_SCOPE_TICKETS else TicketScope(tickets=ids)


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(visible_tickets_filter(user))


def access_ticket(user: User, number: int | str, *, related: bool = True) -> Ticket:
    """The ticket with ``number`` if ``user`` may see it; NotFound otherwise."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFound("no such ticket") from None
    visible = tickets_visible_to(user).filter(number=number)
    # The ORM compiles only the visibility test; the ticket (and its related rows) come by SQL
    # written once (compiling that wide SELECT cost more than running it). The test is a
    # one-row scalar subquery (numbers are unique): PostgreSQL runs it first, then reads one
    # row by its key. As ``IN (...)`` it was a semi-join, planned after the seven joins (more
    # than join_collapse_limit): every ticket joined, 0.2 s at 100k.
    try:
        sql, params = visible.order_by().values("id")[:1].query.sql_with_params()
    except EmptyResultSet:  # a user who may see nothing
        raise NotFound("no such ticket") from None
    found = (_DETAIL_READ if related else _TICKET_READ).in_subquery(sql, params)
    if not found:
        raise NotFound("no such ticket")
    return found[0]


_TICKET_READ = RowReader(Ticket, "t.id = ({keys})")
_DETAIL_READ = RowReader(
    Ticket,
    "t.id = ({keys})",
    related=(
        "requester", "assignee", "department", "team", "help_topic", "category", "organization"
    ),
)  # fmt: skip


def can_see_internal(user: User) -> bool:
    """Internal notes and the audit trail are for agents and admins only."""
    return user.is_authenticated and user.is_agent


def is_member(user: User, department_id: int) -> bool:
    return DepartmentMembership.objects.filter(user=user, department_id=department_id).exists()


def can_see(user: User, ticket: Ticket) -> bool:
    """Whether ``ticket`` passes the visibility filter for ``user`` (one query; none for admins
    and for a customer on their own ticket)."""
    if user.is_authenticated and user.is_active and user.is_admin:
        return True
    is_customer = user.is_authenticated and user.is_active and not user.is_agent
    if is_customer and ticket.requester_id == user.pk:
        return True  # a customer always sees their own ticket (no query needed)
    return tickets_visible_to(user).filter(pk=ticket.pk).exists()


def check_can_act(user: User, ticket: Ticket, action: Action | str) -> None:
    """Raise PermissionDenied unless ``user`` may take ``action`` on ``ticket``.

    Customers may reply on tickets they see, and confirm (close) or reopen their own resolved
    ticket; everything else is for agents of the ticket's department, its assignee, and admins.
    Visibility is checked here too, so a caller that got the ticket some other way than
    ``access_ticket`` (mail ingestion, rules) cannot act on a ticket the user may not see.
    """
    action = Action(action)
    if not can_see(user, ticket):
        raise PermissionDenied("you cannot act on this ticket")
    if user.is_agent:
        return
    if action not in CUSTOMER_ACTIONS:
        raise PermissionDenied("only the support team can do that")
    if action in (Action.REOPEN, Action.CLOSE) and ticket.requester_id != user.pk:
        raise PermissionDenied("only the requester can confirm or reopen this ticket")


def check_is_agent(user: User, what: str = "do that") -> None:
    if not user.is_agent:
        raise PermissionDenied(f"only the support team can {what}")


def member_department_ids(user: User) -> frozenset[int]:
    """The departments ``user`` is a member of: one query, once per user object (as Django
    caches permissions), so a list page and its queue filter read them once per request."""
    cached: frozenset[int] | None = getattr(user, "_member_department_ids", None)
    if cached is None:
        cached = frozenset(
            DepartmentMembership.objects.filter(user=user).values_list("department_id", flat=True)
        )
        user._member_department_ids = cached  # type: ignore[attr-defined]
    return cached


LIFECYCLE_ACTIONS = (
    Action.PEND, Action.HOLD, Action.RESUME, Action.RESOLVE, Action.REOPEN, Action.CLOSE,
)  # fmt: skip


def ticket_actions(
    user: User, ticket: Ticket, *, member_of: frozenset[int] | None = None
) -> list[str]:
    """What ``user`` may do to a ticket they can see, right now: the buttons to show.

    Names are take, assign, escalate and the lifecycle actions, in that order. The services
    still check every call; this only mirrors their rules so interfaces offer what will work.
    Pass ``member_of`` (from ``member_department_ids``) when listing many tickets, so the
    membership is read once rather than per ticket.
    """
    status = Status(ticket.status)
    lifecycle = [action for action in LIFECYCLE_ACTIONS if can(status, action)]
    if not user.is_agent:
        if ticket.requester_id != user.pk:
            return []
        return [action.value for action in lifecycle if action in CUSTOMER_ACTIONS]
    if status is Status.CLOSED:
        return []
    names: list[str] = []
    if member_of is None:
        member_of = member_department_ids(user)
    if ticket.assignee_id != user.pk and (user.is_admin or ticket.department_id in member_of):
        names.append("take")
    names.append("assign")
    if status in ACTIVE:
        names.append("escalate")
    return names + [action.value for action in lifecycle]
