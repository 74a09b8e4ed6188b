"""Saved views: the services' rules and the /api/v1/views endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.api.tests.conftest import API, bearer, error_of
from helpline.audit.models import AuditEvent
from helpline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.search import selectors, services
from helpline.search.models import SavedView
from helpline.tickets import services as ticket_services


def make_view(user: Any, **fields: Any) -> SavedView:
    fields.setdefault("name", "My view")
    return services.view_create(actor=user, **fields)


# --- services and selectors -----------------------------------------------------------------


def test_an_agent_saves_a_view_with_checked_filters_sort_and_columns(desk):
    view = make_view(
        desk.l1,
        query="vpn tag:remote",
        filters={"status": ["open", "new"], "department": "helpdesk"},
        sort="due",
        columns=["assignee", "due"],
    )

    assert view.owner == desk.l1
    assert view.filters == {"status": ["open", "new"], "department": ["helpdesk"]}
    assert view.sort == "due"
    assert selectors.view_columns(view) == ("number", "subject", "assignee", "due")
    assert AuditEvent.objects.filter(action="view.create", object_id=str(view.pk)).exists()


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"name": "  "}, "name"),
        ({"query": "status:opn"}, "query"),
        ({"filters": {"status": ["opn"]}}, "status"),
        ({"filters": {"colour": ["red"]}}, "colour"),
        ({"filters": {"created_from": ["yesterday"]}}, "created_from"),
        ({"sort": "random"}, "sort"),
        ({"columns": ["secret"]}, "columns"),
    ],
)
def test_a_view_with_bad_fields_is_refused_and_not_saved(desk, fields, bad):
    with pytest.raises(ValidationFailed) as caught:
        make_view(desk.l1, **fields)

    assert bad in caught.value.fields
    assert not SavedView.objects.exists()


def test_a_customer_cannot_save_a_view(desk):
    with pytest.raises(PermissionDenied):
        make_view(desk.customer)


def test_two_views_of_one_owner_cannot_share_a_name(desk):
    make_view(desk.l1, name="Network")
    with pytest.raises(Conflict):
        make_view(desk.l1, name="Network")
    assert make_view(desk.l2, name="Network").owner == desk.l2


def test_agents_see_their_own_and_the_shared_views_only(desk):
    mine = make_view(desk.l1, name="Mine")
    shared = make_view(desk.l2, name="Shared", shared=True)
    make_view(desk.l2, name="Private")

    assert selectors.view_list(user=desk.l1) == [mine, shared]
    with pytest.raises(NotFound):
        selectors.view_get(user=desk.l1, view_id=SavedView.objects.get(name="Private").pk)


def test_only_the_owner_or_an_admin_changes_a_shared_view(desk):
    view = make_view(desk.l2, name="Shared", shared=True)

    with pytest.raises(PermissionDenied):
        services.view_update(actor=desk.l1, view_id=view.pk, changes={"name": "Mine now"})
    with pytest.raises(PermissionDenied):
        services.view_delete(actor=desk.l1, view_id=view.pk)
    services.view_update(actor=desk.admin, view_id=view.pk, changes={"sort": "priority"})
    assert SavedView.objects.get(pk=view.pk).sort == "priority"
    services.view_delete(actor=desk.l2, view_id=view.pk)
    assert not SavedView.objects.exists()


def test_a_shared_view_shows_each_agent_only_the_tickets_they_may_see(desk):
    ours = desk.ticket(subject="VPN in helpdesk")
    theirs = desk.ticket(subject="VPN in network", department=desk.other_department)
    view = make_view(desk.admin, name="VPN", shared=True, query="vpn")

    def seen(user: Any) -> set[int]:
        return {hit.ticket.number for hit in selectors.view_tickets(user=user, view=view).hits}

    assert seen(desk.l1) == {ours.number}
    assert seen(desk.outsider) == {theirs.number}


# --- API ------------------------------------------------------------------------------------


def call(client: Any, method: str, user: Any, path: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = bearer(user)
    if body is not None:
        kwargs["data"] = body
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(f"{API}{path}", **kwargs)


def test_the_api_creates_reads_changes_and_deletes_a_view(client, desk):
    created = call(
        client,
        "post",
        desk.l1,
        "/views",
        {"name": "Urgent", "query": "priority:critical", "filters": {"status": "open"}},
    )
    assert created.status_code == 201, created.content
    view_id = created.json()["id"]
    assert created.json()["filters"] == {"status": ["open"]}
    assert created.json()["can_edit"] is True

    patched = call(client, "patch", desk.l1, f"/views/{view_id}", {"shared": True, "sort": "due"})
    assert patched.status_code == 200
    assert (patched.json()["shared"], patched.json()["sort"]) == (True, "due")

    assert call(client, "get", desk.l2, f"/views/{view_id}").json()["can_edit"] is False
    assert call(client, "patch", desk.l2, f"/views/{view_id}", {"name": "x"}).status_code == 403
    assert call(client, "delete", desk.l1, f"/views/{view_id}").status_code == 204
    assert call(client, "get", desk.l1, f"/views/{view_id}").status_code == 404


def test_the_api_refuses_a_view_with_a_bad_query(client, desk):
    response = call(client, "post", desk.l1, "/views", {"name": "Bad", "query": '"open'})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"query": "unterminated quote"}


def test_the_api_refuses_unknown_view_fields(client, desk):
    response = call(client, "post", desk.l1, "/views", {"name": "x", "owner_id": 3})

    assert response.status_code == 400


def test_views_are_not_for_customers(client, desk):
    assert call(client, "get", desk.customer, "/views").status_code == 403
    assert call(client, "post", desk.customer, "/views", {"name": "x"}).status_code == 403


def test_a_views_tickets_come_in_its_sort_a_page_at_a_time(client, desk):
    low = desk.ticket(subject="A", impact="low", urgency="low")
    critical = desk.ticket(subject="B", impact="high", urgency="high")
    medium = desk.ticket(subject="C")
    view = make_view(desk.l1, name="By priority", sort="priority")

    first = call(client, "get", desk.l1, f"/views/{view.pk}/tickets?limit=2")
    cursor = first.json()["next_cursor"]
    second = call(client, "get", desk.l1, f"/views/{view.pk}/tickets?limit=2&cursor={cursor}")

    shown = [item["number"] for item in first.json()["items"] + second.json()["items"]]
    assert shown == [critical.number, medium.number, low.number]
    assert second.json()["next_cursor"] is None


def test_view_lists_cost_the_same_queries_for_more_rows(
    client, desk, django_assert_max_num_queries
):
    for n in range(8):
        make_view(desk.l1 if n % 2 else desk.l2, name=f"View {n}", shared=True)
        ticket = desk.ticket(subject=f"Ticket {n}", tags=[f"t{n}"])
        ticket_services.ticket_take(actor=desk.l1, ticket=ticket)
    view = make_view(desk.l1, name="Updated", sort="updated")
    headers = bearer(desk.l1)
    with django_assert_max_num_queries(4):
        listed = client.get(f"{API}/views", **headers)
    assert len(listed.json()["items"]) == 9
    with django_assert_max_num_queries(10):
        tickets = client.get(f"{API}/views/{view.pk}/tickets", **headers)
    assert len(tickets.json()["items"]) == 8
