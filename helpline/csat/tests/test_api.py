"""GET/POST /api/v1/tickets/{number}/csat and GET /api/v1/metrics/csat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpline import factories
from helpline.api.tests.conftest import API, bearer, error_of
from helpline.core import clock
from helpline.csat.models import Survey
from helpline.csat.tests.factories import reopen, resolve
from helpline.tickets import services


def get_csat(client, user, ticket):
    return client.get(f"{API}/tickets/{ticket.number}/csat", **bearer(user))


def post_csat(client, user, ticket, **body):
    return client.post(
        f"{API}/tickets/{ticket.number}/csat",
        body,
        content_type="application/json",
        **bearer(user),
    )


def test_the_requester_rates_through_the_api(client, desk, committed):
    ticket = resolve(committed, desk.ticket(), desk.l1)

    response = post_csat(client, desk.customer, ticket, rating=5, comment="Great")

    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "rated"
    assert body["rating"] == 5
    assert body["rating_label"] == "Very satisfied"
    assert body["agent"] == {"id": desk.l1.pk, "name": desk.l1.name}
    assert body["department"]["id"] == desk.department.pk
    assert Survey.objects.get().channel == "api"


def test_rating_twice_is_409(client, desk, committed):
    ticket = resolve(committed, desk.ticket(), desk.l1)
    post_csat(client, desk.customer, ticket, rating=5)

    response = post_csat(client, desk.customer, ticket, rating=1)

    assert response.status_code == 409
    assert error_of(response)["code"] == "already_rated"
    assert Survey.objects.get().rating == 5


@pytest.mark.parametrize("rating", [0, 6, -1, "5", 4.5, None, True])
def test_a_bad_rating_is_400(client, desk, committed, rating):
    ticket = resolve(committed, desk.ticket(), desk.l1)

    response = post_csat(client, desk.customer, ticket, rating=rating)

    assert response.status_code == 400
    assert error_of(response)["fields"].keys() == {"rating"}
    assert Survey.objects.get().rating is None


def test_rating_before_resolution_is_409_no_survey(client, desk):
    ticket = desk.ticket()

    response = post_csat(client, desk.customer, ticket, rating=5)

    assert response.status_code == 409
    assert error_of(response)["code"] == "no_survey"


def test_rating_a_reopened_ticket_is_409(client, desk, committed):
    ticket = reopen(committed, resolve(committed, desk.ticket(), desk.l1), desk.customer)

    response = post_csat(client, desk.customer, ticket, rating=5)

    assert response.status_code == 409
    assert error_of(response)["code"] == "reopened"


def test_an_agent_cannot_rate(client, desk, committed):
    ticket = resolve(committed, desk.ticket(), desk.l1)

    response = post_csat(client, desk.l1, ticket, rating=5)

    assert response.status_code == 403
    assert Survey.objects.get().rating is None


def test_agents_of_the_ticket_read_the_rating(client, desk, committed):
    ticket = resolve(committed, desk.ticket(), desk.l1)
    post_csat(client, desk.customer, ticket, rating=2, comment="Slow")

    response = get_csat(client, desk.l2, ticket)

    assert response.status_code == 200
    assert response.json()["rating"] == 2
    assert response.json()["comment"] == "Slow"


def test_the_requester_reads_an_open_survey_with_its_choices(client, desk, committed):
    ticket = resolve(committed, desk.ticket(), desk.l1)

    body = get_csat(client, desk.customer, ticket).json()

    assert body["state"] == "open"
    assert [c["rating"] for c in body["choices"]] == [5, 4, 3, 2, 1]


def test_a_ticket_without_a_survey_reads_as_none(client, desk):
    assert get_csat(client, desk.customer, desk.ticket()).json()["state"] == "none"


@pytest.mark.parametrize("who", ["outsider", "other_customer", "stranger"])
def test_others_get_404(client, desk, committed, who):
    desk.org.shares_tickets = True  # other_customer sees the ticket, but is not its requester
    desk.org.save()
    ticket = resolve(committed, desk.ticket(), desk.l1)
    user = factories.customer() if who == "stranger" else getattr(desk, who)

    assert get_csat(client, user, ticket).status_code == 404
    assert post_csat(client, user, ticket, rating=5).status_code == 404


# --- metrics -------------------------------------------------------------------------------


def metrics(client, user, **params):
    return client.get(f"{API}/metrics/csat", params, **bearer(user))


def _rated(committed, desk, agent, rating, department=None):
    ticket = desk.ticket(department=department) if department else desk.ticket()
    ticket = resolve(committed, ticket, agent)
    services_rate(desk, ticket, rating)
    return ticket


def services_rate(desk, ticket, rating):
    from helpline.csat.models import Channel
    from helpline.csat.services import survey_rate

    survey_rate(actor=desk.customer, ticket=ticket, rating=rating, channel=Channel.API)


def test_metrics_average_and_count_per_agent_and_department(client, desk, committed):
    _rated(committed, desk, desk.l1, 5)
    _rated(committed, desk, desk.l1, 2)
    _rated(committed, desk, desk.l2, 4)

    body = metrics(client, desk.admin).json()

    assert body["overall"] == {
        "count": 3,
        "average": 3.67,
        "satisfied_rate": 0.6667,
        "low_count": 1,
    }
    agents = {row["agent"]["id"]: row for row in body["agents"]}
    assert (agents[desk.l1.pk]["count"], agents[desk.l1.pk]["average"]) == (2, 3.5)
    assert (agents[desk.l2.pk]["count"], agents[desk.l2.pk]["average"]) == (1, 4.0)
    (department,) = body["departments"]
    assert department["department"]["id"] == desk.department.pk
    assert department["count"] == 3


def test_metrics_of_an_agent_cover_only_their_departments(client, desk, committed):
    network_agent = factories.agent(departments=[desk.other_department])
    _rated(committed, desk, desk.l1, 5)
    _rated(committed, desk, network_agent, 1, department=desk.other_department)

    mine = metrics(client, desk.l1).json()
    everything = metrics(client, desk.admin).json()
    refused = metrics(client, desk.l1, department_id=desk.other_department.pk)

    assert mine["overall"]["count"] == 1
    assert [d["department"]["id"] for d in mine["departments"]] == [desk.department.pk]
    assert everything["overall"]["count"] == 2
    assert refused.status_code == 403


def test_customers_get_no_metrics(client, desk):
    assert metrics(client, desk.customer).status_code == 403


def test_metrics_honour_the_date_range(client, desk, committed):
    _rated(committed, desk, desk.l1, 5)
    today = clock.now().date()

    past = metrics(
        client,
        desk.admin,
        since=str(today - timedelta(days=10)),
        until=str(today - timedelta(days=1)),
    ).json()
    now = metrics(client, desk.admin, since=str(today), until=str(today)).json()

    assert past["overall"]["count"] == 0
    assert now["overall"]["count"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-02-30"},
        {"since": "yesterday"},
        {"since": "2026-05-02", "until": "2026-05-01"},
        {"since": "2020-01-01", "until": "2026-01-01"},
        {"department_id": "x"},
    ],
)
def test_bad_metric_parameters_are_400(client, desk, params):
    response = metrics(client, desk.admin, **params)

    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"


def test_first_contact_resolution_counts_one_reply_never_reopened(client, desk, committed):
    one_reply = desk.ticket()
    services.ticket_reply(actor=desk.l1, ticket=one_reply, body="Try this")
    resolve(committed, one_reply, desk.l1)
    two_replies = desk.ticket()
    services.ticket_reply(actor=desk.l1, ticket=two_replies, body="Try this")
    services.ticket_reply(actor=desk.l1, ticket=two_replies, body="And this")
    resolve(committed, two_replies, desk.l1)
    reopened = desk.ticket()
    services.ticket_reply(actor=desk.l1, ticket=reopened, body="Try this")
    reopened = reopen(committed, resolve(committed, reopened, desk.l1), desk.customer)
    resolve(committed, reopened, desk.l1)
    desk.ticket()  # not resolved: not counted

    fcr = metrics(client, desk.admin).json()["first_contact_resolution"]

    assert fcr == {"resolved": 3, "first_contact": 1, "rate": 0.3333}


def test_metrics_cost_a_fixed_number_of_queries(
    client, desk, committed, django_assert_max_num_queries
):
    for agent in (desk.l1, desk.l2, desk.l3, desk.l1):
        _rated(committed, desk, agent, 4)
    headers = bearer(desk.admin)

    with django_assert_max_num_queries(8):
        response = client.get(f"{API}/metrics/csat", **headers)

    assert response.json()["overall"]["count"] == 4


def test_reading_the_survey_costs_a_fixed_number_of_queries(
    client, desk, committed, django_assert_max_num_queries
):
    ticket = resolve(committed, desk.ticket(), desk.l1)
    for _ in range(2):
        ticket = resolve(committed, reopen(committed, ticket, desk.customer), desk.l1)
    headers = bearer(desk.customer)

    with django_assert_max_num_queries(5):
        response = client.get(f"{API}/tickets/{ticket.number}/csat", **headers)

    assert response.json()["state"] == "open"
