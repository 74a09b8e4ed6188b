"""Editing a ticket: PATCH with optimistic locking through If-Match."""

from typing import Any

import pytest

from helpline import factories
from helpline.api.tests.conftest import API, bearer, error_of
from helpline.directory.models import Category
from helpline.tickets import services
from helpline.tickets.models import Ticket


def patch(client: Any, user: Any, ticket: Ticket, body: Any, version: Any = None) -> Any:
    extra = {} if version is None else {"HTTP_IF_MATCH": str(version)}
    return client.patch(
        f"{API}/tickets/{ticket.number}",
        body,
        content_type="application/json",
        **extra,
        **bearer(user),
    )


def test_an_edit_without_if_match_is_412_precondition_failed(client, desk):
    ticket = desk.ticket()

    response = patch(client, desk.l1, ticket, {"subject": "New subject"})

    assert response.status_code == 412
    assert error_of(response)["code"] == "precondition_failed"
    assert Ticket.objects.get(pk=ticket.pk).subject == ticket.subject


def test_an_edit_with_a_stale_version_is_409_stale_version(client, desk):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)  # version 2 now

    response = patch(client, desk.l2, ticket, {"subject": "New subject"}, version='"1"')

    assert response.status_code == 409
    assert error_of(response)["code"] == "stale_version"
    assert Ticket.objects.get(pk=ticket.pk).subject == ticket.subject


@pytest.mark.parametrize("if_match", ["1", '"1"', 'W/"1"'])
def test_an_edit_with_the_current_version_changes_the_ticket(client, desk, if_match):
    ticket = desk.ticket()

    response = patch(client, desk.l1, ticket, {"subject": "New subject"}, version=if_match)

    assert response.status_code == 200, response.content
    assert response.json()["subject"] == "New subject"
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'


@pytest.mark.parametrize("if_match", ["abc", "*", '"1.0"', "١"])
def test_an_if_match_that_is_not_a_version_is_a_400(client, desk, if_match):
    ticket = desk.ticket()

    response = patch(client, desk.l1, ticket, {"subject": "New subject"}, version=if_match)

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"If-Match": "not a version"}


def test_an_edit_resolves_ids_to_category_team_and_help_topic(client, desk):
    ticket = desk.ticket()
    category = Category.objects.create(name="Network")
    team = factories.team(name="Field service")
    topic = factories.help_topic(department=desk.department, name="Access")

    response = patch(
        client,
        desk.l1,
        ticket,
        {
            "category_id": category.pk,
            "team_id": team.pk,
            "help_topic_id": topic.pk,
            "impact": "high",
            "urgency": "high",
            "tags": ["vpn"],
            "location": "Room 12",
        },
        version=1,
    )

    body = response.json()
    assert body["category"] == {"id": category.pk, "name": "Network"}
    assert body["team"] == {"id": team.pk, "name": "Field service"}
    assert body["help_topic"] == {"id": topic.pk, "name": "Access"}
    assert body["priority"] == "critical"
    assert body["tags"] == ["vpn"]
    assert body["location"] == "Room 12"


def test_null_clears_an_optional_field_and_unsent_fields_stay(client, desk):
    category = Category.objects.create(name="Hardware")
    ticket = desk.ticket(category=category, device="Laptop")

    response = patch(client, desk.l1, ticket, {"category_id": None}, version=1)

    assert response.json()["category"] is None
    assert response.json()["device"] == "Laptop"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category_id": 999_999}, "category_id"),
        ({"team_id": 999_999}, "team_id"),
        ({"help_topic_id": 999_999}, "help_topic_id"),
        ({"subject": "x" * 251}, "subject"),
        ({"subject": None}, "subject"),
        ({"priority": "whenever"}, "priority"),
        ({"status": "closed"}, "status"),
        ({"assignee_id": 1}, "assignee_id"),
        ({"tags": "vpn"}, "tags"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_bad_edit_is_a_400_naming_the_field_and_changes_nothing(client, desk, body, field):
    ticket = desk.ticket()

    response = patch(client, desk.l1, ticket, body, version=1)

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert Ticket.objects.get(pk=ticket.pk).version == 1


def test_an_empty_edit_is_a_400(client, desk):
    ticket = desk.ticket()

    response = patch(client, desk.l1, ticket, {}, version=1)

    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).version == 1


def test_a_closed_ticket_cannot_be_edited(client, desk, resolved_ticket):
    ticket = services.ticket_transition(actor=desk.l1, ticket=resolved_ticket, action="close")

    response = patch(client, desk.l1, ticket, {"subject": "Edited"}, version=ticket.version)

    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"
