"""Webhooks: a real receiver on 127.0.0.1 gets signed deliveries, retried with backoff after a
failure and logged; internal notes reach only internal endpoints; admins configure them."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpline import factories
from helpline.accounts.services import api_token_issue
from helpline.core import clock
from helpline.core.errors import NotFound, ValidationFailed
from helpline.notifications.sweeps import retry_side_effects
from helpline.tickets import services as ticket_services
from helpline.tickets.signals import TicketChange
from helpline.tickets.tests.scenarios import ticket_in
from helpline.webhooks import services, signing
from helpline.webhooks.models import Delivery, DeliveryStatus, Webhook

SECRET = "s3cret-s3cret-s3cret"


class Receiver:
    """An HTTP server on 127.0.0.1 that answers ``codes`` in turn (then 200) and keeps what it
    received."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = list(codes)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"busy" if code >= 400 else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def payloads(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(*codes: int) -> Receiver:
        made.append(Receiver(list(codes)))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def hook(url: str, events: list[str], **fields) -> Webhook:
    return Webhook.objects.create(name="Hook", url=url, secret=SECRET, events=events, **fields)


def test_a_receiver_gets_a_signed_delivery_retried_after_a_failure_and_logged(
    desk, receiver, committed
):
    server = receiver(503)  # the first attempt fails
    hook(server.url, ["ticket.created"])
    with committed():
        ticket = desk.ticket(subject="Printer on fire")
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert (delivery.attempts, delivery.response_code) == (1, 503)
    assert delivery.last_error == "HTTP 503"
    assert delivery.next_attempt_at > clock.now()

    assert retry_side_effects(now=delivery.next_attempt_at + timedelta(seconds=1)) == (0, 1)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert (delivery.attempts, delivery.response_code, delivery.response_body) == (2, 200, "ok")

    assert len(server.requests) == 2
    for headers, body in server.requests:
        timestamp = int(headers[signing.TIMESTAMP_HEADER])
        assert signing.verify(SECRET, timestamp, body, headers[signing.SIGNATURE_HEADER])
        assert headers[signing.SIGNATURE_HEADER].startswith("sha256=")
        assert headers["Content-Type"] == "application/json"
    payload = server.payloads()[-1]
    assert payload["event"] == "ticket.created"
    assert payload["delivery_id"] == delivery.pk
    assert payload["ticket"]["number"] == ticket.number
    assert payload["ticket"]["subject"] == "Printer on fire"
    assert "occurred_at" in payload


def test_a_wrong_secret_does_not_verify(desk, receiver, committed):
    server = receiver()
    hook(server.url, ["ticket.created"])
    with committed():
        desk.ticket()
    headers, body = server.requests[0]
    timestamp = int(headers[signing.TIMESTAMP_HEADER])
    assert not signing.verify("other", timestamp, body, headers[signing.SIGNATURE_HEADER])
    assert not signing.verify(SECRET, timestamp + 1, body, headers[signing.SIGNATURE_HEADER])


def test_an_unreachable_endpoint_is_retried_then_given_up(desk, committed, settings):
    settings.HELPLINE_WEBHOOK_MAX_ATTEMPTS = 2
    hook("http://127.0.0.1:9/", ["ticket.created"])  # nothing listens on the discard port
    with committed():
        desk.ticket()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_code is None
    assert "Error" in delivery.last_error
    retry_side_effects(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.next_attempt_at is None


def test_nothing_is_posted_from_the_request_before_commit(
    desk, receiver, django_capture_on_commit_callbacks
):
    server = receiver()
    hook(server.url, ["ticket.created"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        desk.ticket()
    assert callbacks  # the work waits for the commit
    assert server.requests == []
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (["ticket.status_changed"], ["ticket.status_changed"]),
        (["ticket.updated"], ["ticket.updated"]),
        (["ticket.created", "ticket.sla_breached"], []),
    ],
)
def test_subscriptions_choose_the_events(desk, receiver, committed, events, expected):
    server = receiver()
    ticket = ticket_in(desk, "open")
    hook(server.url, events)
    with committed():
        ticket_services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    assert [p["event"] for p in server.payloads()] == expected


def test_a_public_message_reaches_every_subscriber_with_its_text(desk, receiver, committed):
    server = receiver()
    ticket = desk.ticket()
    hook(server.url, ["ticket.message_added"])
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Try restarting.")
    (payload,) = server.payloads()
    assert payload["entry"]["body"] == "Try restarting."
    assert payload["entry"]["internal"] is False


def test_an_internal_note_reaches_only_internal_endpoints(desk, receiver, committed):
    outside, inside = receiver(), receiver()
    ticket = desk.ticket()
    hook(outside.url, ["ticket.message_added", "ticket.updated"])
    hook(inside.url, ["ticket.message_added"], include_internal=True)
    with committed():
        ticket_services.ticket_note(actor=desk.l1, ticket=ticket, body="The password is hunter2")
    assert outside.requests == []
    (payload,) = inside.payloads()
    assert payload["entry"]["internal"] is True
    assert not Delivery.objects.filter(webhook__url=outside.url).exists()


def test_disabled_webhooks_get_nothing(desk, receiver, committed):
    server = receiver()
    hook(server.url, ["ticket.created"], enabled=False)
    with committed():
        desk.ticket()
    assert server.requests == []


def test_an_sla_breach_is_its_own_event():
    assert signing.change_events("sla.breach", {})[0] == {
        "ticket.updated",
        "ticket.sla_breached",
    }
    assert signing.change_events("ticket.note", {}) == (
        {"ticket.message_added", "ticket.updated"},
        True,
    )


def test_webhook_fire_queues_a_delivery_for_a_rule(desk, receiver, committed):
    server = receiver()
    target = hook(server.url, [])
    ticket = desk.ticket()
    with committed():
        services.webhook_fire(webhook_id=target.pk, ticket=ticket, data={"rule": "vip"})
    (payload,) = server.payloads()
    assert payload["event"] == "rule"
    assert payload["data"] == {"rule": "vip"}


def test_webhook_call_by_url_needs_a_defined_webhook(desk, receiver, committed):
    server = receiver()
    ticket = desk.ticket()
    with pytest.raises(NotFound):
        services.webhook_call(ticket=ticket, url=server.url, method="POST", payload=None)
    hook(server.url, [])
    with committed():
        services.webhook_call(ticket=ticket, url=server.url, method="POST", payload="hello")
    assert server.payloads()[0]["data"] == "hello"


def test_a_delivery_is_posted_once_when_two_workers_try_it(desk, receiver):
    server = receiver()
    target = hook(server.url, [])
    ticket = desk.ticket()
    delivery = services.webhook_fire(webhook_id=target.pk, ticket=ticket)  # not committed
    now = clock.now() + timedelta(seconds=1)
    assert services.delivery_attempt(delivery.pk, now=now) is True
    assert services.delivery_attempt(delivery.pk, now=now) is False
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "example.com", ""]
)
def test_only_http_and_https_urls_are_accepted(url):
    with pytest.raises(ValidationFailed):
        services.webhook_check_url(url)


# --- admin and API ------------------------------------------------------------------------


def test_the_admin_form_refuses_a_non_http_url(db, client):
    client.force_login(factories.admin())
    response = client.post(
        "/admin/webhooks/webhook/add/",
        {"name": "x", "url": "ftp://example.com/", "secret": SECRET, "enabled": "on"},
    )
    assert response.status_code == 200
    assert not Webhook.objects.exists()


def test_the_admin_shows_the_delivery_log_with_response_codes(desk, receiver, committed, client):
    server = receiver(500)
    hook(server.url, ["ticket.created"])
    with committed():
        desk.ticket()
    client.force_login(desk.admin)
    page = client.get("/admin/webhooks/delivery/").content.decode()
    assert "500" in page
    assert "Failed, will retry" in page


def _auth(user) -> dict[str, str]:
    _, raw = api_token_issue(email=user.email, password=factories.PASSWORD, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_admins_create_list_and_read_deliveries(
    desk, client, receiver, committed, django_assert_max_num_queries
):
    server = receiver()
    auth = _auth(desk.admin)
    response = client.post(
        "/api/v1/webhooks",
        {"name": "CI", "url": server.url, "events": ["ticket.created"]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201
    created = response.json()
    assert len(created["secret"]) >= 16
    for _ in range(3):
        with committed():
            desk.ticket()
    with django_assert_max_num_queries(4):
        listed = client.get("/api/v1/webhooks", **auth).json()["items"]
    assert [w["name"] for w in listed] == ["CI"]
    with django_assert_max_num_queries(5):
        deliveries = client.get(f"/api/v1/webhooks/{created['id']}/deliveries", **auth).json()
    assert [d["response_code"] for d in deliveries["items"]] == [200, 200, 200]
    patched = client.patch(
        f"/api/v1/webhooks/{created['id']}",
        {"enabled": False},
        content_type="application/json",
        **auth,
    )
    assert patched.json()["enabled"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "url": "ftp://example.com/"},
        {"name": "x", "url": "http://example.com/", "events": ["ticket.exploded"]},
        {"name": "", "url": "http://example.com/"},
        {"name": "x", "url": "http://example.com/", "secret": "short"},
    ],
)
def test_api_refuses_bad_webhooks_with_400(desk, client, body):
    response = client.post(
        "/api/v1/webhooks", body, content_type="application/json", **_auth(desk.admin)
    )
    assert response.status_code == 400
    assert not Webhook.objects.exists()


def test_api_webhooks_are_for_admins_only(desk, client):
    assert client.get("/api/v1/webhooks", **_auth(desk.l1)).status_code == 403


def test_a_change_to_a_deleted_ticket_queues_nothing(desk, receiver):
    server = receiver()
    hook(server.url, ["ticket.updated"])
    change = TicketChange(audit_event_id=1, action="ticket.update", ticket_id=10**9, actor_id=None)
    assert services.deliveries_for_change(change) == []


# --- batches (one commit's changes, e.g. an SLA sweep batch) -------------------------------


def _updates(tickets, **changes):
    return [
        TicketChange(
            audit_event_id=i,
            action="ticket.update",
            ticket_id=ticket.pk,
            actor_id=None,
            changes=changes or {"subject": ["Old", "New"]},
        )
        for i, ticket in enumerate(tickets, start=1)
    ]


def test_a_batch_reads_the_webhooks_and_tickets_once_and_queues_every_delivery(
    desk, receiver, django_assert_max_num_queries
):
    server = receiver()
    hook(server.url, ["ticket.updated"])
    tickets = [desk.ticket() for _ in range(6)]
    with django_assert_max_num_queries(5):  # webhooks, tickets, one INSERT, savepoint
        deliveries = services.deliveries_for_changes(_updates(tickets))
    assert sorted((d.ticket_id, d.event) for d in deliveries) == [
        (t.pk, "ticket.updated") for t in tickets
    ]
    assert Delivery.objects.count() == 6


def test_a_batch_with_no_enabled_webhook_costs_one_query(desk, django_assert_num_queries):
    hook("http://127.0.0.1:9/", ["ticket.updated"], enabled=False)
    tickets = [desk.ticket() for _ in range(3)]
    with django_assert_num_queries(1):
        assert services.deliveries_for_changes(_updates(tickets)) == []


def test_a_change_that_cannot_be_delivered_costs_only_its_own_deliveries(desk, receiver):
    from helpline.webhooks.receivers import on_ticket_changes

    server = receiver()
    hook(server.url, ["ticket.updated"])
    broken, healthy = desk.ticket(), desk.ticket()
    changes = [
        *_updates([broken], subject=[object(), "not JSON"]),
        *_updates([healthy]),
    ]
    on_ticket_changes(sender=TicketChange, changes=changes)
    assert list(Delivery.objects.values_list("ticket_id", flat=True)) == [healthy.pk]
