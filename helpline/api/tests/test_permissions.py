"""Who may do what to a ticket through the API, as one table.

The ticket belongs to desk.customer (organisation Acme, which does not share tickets) and sits
in desk.department, assigned to level one. A ticket a caller may not see is a 404, never a 403,
so its number cannot be probed; a ticket they see but may not change is a 403.
"""

from typing import Any

import pytest

from helpline.api.tests.conftest import API, bearer, error_of
from helpline.tickets import services
from helpline.tickets.models import Ticket

ROLES = ("requester", "org_peer", "other_department_agent", "department_agent", "admin")


def user_for(desk: Any, role: str) -> Any:
    return {
        "requester": desk.customer,
        "org_peer": desk.other_customer,
        "other_department_agent": desk.outsider,
        "department_agent": desk.l2,
        "admin": desk.admin,
    }[role]


def ticket_in(desk: Any, state: str) -> Ticket:
    ticket = desk.ticket()
    if state == "new":
        return ticket
    ticket = services.ticket_take(actor=desk.l1, ticket=ticket)
    if state == "pending":
        ticket = services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    elif state == "resolved":
        resolution = services.Resolution(problem_identified="cable", action_taken="plugged in")
        ticket = services.ticket_transition(
            actor=desk.l1, ticket=ticket, action="resolve", resolution=resolution
        )
    return ticket


# case: (ticket state, method, path after /tickets/<n>, body, expected status per ROLES)
MATRIX: dict[str, tuple[str, str, str, dict[str, Any] | None, tuple[int, ...]]] = {
    "read the ticket": ("new", "get", "", None, (200, 404, 404, 200, 200)),
    "edit the ticket": ("new", "patch", "", {"subject": "Edited"}, (403, 404, 404, 200, 200)),
    "read the thread": ("new", "get", "/messages", None, (200, 404, 404, 200, 200)),
    "write a public message": (
        "new", "post", "/messages", {"body": "Any news?"}, (201, 404, 404, 201, 201),
    ),
    "write an internal note": (
        "new", "post", "/messages", {"body": "Note", "internal": True}, (403, 404, 404, 201, 201),
    ),
    "read the audit trail": ("new", "get", "/events", None, (404, 404, 404, 200, 200)),
    "take": ("new", "post", "/actions/take", {}, (403, 404, 404, 200, 200)),
    "assign": ("open", "post", "/actions/assign", {"assignee_id": None}, (403, 404, 404, 200, 200)),
    "escalate": ("open", "post", "/actions/escalate", {"note": "L2"}, (403, 404, 404, 200, 200)),
    "pend": ("open", "post", "/actions/pend", {}, (403, 404, 404, 200, 200)),
    "hold": ("open", "post", "/actions/hold", {}, (403, 404, 404, 200, 200)),
    "resume": ("pending", "post", "/actions/resume", {}, (403, 404, 404, 200, 200)),
    "resolve": (
        "open", "post", "/actions/resolve",
        {"problem_identified": "cable", "action_taken": "replaced"},
        (403, 404, 404, 200, 200),
    ),
    "reopen": (
        "resolved", "post", "/actions/reopen", {"reason": "still broken"},
        (200, 404, 404, 200, 200),
    ),
    "close": ("resolved", "post", "/actions/close", {}, (200, 404, 404, 200, 200)),
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX)
def test_each_role_gets_exactly_the_access_the_matrix_grants(client, desk, case, role):
    state, method, suffix, body, expected_by_role = MATRIX[case]
    expected = expected_by_role[ROLES.index(role)]
    ticket = ticket_in(desk, state)
    extra = {"HTTP_IF_MATCH": f'"{ticket.version}"'} if method == "patch" else {}

    response = getattr(client, method)(
        f"{API}/tickets/{ticket.number}{suffix}",
        body,
        content_type="application/json",
        **extra,
        **bearer(user_for(desk, role)),
    )

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert error_of(response)["code"] == {403: "forbidden", 404: "not_found"}[expected]
        assert Ticket.objects.get(pk=ticket.pk).version == ticket.version
        assert Ticket.objects.get(pk=ticket.pk).entries.count() == ticket.entries.count()


def test_a_ticket_the_caller_cannot_see_is_404_even_before_its_version_is_checked(client, desk):
    ticket = desk.ticket()

    response = client.patch(
        f"{API}/tickets/{ticket.number}",
        {"subject": "x"},
        content_type="application/json",
        **bearer(desk.other_customer),
    )

    assert response.status_code == 404


def test_a_customer_sees_only_their_own_tickets_in_the_list(client, desk):
    mine = desk.ticket()
    desk.ticket(requester=desk.other_customer)

    response = client.get(f"{API}/tickets", **bearer(desk.customer))

    assert [t["number"] for t in response.json()["items"]] == [mine.number]


def test_an_organisation_that_shares_tickets_lets_its_members_read_each_others(client, desk):
    desk.org.shares_tickets = True
    desk.org.save()
    ticket = desk.ticket()

    response = client.get(f"{API}/tickets/{ticket.number}", **bearer(desk.other_customer))

    assert response.status_code == 200
    assert response.json()["allowed_actions"] == []


def test_an_agent_of_another_department_does_not_see_its_tickets_in_the_list(client, desk):
    desk.ticket()

    response = client.get(f"{API}/tickets", **bearer(desk.outsider))

    assert response.json()["items"] == []


def test_a_customer_may_close_their_resolved_ticket_and_nothing_more(client, desk):
    ticket = ticket_in(desk, "resolved")

    detail = client.get(f"{API}/tickets/{ticket.number}", **bearer(desk.customer))

    assert detail.json()["allowed_actions"] == ["reopen", "close"]


def test_an_agent_is_offered_the_actions_the_ticket_allows_now(client, desk):
    ticket = ticket_in(desk, "open")

    detail = client.get(f"{API}/tickets/{ticket.number}", **bearer(desk.l2))

    assert detail.json()["allowed_actions"] == [
        "take", "assign", "escalate", "pend", "hold", "resolve",
    ]  # fmt: skip
