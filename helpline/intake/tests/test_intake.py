"""POST /api/tickets.json with osTicket's documented payloads."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from helpline.intake.models import ApiKey
from helpline.intake.payload import PayloadError, parse_data_url, parse_payload
from helpline.intake.services import api_key_issue
from helpline.tickets.models import Attachment, Ticket

URL = "/api/tickets.json"
GIF = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

# The example from osTicket's API documentation (setup/doc/api/tickets.md).
OSTICKET_EXAMPLE = {
    "alert": True,
    "autorespond": True,
    "source": "API",
    "name": "Angry User",
    "email": "api@osticket.com",
    "phone": "3185558634X123",
    "subject": "Testing API",
    "ip": "123.211.233.122",
    "message": "data:text/html,MESSAGE <b>HERE</b>",
    "attachments": [
        {"file.txt": "data:text/plain;charset=utf-8,content"},
        {"image.gif": f"data:image/gif;base64,{GIF}"},
    ],
}


@pytest.fixture
def api_key(desk: Any) -> tuple[ApiKey, str]:
    return api_key_issue(actor=desk.admin, label="monitoring", department=desk.department)


def send(client: Any, body: Any, key: str | None, **extra: Any) -> Any:
    headers = {"HTTP_X_API_KEY": key} if key is not None else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        URL, data, content_type=extra.pop("content_type", "application/json"), **headers, **extra
    )


@pytest.mark.django_db
def test_an_osticket_style_json_request_creates_a_ticket(client: Any, api_key: Any) -> None:
    response = send(client, OSTICKET_EXAMPLE, api_key[1])
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("text/plain")
    ticket = Ticket.objects.get(number=int(response.content.decode().strip()))
    assert ticket.subject == "Testing API"
    assert ticket.description == "MESSAGE HERE"
    assert ticket.channel == "api"
    assert ticket.requester.email == "api@osticket.com"
    assert (ticket.requester.name, ticket.requester.phone) == ("Angry User", "3185558634X123")
    files = {a.filename: a for a in Attachment.objects.filter(ticket=ticket)}
    assert set(files) == {"file.txt", "image.gif"}
    assert files["file.txt"].file.read() == b"content"
    assert files["image.gif"].file.read() == base64.b64decode(GIF)
    assert files["image.gif"].content_type == "image/gif"


@pytest.mark.django_db
def test_a_plain_text_message_and_a_priority_id_are_taken(client: Any, api_key: Any) -> None:
    body = {
        "name": "A",
        "email": "a@example.com",
        "subject": "Down",
        "message": "Everything is down",
        "priority": 4,
        "unknown": {"custom": "field"},
    }
    response = send(client, body, api_key[1])
    assert response.status_code == 201
    ticket = Ticket.objects.get(number=int(response.content))
    assert (ticket.description, ticket.impact, ticket.urgency) == (
        "Everything is down",
        "high",
        "high",
    )
    assert ticket.department.name == "Helpdesk"


@pytest.mark.django_db
def test_a_topic_id_picks_the_help_topic(client: Any, desk: Any, api_key: Any) -> None:
    body = {**OSTICKET_EXAMPLE, "topicId": desk.topic.pk, "attachments": []}
    response = send(client, body, api_key[1])
    assert Ticket.objects.get(number=int(response.content)).help_topic == desk.topic


@pytest.mark.django_db
def test_a_missing_key_is_401(client: Any, api_key: Any) -> None:
    assert send(client, OSTICKET_EXAMPLE, None).status_code == 401
    assert send(client, OSTICKET_EXAMPLE, "0" * 32).status_code == 401
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_disabled_key_is_401(client: Any, api_key: Any) -> None:
    ApiKey.objects.update(enabled=False)
    assert send(client, OSTICKET_EXAMPLE, api_key[1]).status_code == 401


@pytest.mark.django_db
def test_a_key_bound_to_other_addresses_is_403(client: Any, api_key: Any) -> None:
    ApiKey.objects.update(allowed_ips="192.0.2.0/24\n2001:db8::1")
    assert send(client, OSTICKET_EXAMPLE, api_key[1]).status_code == 403
    response = send(client, OSTICKET_EXAMPLE, api_key[1], REMOTE_ADDR="192.0.2.77")
    assert response.status_code == 201


@pytest.mark.django_db
def test_xml_is_415(client: Any, api_key: Any) -> None:
    xml = "<ticket><subject>x</subject></ticket>"
    response = send(client, xml, api_key[1], content_type="application/xml")
    assert response.status_code == 415
    assert not Ticket.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2]",
        json.dumps({**OSTICKET_EXAMPLE, "email": ""}),
        json.dumps({**OSTICKET_EXAMPLE, "subject": None}),
        json.dumps({**OSTICKET_EXAMPLE, "email": "not an address"}),
        json.dumps({**OSTICKET_EXAMPLE, "message": "data:text/plain;base64,@@@"}),
        json.dumps({**OSTICKET_EXAMPLE, "attachments": [{"a.txt": "plain text"}]}),
        json.dumps({**OSTICKET_EXAMPLE, "attachments": "nope"}),
        json.dumps({**OSTICKET_EXAMPLE, "priority": "whenever"}),
        json.dumps({**OSTICKET_EXAMPLE, "topicId": -1}),
        json.dumps({**OSTICKET_EXAMPLE, "name": ["x"]}),
        json.dumps({**OSTICKET_EXAMPLE, "subject": "x" * 300}),
    ],
)
def test_bad_payloads_are_400_and_create_nothing(client: Any, api_key: Any, body: str) -> None:
    response = send(client, body, api_key[1])
    assert response.status_code == 400, response.content
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_body_over_the_limit_is_413(client: Any, api_key: Any, settings: Any) -> None:
    settings.HELPLINE_INTAKE_MAX_BYTES = 100
    assert send(client, OSTICKET_EXAMPLE, api_key[1]).status_code == 413


@pytest.mark.django_db
def test_get_is_405(client: Any, api_key: Any) -> None:
    assert client.get(URL, HTTP_X_API_KEY=api_key[1]).status_code == 405


@pytest.mark.django_db
def test_the_key_is_stored_hashed(api_key: Any) -> None:
    key, raw = api_key
    assert raw not in (key.key_hash, key.prefix) and len(raw) == 32
    assert key.key_hash == ApiKey.hash(raw)


# --- the payload parser (pure) -----------------------------------------------------------------


def test_data_urls_decode_percent_encoding_base64_and_charset() -> None:
    assert parse_data_url("data:,A%20brief%20note").data == b"A brief note"  # type: ignore[union-attr]
    latin = parse_data_url("data:text/plain;charset=iso-8859-1;base64,Y2Fm6Q==")
    assert latin is not None and latin.text() == "café"
    assert parse_data_url("just text") is None


def test_a_message_given_as_base64_html_becomes_html_text() -> None:
    html = base64.b64encode(b"<p>Hello <b>there</b></p>").decode()
    payload = parse_payload(
        {
            "name": "n",
            "email": "e@x.org",
            "subject": "s",
            "message": f"data:text/html;base64,{html}",
        }
    )
    assert payload.message_is_html and payload.message == "<p>Hello <b>there</b></p>"


def test_an_empty_data_url_message_is_refused() -> None:
    with pytest.raises(PayloadError):
        parse_payload({"name": "n", "email": "e@x.org", "subject": "s", "message": "data:,"})
