"""/api/v1/rules (admins) and /api/v1/macros (agents)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpline.api.tests.conftest import bearer, error_of
from helpline.audit.models import AuditEvent
from helpline.rules.models import Rule
from helpline.rules.tests import factories as rule_factories
from helpline.tickets.models import EntryKind, Ticket

pytestmark = pytest.mark.django_db
API = "/api/v1"

RULE = {
    "name": "VPN to network",
    "trigger": "created",
    "match": "any",
    "conditions": [{"field": "text", "op": "contains_any", "value": ["vpn"]}],
    "actions": [{"type": "set_department", "value": "Network"}],
}


def post(client: Any, path: str, user: Any, body: Any) -> Any:
    return client.post(
        API + path, json.dumps(body), content_type="application/json", **bearer(user)
    )


def test_an_admin_creates_a_rule_and_reads_it_back(client: Any, desk: Any) -> None:
    response = post(client, "/rules", desk.admin, RULE)
    assert response.status_code == 201, response.content
    rule_id = response.json()["id"]
    detail = client.get(f"{API}/rules/{rule_id}", **bearer(desk.admin)).json()
    assert detail["conditions"] == RULE["conditions"]
    assert AuditEvent.objects.filter(action="rule.create", object_id=str(rule_id)).exists()


def test_an_invalid_rule_is_refused_with_every_problem_by_path(client: Any, desk: Any) -> None:
    bad = {**RULE, "conditions": [{"field": "colour", "op": "matches", "value": 1}]}
    response = post(client, "/rules", desk.admin, bad)
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert "conditions[0].field" in fields and "conditions[0].op" in fields
    assert not Rule.objects.exists()


def test_a_dangerous_regex_is_refused(client: Any, desk: Any) -> None:
    bad = {**RULE, "conditions": [{"field": "subject", "op": "regex", "value": "(a+)+$"}]}
    response = post(client, "/rules", desk.admin, bad)
    assert response.status_code == 400
    assert "conditions[0].value" in error_of(response)["fields"]


def test_agents_cannot_see_or_change_rules(client: Any, desk: Any) -> None:
    rule = rule_factories.rule()
    assert client.get(f"{API}/rules", **bearer(desk.l1)).status_code == 403
    assert post(client, "/rules", desk.l1, RULE).status_code == 403
    response = client.delete(f"{API}/rules/{rule.pk}", **bearer(desk.l1))
    assert response.status_code == 403
    assert Rule.objects.filter(pk=rule.pk).exists()


def test_patch_revalidates_the_whole_rule(client: Any, desk: Any) -> None:
    rule = rule_factories.rule()
    response = client.patch(
        f"{API}/rules/{rule.pk}",
        json.dumps({"actions": [{"type": "set_priority", "value": "urgent"}]}),
        content_type="application/json",
        **bearer(desk.admin),
    )
    assert response.status_code == 400
    assert "actions[0].value" in error_of(response)["fields"]
    response = client.patch(
        f"{API}/rules/{rule.pk}",
        json.dumps({"enabled": False}),
        content_type="application/json",
        **bearer(desk.admin),
    )
    assert response.status_code == 200 and response.json()["enabled"] is False


def test_delete_removes_the_rule(client: Any, desk: Any) -> None:
    rule = rule_factories.rule()
    assert client.delete(f"{API}/rules/{rule.pk}", **bearer(desk.admin)).status_code == 204
    assert not Rule.objects.exists()
    assert client.get(f"{API}/rules/{rule.pk}", **bearer(desk.admin)).status_code == 404


def test_the_dry_run_reports_a_match_and_its_actions_and_changes_nothing(
    client: Any, desk: Any
) -> None:
    rule = rule_factories.rule(**RULE)
    ticket = desk.ticket(subject="VPN is down")
    headers = bearer(desk.admin)
    events = AuditEvent.objects.count()
    response = client.post(
        f"{API}/rules/{rule.pk}/test",
        json.dumps({"ticket": ticket.number}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["matched"] is True
    assert body["actions"] == ["set_department(value='Network')"]
    assert any("contains_any" in line for line in body["explanation"])
    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.department_id, after.version) == (ticket.department_id, ticket.version)
    assert AuditEvent.objects.count() == events


def test_the_dry_run_says_no_for_a_ticket_that_does_not_match(client: Any, desk: Any) -> None:
    rule = rule_factories.rule(**RULE)
    ticket = desk.ticket(subject="Printer")
    body = post(client, f"/rules/{rule.pk}/test", desk.admin, {"ticket": ticket.number}).json()
    assert (body["matched"], body["actions"]) == (False, [])


def test_the_dry_run_of_an_unknown_ticket_is_404(client: Any, desk: Any) -> None:
    rule = rule_factories.rule(**RULE)
    response = post(client, f"/rules/{rule.pk}/test", desk.admin, {"ticket": 999999})
    assert response.status_code == 404


def test_rule_list_takes_a_constant_number_of_queries(
    client: Any, desk: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        rule_factories.rule()
    headers = bearer(desk.admin)
    with django_assert_max_num_queries(4):
        response = client.get(f"{API}/rules", **headers)
    assert len(response.json()["items"]) == 5


def test_rule_detail_takes_a_constant_number_of_queries(
    client: Any, desk: Any, django_assert_max_num_queries: Any
) -> None:
    rule = rule_factories.rule()
    headers = bearer(desk.admin)
    with django_assert_max_num_queries(4):
        assert client.get(f"{API}/rules/{rule.pk}", **headers).status_code == 200


# --- macros ---------------------------------------------------------------------------------


def test_agents_list_global_and_their_departments_macros(client: Any, desk: Any) -> None:
    rule_factories.macro(name="Global")
    rule_factories.macro(name="Mine", department=desk.department)
    rule_factories.macro(name="Theirs", department=desk.other_department)
    names = [m["name"] for m in client.get(f"{API}/macros", **bearer(desk.l1)).json()["items"]]
    assert names == ["Global", "Mine"]


def test_customers_cannot_list_macros(client: Any, desk: Any) -> None:
    assert client.get(f"{API}/macros", **bearer(desk.customer)).status_code == 403


def test_macro_list_takes_a_constant_number_of_queries(
    client: Any, desk: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        rule_factories.macro(name=f"M{n}", department=desk.department)
    headers = bearer(desk.l1)
    with django_assert_max_num_queries(5):
        assert len(client.get(f"{API}/macros", **headers).json()["items"]) == 5


def test_applying_a_macro_replies_and_sets_status_and_fields(client: Any, desk: Any) -> None:
    macro = rule_factories.macro(
        name="Need logs",
        body="Hi {{ requester.name }}, please send the logs for #{{ ticket.number }}. "
        "— {{ agent.name }}",
        status_action="pend",
        field_changes={"priority": "high", "add_tags": ["logs"]},
    )
    ticket = desk.ticket()
    response = post(client, f"/tickets/{ticket.number}/macros/{macro.pk}", desk.l1, {})
    assert response.status_code == 201, response.content
    ticket.refresh_from_db()
    reply = ticket.entries.get(kind=EntryKind.REPLY)
    assert reply.body == (
        f"Hi Carol Customer, please send the logs for #{ticket.number}. — Level One"
    )
    assert (ticket.status, ticket.priority) == ("pending", "high")
    assert [tag.name for tag in ticket.tags.all()] == ["logs"]


def test_a_macro_of_another_department_cannot_be_applied(client: Any, desk: Any) -> None:
    macro = rule_factories.macro(department=desk.other_department)
    ticket = desk.ticket()
    response = post(client, f"/tickets/{ticket.number}/macros/{macro.pk}", desk.l1, {})
    assert response.status_code == 404
    assert not ticket.entries.filter(kind=EntryKind.REPLY).exists()


def test_a_refused_status_change_keeps_nothing_of_the_macro(client: Any, desk: Any) -> None:
    from helpline.tickets import services

    macro = rule_factories.macro(status_action="pend")
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")  # pending already
    response = post(client, f"/tickets/{ticket.number}/macros/{macro.pk}", desk.l1, {})
    assert response.status_code == 409
    assert not ticket.entries.filter(kind=EntryKind.REPLY).exists()
