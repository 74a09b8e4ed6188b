from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.models import DateTimeField
from django.test.utils import CaptureQueriesContext

from helpline import factories
from helpline.accounts.models import User
from helpline.api.tests.conftest import API, bearer, error_of
from helpline.directory.models import Category
from helpline.tickets import services
from helpline.tickets.models import Ticket


def create(client: Any, user: Any, **body: Any) -> Any:
    body.setdefault("subject", "Printer jammed")
    body.setdefault("description", "Paper stuck in tray 2.")
    return client.post(f"{API}/tickets", body, content_type="application/json", **bearer(user))


# --- create ---------------------------------------------------------------------------------


def test_a_customer_opens_a_ticket_through_the_api_channel(client, desk):
    response = create(client, desk.customer, tags=["Printer", "printer", " floor-2 "])

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "new"
    assert body["channel"] == "api"
    assert body["requester"] == {
        "id": desk.customer.pk,
        "name": desk.customer.name,
        "email": desk.customer.email,
    }
    assert body["assignee"]["id"] == desk.l1.pk
    assert body["tags"] == ["floor-2", "printer"]
    assert Ticket.objects.get(number=body["number"]).requester == desk.customer


def test_a_create_writes_its_tags_once_and_answers_without_reading_them_back(client, desk):
    create(client, desk.customer, tags=["vpn"])  # the tag exists from now on
    with CaptureQueriesContext(connection) as queries:
        response = create(client, desk.customer, tags=["VPN", "laptop"])
    assert response.json()["tags"] == ["laptop", "vpn"]
    through = [q["sql"] for q in queries.captured_queries if "tickets_ticket_tags" in q["sql"]]
    assert [sql.split()[0] for sql in through] == ["INSERT"]
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert sorted(tag.name for tag in ticket.tags.all()) == ["laptop", "vpn"]


def test_a_help_topic_routes_the_ticket_to_its_department_and_type(client, desk):
    topic = factories.help_topic(
        department=desk.other_department, type="service_request", priority="high"
    )

    response = create(client, desk.customer, help_topic_id=topic.pk)

    assert response.json()["department"] == {"id": desk.other_department.pk, "name": "Network"}
    assert response.json()["type"] == "service_request"
    assert response.json()["priority"] == "high"
    assert response.json()["help_topic"] == {"id": topic.pk, "name": topic.name}


def test_impact_and_urgency_derive_the_priority(client, desk):
    response = create(client, desk.customer, impact="high", urgency="high")

    assert response.json()["priority"] == "critical"


def test_an_agent_opens_a_ticket_for_a_new_requester_by_email(client, desk):
    response = create(client, desk.l1, requester_email="New.Person@Example.com")

    assert response.status_code == 201
    requester = User.objects.get(email="new.person@example.com")
    assert requester.is_customer
    assert response.json()["requester"]["id"] == requester.pk


def test_a_customer_may_not_open_a_ticket_for_someone_else(client, desk):
    response = create(client, desk.customer, requester_email="victim@example.com")

    assert response.status_code == 403
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="victim@example.com").exists()


def test_a_customer_cannot_use_a_private_help_topic(client, desk):
    topic = factories.help_topic(department=desk.department, is_public=False)

    response = create(client, desk.customer, help_topic_id=topic.pk)

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"help_topic_id": "unknown"}


@pytest.mark.parametrize("field", ["help_topic_id", "category_id"])
def test_an_unknown_id_is_a_400_naming_the_field(client, desk, field):
    response = create(client, desk.customer, **{field: 999_999})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "x" * 251}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"description": ""}, "description"),
        ({"device": "d" * 201}, "device"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"impact": "extreme"}, "impact"),
        ({"type": "complaint"}, "type"),
        ({"requester_email": "not an email"}, "requester_email"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_invalid_ticket_fields_are_a_400_naming_the_field(client, desk, body, field):
    response = create(client, desk.l1, **body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"
    assert field in error_of(response)["fields"]
    assert not Ticket.objects.exists()


# --- list -----------------------------------------------------------------------------------


def numbers(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_keyset_pages_return_every_ticket_exactly_once_newest_first(client, desk):
    tickets = [desk.ticket() for _ in range(23)]
    headers = bearer(desk.l2)
    seen: list[int] = []
    cursor = ""
    for _ in range(10):
        page = client.get(f"{API}/tickets", {"limit": 5, "cursor": cursor}, **headers).json()
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == sorted((t.number for t in tickets), reverse=True)


def test_a_page_that_ends_exactly_at_the_last_ticket_has_no_next_cursor(client, desk):
    for _ in range(4):
        desk.ticket()

    page = client.get(f"{API}/tickets", {"limit": 4}, **bearer(desk.l1)).json()

    assert len(page["items"]) == 4
    assert page["next_cursor"] is None


def test_status_filter_accepts_repeated_and_comma_separated_values(client, desk):
    new = desk.ticket()
    opened = services.ticket_take(actor=desk.l1, ticket=desk.ticket())
    pending = services.ticket_transition(
        actor=desk.l1,
        ticket=services.ticket_take(actor=desk.l1, ticket=desk.ticket()),
        action="pend",
    )
    headers = bearer(desk.l1)

    repeated = client.get(f"{API}/tickets?status=new&status=pending", **headers)
    comma = client.get(f"{API}/tickets?status=open,pending", **headers)

    assert numbers(repeated) == [pending.number, new.number]
    assert numbers(comma) == [pending.number, opened.number]


def test_a_status_filter_repeated_many_times_is_answered_like_one(client, desk):
    ticket = desk.ticket()

    response = client.get(f"{API}/tickets?status=" + ",".join(["new"] * 50_000), **bearer(desk.l1))

    assert numbers(response) == [ticket.number]


def test_assignee_and_requester_filters(client, desk):
    mine = services.ticket_take(actor=desk.l2, ticket=desk.ticket())
    unassigned = services.ticket_assign(actor=desk.l1, ticket=desk.ticket(), assignee=None)
    theirs = desk.ticket(requester=desk.other_customer)
    headers = bearer(desk.l2)

    assert numbers(client.get(f"{API}/tickets?assignee=me", **headers)) == [mine.number]
    assert numbers(client.get(f"{API}/tickets?assignee=none", **headers)) == [unassigned.number]
    assert numbers(client.get(f"{API}/tickets?assignee={desk.l1.pk}", **headers)) == [theirs.number]
    own = client.get(f"{API}/tickets?requester=me", **bearer(desk.other_customer))
    assert numbers(own) == [theirs.number]


def test_department_filter(client, desk):
    helpdesk = desk.ticket()
    network = desk.ticket(department=desk.other_department)
    headers = bearer(desk.admin)

    assert numbers(client.get(f"{API}/tickets?department_id={desk.department.pk}", **headers)) == [
        helpdesk.number
    ]
    assert numbers(
        client.get(f"{API}/tickets?department_id={desk.other_department.pk}", **headers)
    ) == [network.number]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-5", "limit"),
        ("limit=abc", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=aWQ6YWJj", "cursor"),  # id:abc
        ("cursor=cGFnZToz", "cursor"),  # page:3
        ("cursor=" + "A" * 101, "cursor"),
        ("status=bogus", "status"),
        ("status=new,,bogus", "status"),
        ("assignee=someone", "assignee"),
        ("assignee=²", "assignee"),
        ("assignee=99999999999999999999999", "assignee"),
        ("requester=other", "requester"),
        ("department_id=x", "department_id"),
        ("department_id=99999999999999999999999", "department_id"),
        ("queue=bogus", "queue"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_the_parameter(client, desk, query, field):
    desk.ticket()

    response = client.get(f"{API}/tickets?{query}", **bearer(desk.l1))

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]


def test_a_customer_cannot_use_agent_queues(client, desk):
    response = client.get(f"{API}/tickets?queue=mine", **bearer(desk.customer))

    assert response.status_code == 403


@pytest.mark.parametrize("who", ["customer", "l1", "admin"])
def test_listing_runs_a_fixed_number_of_queries_however_many_tickets(
    client, desk, django_assert_max_num_queries, who
):
    for i in range(30):
        ticket = desk.ticket(tags=[f"tag{i}", "common"])
        if i % 3 == 0:
            services.ticket_take(actor=desk.l2, ticket=ticket)
    headers = bearer(getattr(desk, who))
    client.get(f"{API}/me", **headers)  # the token's first use records last_used_at

    with django_assert_max_num_queries(5):
        response = client.get(f"{API}/tickets?limit=100", **headers)

    assert len(response.json()["items"]) == 30


def test_a_queue_page_reads_the_agents_departments_once(client, desk):
    desk.ticket()
    headers = bearer(desk.l1)
    client.get(f"{API}/me", **headers)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/tickets?queue=department", **headers)

    assert len(response.json()["items"]) == 1
    table = '"directory_departmentmembership"'
    reads = [
        q["sql"] for q in queries.captured_queries if q["sql"].split(" FROM ")[1].startswith(table)
    ]
    assert len(reads) == 1, reads


def _no_times_under_a_millisecond_past_the_second() -> None:
    """A time less than a millisecond past the second is written ".000" (as Django's encoder
    writes it) and parses back as the whole second, written without: the tickets' times are
    moved to the second, so the round trip through the schema below is exact."""
    fields = [f.attname for f in Ticket._meta.concrete_fields if isinstance(f, DateTimeField)]
    for ticket in Ticket.objects.all():
        changed = {
            name: value.replace(microsecond=0)
            for name in fields
            if (value := getattr(ticket, name)) is not None and 0 < value.microsecond < 1000
        }
        if changed:
            Ticket.objects.filter(pk=ticket.pk).update(**changed)


@pytest.mark.parametrize("who", ["customer", "l1"])
def test_a_page_is_rendered_exactly_as_its_schema_dumps_it_and_each_item_as_its_detail(
    client, desk, resolved_ticket, who
):
    import json

    from ninja.responses import NinjaJSONEncoder

    from helpline.api.v1.schemas import TicketPage

    category = Category.objects.create(name="Hardware")
    tagged = desk.ticket(category=category, tags=["vpn", "printer"], help_topic=desk.topic)
    Ticket.objects.filter(pk=tagged.pk).update(assignee=None)
    waiting = desk.ticket()
    services.ticket_take(actor=desk.l2, ticket=waiting)
    services.ticket_transition(actor=desk.l2, ticket=waiting, action="pend")
    # SLA times as the clock leaves them (the desk has no policy): with and without
    # microseconds, a met target with its time.
    moment = datetime(2026, 11, 27, 9, 30, 5, 123456, tzinfo=UTC)
    Ticket.objects.filter(pk=waiting.pk).update(
        sla_paused_since=moment,
        first_response_due_at=moment.replace(microsecond=0),
        first_response_state="met",
        resolution_due_at=moment,
        resolution_state="ok",
    )
    _no_times_under_a_millisecond_past_the_second()
    headers = bearer(getattr(desk, who))

    response = client.get(f"{API}/tickets", **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    page = TicketPage.model_validate(response.json())
    assert response.content.decode() == json.dumps(page.model_dump(), cls=NinjaJSONEncoder)
    items = response.json()["items"]
    assert len(items) == 3
    assert any(item["resolution"]["problem_identified"] == "cable" for item in items)
    [paused] = [item for item in items if item["sla"]["paused_since"]]
    assert paused["sla"]["paused_since"] == "2026-11-27T09:30:05.123Z"
    assert paused["sla"]["first_response"]["due_at"] == "2026-11-27T09:30:05Z"
    assert paused["sla"]["first_response"]["met_at"] == paused["first_response_at"]
    assert any(item["assignee"] is None for item in items)
    for item in items:
        detail = client.get(f"{API}/tickets/{item['number']}", **headers)
        assert detail.json() == item


def test_the_create_and_the_detail_are_rendered_exactly_as_their_schema_dumps_them(client, desk):
    import json

    from ninja.responses import NinjaJSONEncoder

    from helpline.api.v1.schemas import TicketOut

    created = create(client, desk.customer, tags=["vpn"], device="LAPTOP-7")
    _no_times_under_a_millisecond_past_the_second()
    number = created.json()["number"]

    detail = client.get(f"{API}/tickets/{number}", **bearer(desk.customer))

    assert (created.status_code, detail.status_code) == (201, 200)
    schema = TicketOut.model_validate(detail.json())
    assert detail.content.decode() == json.dumps(schema.model_dump(), cls=NinjaJSONEncoder)
    assert list(created.json()) == list(detail.json()) == list(TicketOut.model_fields)
    untimed = [{k: v for k, v in r.json().items() if "_at" not in k} for r in (created, detail)]
    assert untimed[0] == untimed[1]  # times aside (moved to the second above)
    assert detail["ETag"] == f'"{detail.json()["version"]}"'


# --- detail ---------------------------------------------------------------------------------


def test_the_ticket_detail_carries_its_version_as_etag(client, desk):
    ticket = desk.ticket()

    response = client.get(f"{API}/tickets/{ticket.number}", **bearer(desk.customer))

    assert response.json()["number"] == ticket.number
    assert response.json()["version"] == 1
    assert response["ETag"] == '"1"'


@pytest.mark.parametrize("who", ["customer", "l2"])
def test_the_ticket_detail_runs_a_fixed_number_of_queries(
    client, desk, django_assert_max_num_queries, who
):
    category = Category.objects.create(name="Hardware")
    ticket = desk.ticket(category=category, tags=[f"tag{i}" for i in range(20)])
    headers = bearer(getattr(desk, who))
    client.get(f"{API}/me", **headers)

    with django_assert_max_num_queries(4):
        response = client.get(f"{API}/tickets/{ticket.number}", **headers)

    assert response.json()["category"] == {"id": category.pk, "name": "Hardware"}
    assert len(response.json()["tags"]) == 20


@pytest.mark.parametrize("number", ["424242", "0", "99999999999999999999", "abc", "-1", "1.5"])
def test_a_ticket_that_does_not_exist_is_a_json_404(client, desk, number):
    response = client.get(f"{API}/tickets/{number}", **bearer(desk.admin))

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
