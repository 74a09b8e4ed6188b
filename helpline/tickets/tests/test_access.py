"""Who sees a ticket and who may act on it: the whole matrix, in one table."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Q

from helpline import factories
from helpline.accounts.models import User
from helpline.core.errors import DomainError, NotFound, PermissionDenied
from helpline.directory.models import DepartmentMembership
from helpline.factories import Desk
from helpline.tickets import access, services
from helpline.tickets.models import Ticket
from helpline.tickets.states import Action, Status
from helpline.tickets.tests.scenarios import RESOLUTION, ticket_in


def _colleague(desk: Desk, ticket: Ticket, *, shares: bool) -> User:
    desk.org.shares_tickets = shares
    desk.org.save()
    return User.objects.get(pk=desk.other_customer.pk)  # organization re-read


def _collaborator(desk: Desk, ticket: Ticket) -> User:
    cc = factories.customer()
    ticket.collaborators.add(cc)
    return cc


def _foreign_assignee(desk: Desk, ticket: Ticket) -> User:
    """An agent who got the ticket, then moved to another department."""
    mover = factories.agent(departments=[desk.department, desk.other_department])
    services.ticket_assign(actor=desk.admin, ticket=ticket, assignee=mover)
    DepartmentMembership.objects.filter(user=mover, department=desk.department).delete()
    return mover


def _inactive_agent(desk: Desk, ticket: Ticket) -> User:
    User.objects.filter(pk=desk.l2.pk).update(is_active=False)
    return User.objects.get(pk=desk.l2.pk)


EVERYTHING = frozenset(Action)
REQUESTER = frozenset({Action.CUSTOMER_REPLY, Action.REOPEN, Action.CLOSE})
REPLY_ONLY = frozenset({Action.CUSTOMER_REPLY})
NOTHING: frozenset[Action] = frozenset()

# who, how to get them for a ticket of desk.customer in desk.department, sees it, may do
MATRIX: list[tuple[str, Callable[[Desk, Ticket], User], bool, frozenset[Action]]] = [
    ("requester", lambda d, t: d.customer, True, REQUESTER),
    ("colleague-org-not-sharing", lambda d, t: _colleague(d, t, shares=False), False, NOTHING),
    ("colleague-org-sharing", lambda d, t: _colleague(d, t, shares=True), True, REPLY_ONLY),
    ("customer-of-another-org", lambda d, t: factories.customer(), False, NOTHING),
    ("cc-collaborator", _collaborator, True, REPLY_ONLY),
    ("agent-of-the-department", lambda d, t: d.l2, True, EVERYTHING),
    ("agent-of-another-department", lambda d, t: d.outsider, False, NOTHING),
    ("assignee-from-another-department", _foreign_assignee, True, EVERYTHING),
    ("inactive-agent-of-the-department", _inactive_agent, False, NOTHING),
    ("admin", lambda d, t: d.admin, True, EVERYTHING),
]
IDS = [row[0] for row in MATRIX]


@pytest.mark.parametrize(("who", "make", "sees", "may"), MATRIX, ids=IDS)
def test_access_ticket_returns_the_ticket_only_to_those_who_may_see_it(desk, who, make, sees, may):
    ticket = desk.ticket()
    user = make(desk, ticket)
    if sees:
        assert access.access_ticket(user, ticket.number) == ticket
        assert access.access_ticket(user, str(ticket.number), related=False) == ticket
    else:
        with pytest.raises(NotFound):
            access.access_ticket(user, ticket.number)


@pytest.mark.parametrize(("who", "make", "sees", "may"), MATRIX, ids=IDS)
def test_the_list_filter_agrees_with_access_ticket(desk, who, make, sees, may):
    ticket = desk.ticket()
    user = make(desk, ticket)
    assert list(access.tickets_visible_to(user)) == ([ticket] if sees else [])
    assert access.can_see(user, ticket) is sees


@pytest.mark.parametrize(("who", "make", "sees", "may"), MATRIX, ids=IDS)
def test_the_search_scope_is_exactly_the_tickets_the_user_may_see(desk, who, make, sees, may):
    ticket = desk.ticket()
    desk.ticket(department=desk.other_department, requester=factories.customer())
    user = make(desk, ticket)

    scope = access.ticket_scope(user)

    visible = set(access.tickets_visible_to(user))
    if scope is None:  # no narrowing: only for those who see everything here
        assert visible == set(Ticket.objects.all())
    else:
        in_scope = Ticket.objects.filter(
            Q(department_id__in=scope.departments) | Q(id__in=scope.tickets)
        )
        assert set(in_scope) == visible


def test_a_customer_who_sees_too_many_tickets_gets_no_scope(desk, monkeypatch):
    monkeypatch.setattr(access, "MAX_SCOPE_TICKETS", 2)
    for _ in range(2):
        desk.ticket()
    scope = access.ticket_scope(desk.customer)
    assert scope is not None and not scope.departments
    assert set(scope.tickets) == set(
        Ticket.objects.filter(requester=desk.customer).values_list("id", flat=True)
    )
    desk.ticket()
    assert access.ticket_scope(desk.customer) is None


@pytest.mark.parametrize("action", list(Action), ids=str)
@pytest.mark.parametrize(("who", "make", "sees", "may"), MATRIX, ids=IDS)
def test_check_can_act_allows_exactly_the_matrix(desk, who, make, sees, may, action):
    ticket = desk.ticket()
    user = make(desk, ticket)
    if action in may:
        access.check_can_act(user, ticket, action)
        access.check_can_act(user, ticket, action.value)
    else:
        with pytest.raises(PermissionDenied):
            access.check_can_act(user, ticket, action)


def test_not_found_is_never_a_permission_error():
    assert not issubclass(NotFound, PermissionDenied)
    assert NotFound.status == 404


@pytest.mark.parametrize("number", [999_999, "abc", None, "12.5"])
def test_a_missing_or_malformed_number_is_not_found(desk, number):
    desk.ticket()
    with pytest.raises(NotFound):
        access.access_ticket(desk.admin, number)


def test_an_anonymous_user_sees_nothing(desk):
    ticket = desk.ticket()
    anonymous = AnonymousUser()
    with pytest.raises(NotFound):
        access.access_ticket(anonymous, ticket.number)
    assert not access.tickets_visible_to(anonymous).exists()


def test_a_sharing_organization_shows_only_its_own_tickets(desk):
    desk.org.shares_tickets = True
    desk.org.save()
    outsider_org = factories.organization(shares_tickets=True)
    stranger = factories.customer(organization=outsider_org)
    ticket = desk.ticket()
    with pytest.raises(NotFound):
        access.access_ticket(stranger, ticket.number)


@pytest.mark.parametrize(
    ("who", "internal"), [("customer", False), ("l1", True), ("outsider", True), ("admin", True)]
)
def test_internal_notes_are_for_agents_and_admins(desk, who, internal):
    assert access.can_see_internal(getattr(desk, who)) is internal
    assert access.can_see_internal(AnonymousUser()) is False


# --- the actions an interface offers -------------------------------------------------------


class _Undo(Exception):
    pass


def _works(call: Callable[[], object]) -> bool:
    """Whether ``call`` succeeds; its changes are rolled back either way."""
    try:
        with transaction.atomic():
            call()
            raise _Undo
    except _Undo:
        return True
    except DomainError:
        return False


OFFERABLE = ["take", "assign", "escalate", "pend", "hold", "resume", "resolve", "reopen", "close"]


def _attempt(desk: Desk, user: User, ticket: Ticket, name: str) -> Callable[[], object]:
    if name == "take":
        return lambda: services.ticket_take(actor=user, ticket=ticket)
    if name == "assign":
        return lambda: services.ticket_assign(actor=user, ticket=ticket, assignee=desk.l2)
    if name == "escalate":
        return lambda: services.ticket_escalate(actor=user, ticket=ticket, note="Up.")
    extra: dict[str, object] = {
        "resolve": {"resolution": RESOLUTION},
        "reopen": {"reason": "Broken again."},
    }.get(name, {})
    return lambda: services.ticket_transition(actor=user, ticket=ticket, action=name, **extra)


@pytest.mark.parametrize("status", [s.value for s in Status])
@pytest.mark.parametrize("who", ["customer", "collaborator", "l1", "l2", "admin"])
def test_ticket_actions_offers_exactly_what_the_services_allow(desk, who, status):
    ticket = ticket_in(desk, status)
    user = _collaborator(desk, ticket) if who == "collaborator" else getattr(desk, who)
    offered = access.ticket_actions(user, ticket)
    assert offered == access.ticket_actions(
        user, ticket, member_of=access.member_department_ids(user)
    )
    works = {name for name in OFFERABLE if _works(_attempt(desk, user, ticket, name))}
    if ticket.assignee_id == user.pk:
        works.discard("take")  # would work, but changes nothing: not offered
    assert set(offered) == works
    assert offered == [name for name in OFFERABLE if name in works]  # in the documented order
