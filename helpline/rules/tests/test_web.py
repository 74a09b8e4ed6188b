"""The macro picker in the agent's reply box, and the admin pages of rules and API keys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpline.audit.models import AuditEvent
from helpline.intake.models import ApiKey
from helpline.rules.models import Macro, Rule
from helpline.rules.tests import factories as rule_factories
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_ticket_page_loads_the_macro_picker(client: Any, desk: Any) -> None:
    ticket = desk.ticket()
    client.force_login(desk.l1)
    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert f"/desk/tickets/{ticket.number}/macros/" in page


def test_the_picker_lists_the_macros_of_the_tickets_department(client: Any, desk: Any) -> None:
    rule_factories.macro(name="Global thanks")
    rule_factories.macro(name="Helpdesk logs", department=desk.department)
    rule_factories.macro(name="Network only", department=desk.other_department)
    ticket = desk.ticket()
    client.force_login(desk.l1)
    html = client.get(f"/desk/tickets/{ticket.number}/macros/").content.decode()
    assert "Global thanks" in html and "Helpdesk logs" in html
    assert "Network only" not in html


def test_choosing_a_macro_inserts_its_rendered_text_after_what_was_typed(
    client: Any, desk: Any
) -> None:
    macro = rule_factories.macro(body="Hi {{ requester.name }}, re #{{ ticket.number }}")
    ticket = desk.ticket()
    client.force_login(desk.l1)
    html = client.get(
        f"/desk/tickets/{ticket.number}/macros/insert/",
        {"macro": macro.pk, "body": "Draft"},
    ).content.decode()
    assert f"Draft\n\nHi Carol Customer, re #{ticket.number}</textarea>" in html
    assert 'name="body"' in html


def test_customers_get_no_macro_picker(client: Any, desk: Any) -> None:
    ticket = desk.ticket()
    client.force_login(desk.customer)
    assert client.get(f"/desk/tickets/{ticket.number}/macros/").status_code == 404


def test_the_picker_takes_a_constant_number_of_queries(
    client: Any, desk: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(6):
        rule_factories.macro(name=f"Macro {n}")
    ticket = desk.ticket()
    client.force_login(desk.l1)
    with django_assert_max_num_queries(8):
        assert client.get(f"/desk/tickets/{ticket.number}/macros/").status_code == 200


def test_a_macro_with_an_unknown_variable_is_refused_in_the_admin(client: Any, desk: Any) -> None:
    client.force_login(desk.admin)
    response = client.post(
        "/admin/rules/macro/add/",
        {"name": "Bad", "body": "Hi {{ requester.shoe_size }}", "status_action": "",
         "field_changes": "{}", "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "unknown variable: requester.shoe_size" in response.content.decode()
    assert not Macro.objects.exists()


def test_an_invalid_rule_is_a_form_error_in_the_admin(client: Any, desk: Any) -> None:
    client.force_login(desk.admin)
    response = client.post(
        "/admin/rules/rule/add/",
        {
            "name": "Bad",
            "order": "1",
            "trigger": "created",
            "match": "all",
            "conditions": json.dumps([{"field": "subject", "op": "regex", "value": "(a+)+"}]),
            "actions": json.dumps([{"type": "set_priority", "value": "high"}]),
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "conditions[0].value" in response.content.decode()
    assert not Rule.objects.exists()


def test_a_valid_rule_is_saved_and_audited_in_the_admin(client: Any, desk: Any) -> None:
    client.force_login(desk.admin)
    response = client.post(
        "/admin/rules/rule/add/",
        {
            "name": "Good",
            "order": "1",
            "trigger": "created",
            "match": "all",
            "conditions": "[]",
            "actions": json.dumps([{"type": "set_priority", "value": "high"}]),
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = Rule.objects.get()
    assert AuditEvent.objects.filter(action="rule.create", object_id=str(rule.pk)).exists()


def test_the_admin_dry_run_shows_the_match_and_changes_nothing(client: Any, desk: Any) -> None:
    rule = rule_factories.rule(
        name="Prio",
        conditions=[{"field": "subject", "op": "contains", "value": "vpn"}],
        actions=[{"type": "set_priority", "value": "critical"}],
    )
    ticket = desk.ticket(subject="VPN down")
    client.force_login(desk.admin)
    response = client.post(f"/admin/rules/rule/{rule.pk}/test/", {"ticket": ticket.number})
    html = response.content.decode()
    assert response.status_code == 200
    assert "the rule matches" in html and "set_priority" in html
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_the_admin_dry_run_of_an_unknown_ticket_is_a_form_error(client: Any, desk: Any) -> None:
    rule = rule_factories.rule()
    client.force_login(desk.admin)
    response = client.post(f"/admin/rules/rule/{rule.pk}/test/", {"ticket": 987654})
    assert response.status_code == 400
    assert "no such ticket" in response.content.decode()


def test_adding_an_api_key_in_the_admin_shows_it_once_and_stores_its_hash(
    client: Any, desk: Any
) -> None:
    client.force_login(desk.admin)
    response = client.post(
        "/admin/intake/apikey/add/", {"label": "Zabbix", "enabled": "on", "allowed_ips": ""},
        follow=True,
    )  # fmt: skip
    key = ApiKey.objects.get()
    html = response.content.decode()
    raw = html.split("The new API key is ", 1)[1][:32]
    assert ApiKey.hash(raw) == key.key_hash


def test_an_api_key_with_a_bad_network_is_refused(client: Any, desk: Any) -> None:
    client.force_login(desk.admin)
    response = client.post(
        "/admin/intake/apikey/add/", {"label": "X", "enabled": "on", "allowed_ips": "10.0.0.300"}
    )
    assert response.status_code == 200
    assert not ApiKey.objects.exists()
