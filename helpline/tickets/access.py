"""Who may see and do what with a ticket. The one place these rules live.

A ticket a user may not see does not exist for them: ``access_ticket`` raises NotFound (404),
never PermissionDenied, so numbers cannot be probed.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from helpline.accounts.models import User
from helpline.core.errors import NotFound, PermissionDenied
from helpline.directory.models import DepartmentMembership
from helpline.tickets.models import Ticket
from helpline.tickets.states import CUSTOMER_ACTIONS, Action


def visible_tickets_filter(user: User) -> Q:
    """A Q selecting the tickets ``user`` may see."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_admin:
        return Q()
    if user.is_agent:
        in_my_departments = Exists(
            DepartmentMembership.objects.filter(user=user, department=OuterRef("department"))
        )
        return Q(in_my_departments) | Q(assignee=user)
    mine = Q(requester=user) | Q(
        Exists(Ticket.collaborators.through.objects.filter(ticket=OuterRef("pk"), user=user))
    )
    org = user.organization
    if org is not None and org.shares_tickets:
        mine |= Q(organization=org)
    return mine


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(visible_tickets_filter(user))


def access_ticket(user: User, number: int | str, *, related: bool = True) -> Ticket:
    """The ticket with ``number`` if ``user`` may see it; NotFound otherwise."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFound("no such ticket") from None
    queryset = tickets_visible_to(user)
    if related:
        queryset = queryset.select_related(
            "requester", "assignee", "department", "team", "help_topic", "category",
            "organization",
        )  # fmt: skip
    ticket = queryset.filter(number=number).first()
    if ticket is None:
        raise NotFound("no such ticket")
    return ticket


def can_see_internal(user: User) -> bool:
    """Internal notes and the audit trail are for agents and admins only."""
    return user.is_authenticated and user.is_agent


def is_member(user: User, department_id: int) -> bool:
    return DepartmentMembership.objects.filter(user=user, department_id=department_id).exists()


def check_can_act(user: User, ticket: Ticket, action: Action | str) -> None:
    """Raise PermissionDenied unless ``user`` may take ``action`` on a ticket they can see.

    Customers may reply on tickets they see, and confirm (close) or reopen their own resolved
    ticket; everything else is for agents of the ticket's department, its assignee, and admins.
    """
    action = Action(action)
    if user.is_agent:
        return
    if action not in CUSTOMER_ACTIONS:
        raise PermissionDenied("only the support team can do that")
    if action in (Action.REOPEN, Action.CLOSE) and ticket.requester_id != user.pk:
        raise PermissionDenied("only the requester can confirm or reopen this ticket")


def check_is_agent(user: User, what: str = "do that") -> None:
    if not user.is_agent:
        raise PermissionDenied(f"only the support team can {what}")
