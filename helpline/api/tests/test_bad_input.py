"""No input is a 500: every bad request is a 4xx with the JSON error shape."""

import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.api.tests.conftest import API, bearer, error_of
from helpline.tickets.models import Ticket

# (method, path after /api/v1 with {n} for the ticket number, the keys its body knows)
WRITES = [
    ("post", "/auth/token", ["email", "password"]),
    ("post", "/tickets", ["subject", "description", "help_topic_id", "type", "category_id",
                          "impact", "urgency", "tags", "device", "location", "requester_email"]),
    ("patch", "/tickets/{n}", ["subject", "type", "category_id", "impact", "urgency", "priority",
                               "tags", "device", "location", "team_id", "help_topic_id"]),
    ("post", "/tickets/{n}/messages", ["body", "internal"]),
    ("post", "/tickets/{n}/actions/take", ["version"]),
    ("post", "/tickets/{n}/actions/assign", ["assignee_id", "version"]),
    ("post", "/tickets/{n}/actions/escalate",
     ["note", "to_level", "department_id", "team_id", "agent_id", "version"]),
    ("post", "/tickets/{n}/actions/pend", ["version"]),
    ("post", "/tickets/{n}/actions/hold", ["version"]),
    ("post", "/tickets/{n}/actions/resume", ["version"]),
    ("post", "/tickets/{n}/actions/resolve",
     ["problem_identified", "action_taken", "confirmation", "next_steps", "version"]),
    ("post", "/tickets/{n}/actions/reopen", ["reason", "version"]),
    ("post", "/tickets/{n}/actions/close", ["version"]),
]  # fmt: skip
WRITE_IDS = [f"{method} {path}" for method, path, _ in WRITES]


def send(client: Any, user: Any, ticket: Ticket, method: str, path: str, body: Any, **extra: Any):
    return client.generic(
        method.upper(),
        f"{API}{path.format(n=ticket.number)}",
        body,
        content_type="application/json",
        HTTP_IF_MATCH=str(ticket.version),
        **extra,
        **bearer(user),
    )


@pytest.mark.parametrize(
    "raw",
    [b"{", b"{'subject': 'single quotes'}", b"subject=x", b"\xff\xfe{}", b"[" * 100_000],
    ids=["truncated", "single quotes", "form encoded", "not utf-8", "nested too deep"],
)
@pytest.mark.parametrize(("method", "path", "keys"), WRITES, ids=WRITE_IDS)
def test_a_body_that_is_not_json_is_a_400_malformed_json(client, desk, method, path, keys, raw):
    ticket = desk.ticket()

    response = send(client, desk.admin, ticket, method, path, raw)

    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "malformed_json"


@pytest.mark.parametrize("body", ["null", "[]", '"text"', "1", '{"no_such_field": 1}'], ids=str)
@pytest.mark.parametrize(("method", "path", "keys"), WRITES, ids=WRITE_IDS)
def test_json_of_the_wrong_shape_is_a_400_validation_error(client, desk, method, path, keys, body):
    ticket = desk.ticket()

    response = send(client, desk.admin, ticket, method, path, body)

    assert response.status_code == 400, response.content
    assert error_of(response)["code"] in {"validation_error"}
    assert error_of(response)["fields"]


@pytest.mark.parametrize(("method", "path", "keys"), WRITES, ids=WRITE_IDS)
def test_wrong_json_types_for_every_field_are_a_400_naming_it(client, desk, method, path, keys):
    ticket = desk.ticket()

    for key in keys:
        response = send(client, desk.admin, ticket, method, path, json.dumps({key: {"x": [1]}}))

        assert response.status_code == 400, (key, response.content)
        assert key in error_of(response)["fields"], key


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/tickets", {"subject": "a\x00b", "description": "x"}, "subject"),
        ("/tickets", {"subject": "x", "description": "x", "category_id": 2**63}, "category_id"),
        ("/tickets", {"subject": "x", "description": "x", "category_id": 0}, "category_id"),
        ("/tickets", {"subject": "x", "description": "x", "category_id": "1"}, "category_id"),
        ("/tickets", {"subject": "x", "description": "x", "category_id": 1.0}, "category_id"),
        ("/tickets", {"subject": "x", "description": "x", "tags": ["a"] * 101}, "tags"),
        ("/tickets/{n}/actions/assign", {"assignee_id": True}, "assignee_id"),
        ("/tickets/{n}/actions/escalate", {"note": "x", "to_level": 10**30}, "to_level"),
        ("/tickets/{n}/actions/take", {"version": -1}, "version"),
        ("/tickets/{n}/actions/take", {"version": 2**64}, "version"),
        ("/auth/token", {"email": "a@b.c", "password": "p" * 5000}, "password"),
    ],
)
def test_out_of_range_and_odd_values_are_a_400_naming_the_field(client, desk, path, body, field):
    ticket = desk.ticket()

    response = send(client, desk.admin, ticket, "post", path, json.dumps(body))

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]


@pytest.mark.parametrize(("method", "path", "keys"), WRITES, ids=WRITE_IDS)
def test_a_body_past_the_upload_limit_is_a_413(client, desk, settings, method, path, keys):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    ticket = desk.ticket()
    body = json.dumps({keys[0]: "x" * 2000})

    response = send(client, desk.admin, ticket, method, path, body)

    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("method", "path"),
    [("put", "/tickets"), ("delete", "/tickets/{n}"), ("get", "/tickets/{n}/actions/close"),
     ("post", "/health"), ("delete", "/me")],
)  # fmt: skip
def test_a_wrong_method_is_a_json_405_with_allow(client, desk, method, path):
    ticket = desk.ticket()

    response = send(client, desk.admin, ticket, method, path, "{}")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert response["Allow"]


@pytest.mark.parametrize(
    "path", ["/", "/nothing", "/tickets/", "/tickets/1000/", "/tickets/1000/comments", "/v2"]
)
def test_a_path_that_names_no_endpoint_is_a_json_404(client, desk, path):
    response = client.get(f"{API}{path}", **bearer(desk.admin))

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unexpected_error_is_logged_and_answered_as_json_500(client, desk, monkeypatch, caplog):
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("helpline.tickets.selectors.departments_for", broken)

    with caplog.at_level(logging.ERROR):
        response = client.get(f"{API}/departments", **bearer(desk.customer))

    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    assert "bug" not in response.content.decode()
    assert any(record.exc_info for record in caplog.records)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize(("method", "path", "keys"), WRITES, ids=WRITE_IDS)
@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_json_body_is_ever_a_server_error(client, desk, method, path, keys, data):
    ticket = Ticket.objects.order_by("id").first() or desk.ticket()
    body = data.draw(
        JSON | st.fixed_dictionaries({}, optional={key: JSON for key in keys}), label="body"
    )

    response = send(client, desk.admin, ticket, method, path, json.dumps(body))

    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        error_of(response)
