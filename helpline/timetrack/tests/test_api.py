"""/api/v1/tickets/{number}/time-entries and /api/v1/metrics/cost."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from helpline import factories
from helpline.api.tests.conftest import API, bearer, error_of
from helpline.core import clock
from helpline.timetrack import services
from helpline.timetrack.models import TimeEntry
from helpline.timetrack.tests.factories import activity, agent_rate, level_rate


def url(ticket, entry_id=None):
    base = f"{API}/tickets/{ticket.number}/time-entries"
    return f"{base}/{entry_id}" if entry_id else base


def post(client, user, ticket, **body):
    body.setdefault("activity_id", activity().pk)
    return client.post(url(ticket), body, content_type="application/json", **bearer(user))


def patch(client, user, ticket, entry_id, **body):
    return client.patch(
        url(ticket, entry_id), body, content_type="application/json", **bearer(user)
    )


def test_an_agent_logs_time_and_the_list_carries_the_ticket_cost(client, desk):
    level_rate(1, "40.00")
    agent_rate(desk.l2, "90.00")
    ticket = desk.ticket()

    created = post(client, desk.l1, ticket, minutes=30, note="Reinstalled driver")
    post(client, desk.l2, ticket, minutes=20)
    listed = client.get(url(ticket), **bearer(desk.l3)).json()

    assert created.status_code == 201
    assert created.json()["cost"] == "20.00"
    assert created.json()["hourly_rate"] == "40.00"
    assert created.json()["agent"]["id"] == desk.l1.pk
    assert [item["minutes"] for item in listed["items"]] == [30, 20]
    assert listed["total_minutes"] == 50
    assert Decimal(listed["total_cost"]) == Decimal("50.00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": "30"}, "minutes"),
        ({"minutes": 10, "activity_id": 999999}, "activity_id"),
        ({"minutes": 10, "work_date": "2026-13-01"}, "work_date"),
        ({"minutes": 10, "note": "x" * 501}, "note"),
        ({"minutes": 10, "entry_id": 999999}, "entry_id"),
        ({"minutes": 10, "billable": True}, "billable"),
    ],
)
def test_bad_input_is_400_and_nothing_is_logged(client, desk, body, field):
    response = post(client, desk.l1, desk.ticket(), **body)

    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert not TimeEntry.objects.exists()


def test_a_customer_cannot_read_time_entries(client, desk):
    ticket = desk.ticket()
    services.time_entry_log(actor=desk.l1, ticket=ticket, minutes=10, activity=activity())

    response = client.get(url(ticket), **bearer(desk.customer))

    assert response.status_code == 404
    assert post(client, desk.customer, ticket, minutes=10).status_code == 404


def test_an_agent_outside_the_department_cannot_log(client, desk):
    response = post(client, desk.outsider, desk.ticket(), minutes=10)

    assert response.status_code == 404  # the ticket does not exist for them
    assert not TimeEntry.objects.exists()


def test_an_agent_edits_their_entry_and_the_cost_follows(client, desk):
    level_rate(1, "60.00")
    ticket = desk.ticket()
    entry_id = post(client, desk.l1, ticket, minutes=30).json()["id"]

    response = patch(client, desk.l1, ticket, entry_id, minutes=45, note="longer")

    assert response.status_code == 200
    assert (response.json()["minutes"], response.json()["cost"]) == (45, "45.00")


def test_another_agent_cannot_edit_or_delete_an_entry_but_an_admin_can(client, desk):
    ticket = desk.ticket()
    entry_id = post(client, desk.l1, ticket, minutes=30).json()["id"]

    assert patch(client, desk.l2, ticket, entry_id, minutes=5).status_code == 403
    assert client.delete(url(ticket, entry_id), **bearer(desk.l2)).status_code == 403
    assert patch(client, desk.admin, ticket, entry_id, minutes=5).status_code == 200
    assert client.delete(url(ticket, entry_id), **bearer(desk.admin)).status_code == 204
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("body", [{}, {"minutes": None}, {"minutes": 0}, {"cost": "1"}])
def test_a_bad_patch_is_400(client, desk, body):
    ticket = desk.ticket()
    entry_id = post(client, desk.l1, ticket, minutes=30).json()["id"]

    assert patch(client, desk.l1, ticket, entry_id, **body).status_code == 400
    assert TimeEntry.objects.get().minutes == 30


def test_an_entry_of_another_ticket_is_404(client, desk):
    first, second = desk.ticket(), desk.ticket()
    entry_id = post(client, desk.l1, first, minutes=30).json()["id"]

    assert patch(client, desk.l1, second, entry_id, minutes=5).status_code == 404
    assert client.delete(url(second, 99999999), **bearer(desk.l1)).status_code == 404


def test_time_can_be_tied_to_the_callers_reply(client, desk):
    from helpline.tickets import services as ticket_services

    ticket = desk.ticket()
    reply = ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Fixed")

    first = post(client, desk.l1, ticket, minutes=10, entry_id=reply.pk)
    second = post(client, desk.l1, ticket, minutes=10, entry_id=reply.pk)

    assert first.json()["entry_id"] == reply.pk
    assert second.status_code == 409


def test_the_list_costs_a_fixed_number_of_queries(client, desk, django_assert_max_num_queries):
    ticket = desk.ticket()
    for agent in (desk.l1, desk.l2, desk.l3, desk.admin, desk.l1):
        services.time_entry_log(actor=agent, ticket=ticket, minutes=5, activity=activity())
    headers = bearer(desk.l1)

    with django_assert_max_num_queries(5):
        response = client.get(url(ticket), **headers)

    assert len(response.json()["items"]) == 5


# --- cost metrics --------------------------------------------------------------------------


def test_cost_per_ticket_per_department(client, desk):
    level_rate(1, "60.00")
    network_agent = factories.agent(departments=[desk.other_department], level=1)
    first, second = desk.ticket(), desk.ticket()
    network = desk.ticket(department=desk.other_department)
    for ticket, agent, minutes in [
        (first, desk.l1, 30),
        (first, desk.l1, 30),
        (second, desk.l1, 60),
        (network, network_agent, 15),
    ]:
        services.time_entry_log(actor=agent, ticket=ticket, minutes=minutes, activity=activity())

    body = client.get(f"{API}/metrics/cost", **bearer(desk.admin)).json()
    mine = client.get(f"{API}/metrics/cost", **bearer(desk.l1)).json()

    rows = {row["department"]["id"]: row for row in body["departments"]}
    helpdesk = rows[desk.department.pk]
    assert (helpdesk["tickets"], helpdesk["minutes"]) == (2, 120)
    assert (helpdesk["cost"], helpdesk["cost_per_ticket"]) == ("120.00", "60.00")
    assert rows[desk.other_department.pk]["cost"] == "15.00"
    assert body["overall"]["tickets"] == 3
    assert [row["department"]["id"] for row in mine["departments"]] == [desk.department.pk]


def test_cost_metrics_follow_the_work_date(client, desk):
    ticket = desk.ticket()
    today = clock.now().date()
    services.time_entry_log(
        actor=desk.l1,
        ticket=ticket,
        minutes=10,
        activity=activity(),
        work_date=today - timedelta(days=40),
    )

    recent = client.get(f"{API}/metrics/cost", **bearer(desk.admin)).json()
    older = client.get(
        f"{API}/metrics/cost", {"since": str(today - timedelta(days=60))}, **bearer(desk.admin)
    ).json()

    assert recent["overall"]["minutes"] == 0
    assert older["overall"]["minutes"] == 10


def test_customers_get_no_cost_metrics(client, desk):
    assert client.get(f"{API}/metrics/cost", **bearer(desk.customer)).status_code == 403


def test_cost_metrics_cost_a_fixed_number_of_queries(client, desk, django_assert_max_num_queries):
    for _ in range(4):
        ticket = desk.ticket()
        services.time_entry_log(actor=desk.l1, ticket=ticket, minutes=5, activity=activity())
    headers = bearer(desk.admin)

    with django_assert_max_num_queries(5):
        client.get(f"{API}/metrics/cost", **headers)
