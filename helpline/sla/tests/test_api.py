"""The SLA admin API (policies, calendars), the ticket's ``sla`` JSON and the policy change."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.api.tests.conftest import API, bearer, error_of
from helpline.audit.models import AuditEvent
from helpline.sla.models import Calendar, Policy
from helpline.sla.tests.steps import policy_with

OFFICE = {
    "name": "Office",
    "timezone": "Europe/Copenhagen",
    "weekly": {day: [["08:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-12-31", {"date": "2026-12-24", "hours": [["08:00", "12:00"]]}],
    "country": "DK",
}


@pytest.fixture
def admin_headers(desk):
    return bearer(desk.admin)


def post(client, path, body, headers):
    return client.post(f"{API}{path}", body, content_type="application/json", **headers)


def patch(client, path, body, headers):
    return client.patch(f"{API}{path}", body, content_type="application/json", **headers)


# --- calendars --------------------------------------------------------------------------------


def test_an_admin_creates_a_calendar_and_reads_it_back(client, desk, admin_headers):
    response = post(client, "/calendars", OFFICE, admin_headers)

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["timezone"] == "Europe/Copenhagen"
    assert created["country"] == "DK"
    detail = client.get(f"{API}/calendars/{created['id']}", **admin_headers).json()
    assert detail["weekly"] == OFFICE["weekly"]
    assert detail["holidays"] == OFFICE["holidays"]


def test_creating_a_calendar_is_audited(client, desk, admin_headers):
    response = post(client, "/calendars", OFFICE, admin_headers)

    event = AuditEvent.objects.get(action="calendar.create")
    assert event.object_id == str(response.json()["id"])
    assert event.actor == desk.admin


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"weekly": {}}, "weekly", "no working time"),
        ({"weekly": {"mon": [["08:00", "12:00"], ["11:00", "16:00"]]}}, "weekly", "overlaps"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"country": "XX"}, "country", "no public holidays"),
        ({"country": "DK", "subdivision": "ZZ"}, "subdivision", "no subdivision"),
        ({"country": "", "subdivision": "BY"}, "subdivision", "needs a country"),
        ({"weekly": {"mon": [["8", "16:00"]]}}, "weekly", "HH:MM"),
        ({"weekly": {"funday": [["08:00", "16:00"]]}}, "weekly", "not a weekday"),
        ({"holidays": ["2026-02-30"]}, "holidays", "YYYY-MM-DD"),
        ({"holidays": [{"from": "2026-12-31", "to": "2026-12-01"}]}, "holidays", "before"),
        ({"holidays": [{"nonsense": 1}]}, "holidays", "needs"),
    ],
)
def test_a_bad_calendar_is_a_400_with_a_message_and_nothing_is_saved(
    client, desk, admin_headers, change, field, words
):
    response = post(client, "/calendars", {**OFFICE, **change}, admin_headers)

    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert words in error["message"]
    assert field in error["fields"]
    assert not Calendar.objects.exists()


def test_patching_a_calendar_changes_only_what_is_sent_and_is_audited(client, desk, admin_headers):
    created = post(client, "/calendars", OFFICE, admin_headers).json()

    response = patch(
        client, f"/calendars/{created['id']}", {"weekly": {"sat": [["10:00", "14:00"]]}},
        admin_headers,
    )  # fmt: skip

    assert response.status_code == 200, response.content
    assert response.json()["weekly"] == {"sat": [["10:00", "14:00"]]}
    assert response.json()["timezone"] == "Europe/Copenhagen"
    event = AuditEvent.objects.get(action="calendar.update")
    assert event.changes["weekly"][1] == {"sat": [["10:00", "14:00"]]}


def test_patching_a_calendar_to_no_working_time_is_refused_and_changes_nothing(
    client, desk, admin_headers
):
    created = post(client, "/calendars", OFFICE, admin_headers).json()

    response = patch(client, f"/calendars/{created['id']}", {"weekly": {}}, admin_headers)

    assert response.status_code == 400
    assert Calendar.objects.get(pk=created["id"]).weekly == OFFICE["weekly"]
    assert not AuditEvent.objects.filter(action="calendar.update").exists()


def test_a_calendar_name_must_be_unique(client, desk, admin_headers):
    post(client, "/calendars", OFFICE, admin_headers)

    response = post(client, "/calendars", OFFICE, admin_headers)

    assert response.status_code == 400
    assert "name" in error_of(response)["fields"]


def test_an_unknown_calendar_is_a_404(client, desk, admin_headers):
    response = client.get(f"{API}/calendars/424242", **admin_headers)

    assert response.status_code == 404


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    weekly=st.dictionaries(
        st.sampled_from(["mon", "tue", "sun", "xyz"]),
        st.lists(
            st.lists(st.sampled_from(["08:00", "16:00", "24:00", "7", "", "23:59"]), max_size=3),
            max_size=3,
        )
        | json_values,
        max_size=3,
    ),
    holidays=st.lists(json_values, max_size=3),
    timezone=st.sampled_from(["UTC", "Europe/Copenhagen", "", "Nowhere/City", "../etc", "\x00"]),
    country=st.sampled_from(["", "DK", "us", "XX", "\x00"]),
)
def test_any_calendar_input_is_a_201_or_a_400_never_a_500(
    client, desk, admin_headers, weekly, holidays, timezone, country
):
    body = {"name": "Fuzzed", "weekly": weekly, "holidays": holidays, "timezone": timezone,
            "country": country}  # fmt: skip

    response = post(client, "/calendars", body, admin_headers)

    assert response.status_code in (201, 400), response.content
    Calendar.objects.filter(name="Fuzzed").delete()


# --- policies ---------------------------------------------------------------------------------


def policy_body(calendar_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Gold",
        "calendar_id": calendar_id,
        "targets": [
            {"priority": "critical", "first_response_minutes": 30, "resolution_minutes": 240},
            {"priority": "low", "resolution_minutes": 4320},
        ],
        **fields,
    }


@pytest.fixture
def calendar(client, desk, admin_headers) -> dict[str, Any]:
    return post(client, "/calendars", OFFICE, admin_headers).json()


def test_an_admin_creates_a_policy_with_targets(client, desk, admin_headers, calendar):
    response = post(client, "/sla-policies", policy_body(calendar["id"]), admin_headers)

    assert response.status_code == 201, response.content
    policy = response.json()
    assert policy["calendar"] == {"id": calendar["id"], "name": "Office"}
    assert {t["priority"]: t["resolution_minutes"] for t in policy["targets"]} == {
        "critical": 240,
        "low": 4320,
    }
    event = AuditEvent.objects.get(action="policy.create")
    assert len(event.changes["targets"][1]) == 2


def test_a_new_default_policy_replaces_the_old_default(client, desk, admin_headers, calendar):
    old = policy_with("Old default", is_default=True)

    response = post(
        client, "/sla-policies", policy_body(calendar["id"], is_default=True), admin_headers
    )

    assert response.status_code == 201, response.content
    old.refresh_from_db()
    assert not old.is_default
    assert Policy.objects.get(is_default=True).name == "Gold"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"calendar_id": 424242}, "calendar_id"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"warning_percent": "75"}, "warning_percent"),
        ({"name": ""}, "name"),
        ({"targets": [{"priority": "urgent", "resolution_minutes": 60}]}, "targets.0.priority"),
        ({"targets": [{"priority": "low"}, {"priority": "low"}]}, "targets.1.priority"),
        (
            {"targets": [{"priority": "low", "resolution_minutes": 0}]},
            "targets.0.resolution_minutes",
        ),
        (
            {"targets": [{"priority": "low", "resolution_minutes": 10**12}]},
            "targets.0.resolution_minutes",
        ),
        ({"surprise": True}, "surprise"),
    ],
)
def test_a_bad_policy_is_a_400_naming_the_field(
    client, desk, admin_headers, calendar, change, field
):
    response = post(
        client, "/sla-policies", {**policy_body(calendar["id"]), **change}, admin_headers
    )

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert not Policy.objects.exists()


def test_patching_a_policy_replaces_its_targets_and_is_audited(
    client, desk, admin_headers, calendar
):
    created = post(client, "/sla-policies", policy_body(calendar["id"]), admin_headers).json()

    response = patch(
        client,
        f"/sla-policies/{created['id']}",
        {"warning_percent": 80, "targets": [{"priority": "high", "resolution_minutes": 600}]},
        admin_headers,
    )

    assert response.status_code == 200, response.content
    assert response.json()["warning_percent"] == 80
    assert response.json()["targets"] == [
        {"priority": "high", "first_response_minutes": None, "next_response_minutes": None,
         "resolution_minutes": 600}
    ]  # fmt: skip
    event = AuditEvent.objects.get(action="policy.update")
    assert event.changes["warning_percent"] == [75, 80]


@pytest.mark.parametrize(
    "field",
    ["name", "description", "calendar_id", "is_default", "pause_on_hold", "warning_percent",
     "escalate_on_breach", "is_public"],
)  # fmt: skip
def test_patching_a_policy_field_to_null_is_a_400(client, desk, admin_headers, calendar, field):
    created = post(client, "/sla-policies", policy_body(calendar["id"]), admin_headers).json()

    response = patch(client, f"/sla-policies/{created['id']}", {field: None}, admin_headers)

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]


@pytest.mark.parametrize(
    "field", ["name", "timezone", "weekly", "holidays", "country", "subdivision"]
)
def test_patching_a_calendar_field_to_null_is_a_200_or_a_400(
    client, desk, admin_headers, calendar, field
):
    response = patch(client, f"/calendars/{calendar['id']}", {field: None}, admin_headers)

    assert response.status_code in (200, 400), response.content


def test_patching_a_policy_without_targets_keeps_them(client, desk, admin_headers, calendar):
    created = post(client, "/sla-policies", policy_body(calendar["id"]), admin_headers).json()

    response = patch(client, f"/sla-policies/{created['id']}", {"name": "Platinum"}, admin_headers)

    assert response.json()["name"] == "Platinum"
    assert len(response.json()["targets"]) == 2


def test_the_policy_list_runs_a_fixed_number_of_queries(
    client, desk, admin_headers, django_assert_max_num_queries
):
    for n in range(8):
        policy_with(f"Policy {n}")
    client.get(f"{API}/me", **admin_headers)

    with django_assert_max_num_queries(5):
        response = client.get(f"{API}/sla-policies", **admin_headers)

    assert len(response.json()["items"]) == 8
    assert all(len(p["targets"]) == 4 for p in response.json()["items"])


def test_the_calendar_list_runs_a_fixed_number_of_queries(
    client, desk, admin_headers, django_assert_max_num_queries
):
    for n in range(8):
        Calendar.objects.create(name=f"Calendar {n}")
    client.get(f"{API}/me", **admin_headers)

    with django_assert_max_num_queries(3):
        response = client.get(f"{API}/calendars", **admin_headers)

    assert len(response.json()["items"]) == 8


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/calendars"),
        ("post", "/calendars"),
        ("get", "/calendars/1"),
        ("patch", "/calendars/1"),
        ("get", "/sla-policies"),
        ("post", "/sla-policies"),
        ("get", "/sla-policies/1"),
        ("patch", "/sla-policies/1"),
    ],
)
@pytest.mark.parametrize("who", ["l1", "customer"])
def test_the_sla_configuration_is_for_admins_only(client, desk, method, path, who):
    calendar = Calendar.objects.create(name="Some calendar")
    body: dict[str, Any] | None = {
        "post /calendars": OFFICE,
        "post /sla-policies": policy_body(calendar.pk),
    }.get(f"{method} {path}", {"name": "x"} if method == "patch" else None)
    call = getattr(client, method)
    kwargs: dict[str, Any] = {"content_type": "application/json"} if body else {}

    forbidden = call(f"{API}{path}", body, **kwargs, **bearer(getattr(desk, who)))
    anonymous = call(f"{API}{path}", body, **kwargs)

    assert forbidden.status_code == 403
    assert anonymous.status_code == 401


# --- a ticket's SLA in JSON, and changing its policy ------------------------------------------


def test_the_ticket_json_carries_its_sla(client, desk, demo_policy):
    ticket = desk.ticket()

    sla = client.get(f"{API}/tickets/{ticket.number}", **bearer(desk.customer)).json()["sla"]

    assert sla["policy"] == {"id": demo_policy.pk, "name": demo_policy.name}
    assert sla["first_response"]["state"] == "ok"
    assert sla["first_response"]["due_at"] is not None
    assert sla["first_response"]["met_at"] is None
    assert sla["next_response"] == {"due_at": None, "state": None, "met_at": None}
    assert sla["paused_minutes"] == 0
    assert sla["paused_since"] is None


def test_a_ticket_without_a_policy_has_an_empty_sla(client, desk):
    ticket = desk.ticket()

    sla = client.get(f"{API}/tickets/{ticket.number}", **bearer(desk.customer)).json()["sla"]

    assert sla["policy"] is None
    assert sla["resolution"] == {"due_at": None, "state": None, "met_at": None}


def test_the_policy_name_follows_a_rename(client, desk, demo_policy, admin_headers):
    ticket = desk.ticket()
    client.get(f"{API}/tickets/{ticket.number}", **admin_headers)

    patch(client, f"/sla-policies/{demo_policy.pk}", {"name": "Renamed"}, admin_headers)
    sla = client.get(f"{API}/tickets/{ticket.number}", **admin_headers).json()["sla"]

    assert sla["policy"]["name"] == "Renamed"


@pytest.mark.parametrize("who", ["customer", "l1", "admin"])
def test_listing_tickets_with_policies_runs_a_fixed_number_of_queries(
    client, desk, demo_policy, django_assert_max_num_queries, who
):
    other = policy_with("Other")
    for i in range(20):
        ticket = desk.ticket()
        if i % 2:
            from helpline.tickets import services

            services.ticket_set_sla_policy(actor=desk.l1, ticket=ticket, policy=other, reason="VIP")
    headers = bearer(getattr(desk, who))
    client.get(f"{API}/me", **headers)

    with django_assert_max_num_queries(6):
        response = client.get(f"{API}/tickets?limit=100", **headers)

    names = {item["sla"]["policy"]["name"] for item in response.json()["items"]}
    assert names == {"Other", demo_policy.name}


def test_an_agent_changes_a_tickets_policy_with_a_reason(client, desk, demo_policy):
    fast = policy_with("Fast track")
    ticket = desk.ticket()

    response = post(
        client, f"/tickets/{ticket.number}/sla-policy",
        {"policy_id": fast.pk, "reason": "The CEO's laptop"}, bearer(desk.l1),
    )  # fmt: skip

    assert response.status_code == 200, response.content
    assert response.json()["sla"]["policy"] == {"id": fast.pk, "name": "Fast track"}
    event = AuditEvent.objects.get(action="ticket.sla_policy")
    assert event.note == "The CEO's laptop"
    assert event.changes["sla_policy"][1]["name"] == "Fast track"


def test_changing_the_policy_recomputes_the_due_times(client, desk, demo_policy):
    fast = policy_with("Fast track", resolution=60)  # 24/7 UTC, an hour
    ticket = desk.ticket()

    sla = post(
        client, f"/tickets/{ticket.number}/sla-policy",
        {"policy_id": fast.pk, "reason": "urgent"}, bearer(desk.l1),
    ).json()["sla"]  # fmt: skip

    due = datetime.fromisoformat(sla["resolution"]["due_at"])
    assert abs(due - (ticket.created_at + timedelta(minutes=60))) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"policy_id": 424242, "reason": "x"}, 400, "policy_id"),
        ({"reason": "x"}, 400, "policy_id"),
        ({"policy_id": "self", "reason": "x"}, 400, "policy_id"),
        ({"policy_id": "other", "reason": "  "}, 400, "reason"),
        ({"policy_id": "other"}, 400, "reason"),
        ({"policy_id": "same", "reason": "x"}, 400, "policy_id"),
    ],
)
def test_a_bad_policy_change_is_refused_and_changes_nothing(
    client, desk, demo_policy, body, status, field
):
    other = policy_with("Other")
    ticket = desk.ticket()
    ids = {"other": other.pk, "same": demo_policy.pk, "self": "1"}
    if body.get("policy_id") in ids:
        body = {**body, "policy_id": ids[body["policy_id"]]}

    response = post(client, f"/tickets/{ticket.number}/sla-policy", body, bearer(desk.l1))

    assert response.status_code == status, response.content
    assert field in error_of(response)["fields"]
    ticket.refresh_from_db()
    assert ticket.sla_policy_id == demo_policy.pk


def test_a_customer_cannot_change_a_tickets_policy(client, desk, demo_policy):
    other = policy_with("Other")
    ticket = desk.ticket()

    response = post(
        client, f"/tickets/{ticket.number}/sla-policy",
        {"policy_id": other.pk, "reason": "please"}, bearer(desk.customer),
    )  # fmt: skip

    assert response.status_code == 403
