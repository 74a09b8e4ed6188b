import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from helpline.api.tests.conftest import API, bearer, error_of
from helpline.tickets import services
from helpline.tickets.models import Attachment, EntryKind, ThreadEntry, Ticket

SECRET = "internal-only-3f9a"


def post_message(client: Any, user: Any, ticket: Ticket, **body: Any) -> Any:
    return client.post(
        f"{API}/tickets/{ticket.number}/messages",
        body,
        content_type="application/json",
        **bearer(user),
    )


def test_an_agent_reply_is_public_and_counts_as_the_first_response(client, desk):
    ticket = desk.ticket()

    response = post_message(client, desk.l1, ticket, body="Have you tried **restarting**?")

    assert response.status_code == 201
    entry = response.json()
    assert entry["kind"] == "reply"
    assert entry["internal"] is False
    assert entry["channel"] == "api"
    assert entry["author"] == {"id": desk.l1.pk, "name": desk.l1.name}
    assert "<strong>restarting</strong>" in entry["body_html"]
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.first_response_at is not None


def test_a_customer_message_brings_a_pending_ticket_back_to_open(client, desk):
    ticket = services.ticket_take(actor=desk.l1, ticket=desk.ticket())
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")

    response = post_message(client, desk.customer, ticket, body="Here is the log.")

    assert response.json()["kind"] == "customer_message"
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_an_internal_note_is_written_as_a_note(client, desk):
    ticket = desk.ticket()

    response = post_message(client, desk.l2, ticket, body="Check the switch", internal=True)

    assert response.status_code == 201
    assert response.json()["kind"] == "note"
    assert response.json()["internal"] is True


def test_a_customer_cannot_write_an_internal_note(client, desk):
    ticket = desk.ticket()

    response = post_message(client, desk.customer, ticket, body="Sneaky", internal=True)

    assert response.status_code == 403
    assert not ThreadEntry.objects.filter(ticket=ticket).exists()


def test_a_message_on_a_closed_ticket_is_a_409(client, desk, resolved_ticket):
    services.ticket_transition(actor=desk.l1, ticket=resolved_ticket, action="close")

    response = post_message(client, desk.customer, resolved_ticket, body="One more thing")

    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"


@pytest.mark.parametrize(
    "body",
    [{"body": ""}, {"body": "   "}, {}, {"body": 5}, {"body": "x", "internal": "yes"}],
    ids=["empty", "blank", "missing", "number", "internal not a boolean"],
)
def test_a_bad_message_is_a_400(client, desk, body):
    ticket = desk.ticket()

    response = client.post(
        f"{API}/tickets/{ticket.number}/messages",
        body,
        content_type="application/json",
        **bearer(desk.l1),
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"
    assert not ThreadEntry.objects.filter(ticket=ticket).exists()


def with_every_kind_of_internal_text(desk: Any) -> Ticket:
    """A ticket whose internal notes, escalation note and agent reopen reason hold SECRET."""
    ticket = desk.ticket()
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="We are on it.")
    services.ticket_note(actor=desk.l1, ticket=ticket, body=f"note {SECRET}")
    services.ticket_escalate(actor=desk.l1, ticket=ticket, note=f"escalation {SECRET}")
    resolution = services.Resolution(problem_identified="cable", action_taken="replaced")
    services.ticket_transition(
        actor=desk.l2, ticket=ticket, action="resolve", resolution=resolution
    )
    services.ticket_transition(
        actor=desk.l2, ticket=ticket, action="reopen", reason=f"reopen {SECRET}"
    )
    return ticket


def test_a_customer_never_sees_internal_notes_in_the_thread(client, desk):
    ticket = with_every_kind_of_internal_text(desk)

    response = client.get(f"{API}/tickets/{ticket.number}/messages", **bearer(desk.customer))

    kinds = {entry["kind"] for entry in response.json()["items"]}
    assert kinds == {"reply", "event"}
    assert SECRET not in response.content.decode()


def test_agents_see_the_whole_thread_in_order(client, desk):
    ticket = with_every_kind_of_internal_text(desk)

    response = client.get(f"{API}/tickets/{ticket.number}/messages", **bearer(desk.l3))

    items = response.json()["items"]
    assert [e["id"] for e in items] == sorted(e["id"] for e in items)
    assert sum(SECRET in e["body"] for e in items if e["internal"]) == 3
    assert all(e["kind"] == "note" for e in items if e["internal"])


@pytest.mark.parametrize(
    "path",
    ["", "/messages", "?", "/actions/close"],
    ids=["detail", "thread", "list", "action result"],
)
def test_no_customer_response_anywhere_carries_internal_text(client, desk, path):
    ticket = with_every_kind_of_internal_text(desk)
    services.ticket_transition(
        actor=desk.l2,
        ticket=ticket,
        action="resolve",
        resolution=services.Resolution(problem_identified="x", action_taken="y"),
    )
    headers = bearer(desk.customer)

    if path == "?":
        response = client.get(f"{API}/tickets", **headers)
    elif path.startswith("/actions"):
        response = client.post(
            f"{API}/tickets/{ticket.number}{path}", {}, content_type="application/json", **headers
        )
    else:
        response = client.get(f"{API}/tickets/{ticket.number}{path}", **headers)

    assert response.status_code == 200, response.content
    assert SECRET not in response.content.decode()
    assert '"note"' not in response.content.decode()


@pytest.mark.parametrize("who", ["customer", "l1"])
def test_the_thread_runs_a_fixed_number_of_queries_however_long(
    client, desk, django_assert_max_num_queries, who
):
    ticket = desk.ticket()
    for i in range(25):
        services.ticket_reply(actor=desk.l1, ticket=ticket, body=f"reply {i}")
        services.ticket_reply(actor=desk.customer, ticket=ticket, body=f"answer {i}")
        services.ticket_note(actor=desk.l2, ticket=ticket, body=f"note {i}")
    headers = bearer(getattr(desk, who))
    client.get(f"{API}/me", **headers)

    # token, the customer's organisation (visibility), ticket, entries, authors, attachments
    with django_assert_max_num_queries(6):
        response = client.get(f"{API}/tickets/{ticket.number}/messages", **headers)

    assert len(response.json()["items"]) >= 50


def long_thread(desk: Any, rounds: int) -> Ticket:
    ticket = desk.ticket()
    for i in range(rounds):
        services.ticket_reply(actor=desk.l1, ticket=ticket, body=f"reply {i}")
        services.ticket_reply(actor=desk.customer, ticket=ticket, body=f"answer {i}")
        services.ticket_note(actor=desk.l2, ticket=ticket, body=f"note {i}")
    return ticket


def test_the_thread_without_paging_is_the_whole_thread_with_nothing_earlier(client, desk):
    ticket = long_thread(desk, 3)

    body = client.get(f"{API}/tickets/{ticket.number}/messages", **bearer(desk.l1)).json()

    assert set(body) == {"items", "earlier"}
    assert body["earlier"] == 0
    ids = [item["id"] for item in body["items"]]
    assert ids == list(
        ThreadEntry.objects.filter(ticket=ticket).order_by("id").values_list("id", flat=True)
    )


@pytest.mark.parametrize("who", ["customer", "l1"])
def test_the_thread_pages_back_from_the_newest_with_before_and_limit(
    client, desk, django_assert_max_num_queries, who
):
    ticket = long_thread(desk, 10)
    user = getattr(desk, who)
    headers = bearer(user)
    whole = client.get(f"{API}/tickets/{ticket.number}/messages", **headers).json()["items"]
    client.get(f"{API}/me", **headers)

    pages: list[list[dict[str, Any]]] = []
    path = f"{API}/tickets/{ticket.number}/messages?limit=7"
    while True:
        # token, the customer's organisation (visibility), ticket, entries, their count when
        # the page is full, attachments
        with django_assert_max_num_queries(6):
            body = client.get(path, **headers).json()
        pages.insert(0, body["items"])
        if not body["earlier"]:
            break
        assert len(body["items"]) == 7
        path = f"{API}/tickets/{ticket.number}/messages?limit=7&before={body['items'][0]['id']}"

    assert [item for page in pages for item in page] == whole
    if who == "customer":
        assert all(not item["internal"] for page in pages for item in page)


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "before=0", "before=x"])
def test_a_bad_thread_page_is_a_400(client, desk, query):
    ticket = desk.ticket()

    response = client.get(f"{API}/tickets/{ticket.number}/messages?{query}", **bearer(desk.l1))

    assert response.status_code in (400, 422)


# --- events ---------------------------------------------------------------------------------


def test_agents_read_the_audit_trail_of_a_ticket(client, desk):
    ticket = services.ticket_take(actor=desk.l2, ticket=desk.ticket())

    response = client.get(f"{API}/tickets/{ticket.number}/events", **bearer(desk.l2))

    assert response.status_code == 200
    events = response.json()["items"]
    assert [e["action"] for e in events] == ["ticket.create", "ticket.take"]
    assert events[1]["actor"] == {"id": desk.l2.pk, "name": desk.l2.name}
    assert events[1]["changes"]["assignee"][1]["id"] == desk.l2.pk
    json.dumps(events)  # plain JSON all the way down


def test_the_audit_trail_does_not_exist_for_its_customer(client, desk):
    ticket = desk.ticket()

    response = client.get(f"{API}/tickets/{ticket.number}/events", **bearer(desk.customer))

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_the_audit_trail_runs_a_fixed_number_of_queries(
    client, desk, django_assert_max_num_queries
):
    ticket = desk.ticket()
    for i in range(20):
        services.ticket_note(actor=desk.l1, ticket=ticket, body=f"note {i}")
        services.ticket_reply(actor=desk.l2, ticket=ticket, body=f"reply {i}")
    headers = bearer(desk.l1)
    client.get(f"{API}/me", **headers)

    with django_assert_max_num_queries(3):
        response = client.get(f"{API}/tickets/{ticket.number}/events", **headers)

    assert len(response.json()["items"]) == 41


def test_entries_list_their_attachments(client, desk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = desk.ticket()
    upload = SimpleUploadedFile("log.txt", b"boom", content_type="text/plain")
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Log", attachments=[upload])

    response = client.get(f"{API}/tickets/{ticket.number}/messages", **bearer(desk.l1))

    [entry] = [e for e in response.json()["items"] if e["kind"] == EntryKind.CUSTOMER_MESSAGE]
    assert entry["attachments"] == [
        {
            "id": entry["attachments"][0]["id"],
            "filename": "log.txt",
            "content_type": "text/plain",
            "size": 4,
        }
    ]


def test_the_thread_is_rendered_exactly_as_its_schema_dumps_it(client, desk):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from ninja.responses import NinjaJSONEncoder

    from helpline.api.v1 import presenters
    from helpline.api.v1.schemas import EntryList, EntryOut

    ticket = long_thread(desk, 2)
    upload = SimpleUploadedFile("log.txt", b"boom", content_type="text/plain")
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Log", attachments=[upload])
    ThreadEntry.objects.filter(ticket=ticket, body="reply 0").update(author=None)

    response = client.get(f"{API}/tickets/{ticket.number}/messages", **bearer(desk.l1))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    # The plain data is what the schema dumps, key for key and in order ...
    entries = ThreadEntry.objects.filter(ticket=ticket).exclude(kind=EntryKind.EVENT)
    for entry in entries.select_related("author").prefetch_related("attachments"):
        data = presenters.entry_data(entry)
        assert json.dumps(data, cls=NinjaJSONEncoder) == json.dumps(
            EntryOut.model_validate(data).model_dump(), cls=NinjaJSONEncoder
        )
    # ... so the response is the one django-ninja would render from the schema. (Built from
    # the rows, not parsed back from the response: a time less than a millisecond past the
    # second is written ".000" and would parse back as the whole second, written without.)
    thread = ThreadEntry.objects.filter(ticket=ticket).order_by("id")
    ordered = thread.select_related("author").prefetch_related("attachments")
    expected = EntryList(items=[EntryOut.model_validate(presenters.entry_data(e)) for e in ordered])
    assert response.content.decode() == json.dumps(expected.model_dump(), cls=NinjaJSONEncoder)
    schema = EntryList.model_validate(response.json())
    assert any(item.author is None for item in schema.items)
    assert any(item.attachments for item in schema.items)


@pytest.mark.parametrize("who", ["customer", "l1"])
def test_the_whole_thread_from_rows_renders_as_its_entries_do(desk, who):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from ninja.responses import NinjaJSONEncoder

    from helpline.api.v1 import presenters
    from helpline.tickets import selectors

    ticket = long_thread(desk, 2)
    upload = SimpleUploadedFile("log.txt", b"boom", content_type="text/plain")
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Log", attachments=[upload])
    note = services.ticket_note(actor=desk.l1, ticket=ticket, body="Hidden log")
    Attachment.objects.create(  # a note's file, as mail ingestion could leave one
        ticket=ticket, entry=note, file="tickets/x/y", filename="hidden.txt", size=1
    )
    ThreadEntry.objects.filter(ticket=ticket, body="reply 0").update(author=None)
    # One time on a whole second: no milliseconds in the JSON.
    ThreadEntry.objects.filter(ticket=ticket, body="answer 0").update(
        created_at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    )
    user = getattr(desk, who)

    rows = presenters.thread_data(selectors.ticket_thread_rows(user=user, ticket=ticket))
    entries = selectors.ticket_entries(user=user, ticket=ticket)

    assert json.dumps(rows, cls=NinjaJSONEncoder) == json.dumps(
        [presenters.entry_data(entry) for entry in entries], cls=NinjaJSONEncoder
    )
    assert any(row["author"] is None for row in rows)
    assert any(row["attachments"] for row in rows)
    assert any(row["created_at"] == "2026-11-27T09:30:00Z" for row in rows)
    assert any(row["internal"] for row in rows) == (who == "l1")
    assert ("hidden.txt" in json.dumps(rows)) == (who == "l1")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        datetime(2026, 11, 27, 9, 30, 5, 123456, tzinfo=UTC),
        datetime(2026, 11, 27, 9, 30, 5, 999, tzinfo=UTC),
        datetime(2026, 11, 27, 9, 30, 5, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 11, 27, 9, 30, 5, 1000),
    ],
)
def test_json_time_writes_a_time_as_the_json_renderer_does(moment):
    from django.core.serializers.json import DjangoJSONEncoder

    from helpline.api.v1.presenters import json_time

    assert json_time(moment) == DjangoJSONEncoder().default(moment)
