"""Rules applied to real tickets: triggers, actions through the services, loop protection."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.accounts.selectors import system_user
from helpline.audit.models import AuditEvent
from helpline.rules.engine import MAX_CHAIN_DEPTH
from helpline.rules.models import RuleRun
from helpline.rules.runner import run_rules
from helpline.rules.tests import factories as rule_factories
from helpline.tickets import services
from helpline.tickets.models import EntryKind, Ticket

pytestmark = pytest.mark.django_db

VPN_RULE = {
    "name": "VPN to network",
    "trigger": "created",
    "match": "any",
    "conditions": [
        {"field": "text", "op": "contains_any", "value": ["vpn", "latency", "packet loss"]}
    ],
    "actions": [
        {"type": "set_department", "value": "Network Performance Monitoring"},
        {"type": "assign", "strategy": "load_balanced"},
    ],
}


def _create(desk: Any, capture: Any, **fields: Any) -> Ticket:
    with capture(execute=True):
        ticket = desk.ticket(**fields)
    return Ticket.objects.get(pk=ticket.pk)


def test_a_content_rule_routes_a_vpn_ticket_to_network_and_assigns_it_by_load(
    desk: Any, network: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule_factories.rule(**VPN_RULE)
    desk.ticket(department=network, requester=desk.customer)  # the busy agent's first ticket
    busy_ticket = Ticket.objects.filter(department=network).get()
    assert busy_ticket.assignee is not None
    ticket = _create(
        desk, django_capture_on_commit_callbacks, subject="VPN keeps dropping", description="x"
    )
    assert ticket.department == network
    assert ticket.assignee is not None
    assert ticket.assignee != busy_ticket.assignee  # the one with fewer open tickets
    assert RuleRun.objects.filter(ticket=ticket, rule_name="VPN to network").count() == 1
    assert AuditEvent.objects.filter(ticket=ticket, action="ticket.route").exists()


def test_a_ticket_not_mentioning_the_words_stays_where_it_was(
    desk: Any, network: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule_factories.rule(**VPN_RULE)
    ticket = _create(desk, django_capture_on_commit_callbacks, subject="Printer jam")
    assert ticket.department == desk.department
    assert not RuleRun.objects.exists()


def test_set_department_alone_reassigns_by_the_new_departments_strategy(
    desk: Any, network: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule_factories.rule(
        name="route",
        actions=[{"type": "set_department", "value": network.pk}],
    )
    ticket = _create(desk, django_capture_on_commit_callbacks)
    assert ticket.department == network
    assert ticket.assignee in (network.busy, network.idle)


def test_field_actions_change_the_ticket_as_the_system_user(
    desk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule_factories.rule(
        name="security",
        conditions=[{"field": "text", "op": "contains_any", "value": ["phishing"]}],
        actions=[
            {"type": "set_impact", "value": "high"},
            {"type": "set_priority", "value": "critical"},
            {"type": "add_tags", "tags": ["security"]},
            {"type": "add_note", "body": "Routed by the security rule."},
        ],
    )
    ticket = _create(desk, django_capture_on_commit_callbacks, subject="Phishing mail received")
    assert (ticket.impact, ticket.priority) == ("high", "critical")
    assert [tag.name for tag in ticket.tags.all()] == ["security"]
    note = ticket.entries.get(kind=EntryKind.NOTE)
    assert note.author == system_user()
    assert AuditEvent.objects.filter(
        ticket=ticket, action="ticket.update", actor=system_user()
    ).exists()


def test_a_reply_template_answers_the_requester_with_the_ticket_number(
    desk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule_factories.rule(
        name="ack",
        actions=[
            {
                "type": "reply_template",
                "template": "Hello {{ requester.name }}, we got #{{ ticket.number }}.",
            }
        ],
    )
    ticket = _create(desk, django_capture_on_commit_callbacks)
    reply = ticket.entries.get(kind=EntryKind.REPLY)
    assert reply.body == f"Hello Carol Customer, we got #{ticket.number}."


def test_a_failing_action_is_logged_and_the_next_one_still_runs(
    desk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule_factories.rule(
        name="half broken",
        actions=[
            {"type": "set_department", "value": "No Such Department"},
            {"type": "add_tags", "tags": ["after"]},
        ],
    )
    ticket = _create(desk, django_capture_on_commit_callbacks)
    run = RuleRun.objects.get(ticket=ticket)
    assert "No Such Department" in run.errors[0]
    assert [tag.name for tag in ticket.tags.all()] == ["after"]


def test_customer_replies_trigger_customer_replied_rules(
    desk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule_factories.rule(
        name="replied",
        trigger="customer_replied",
        conditions=[{"field": "latest_message", "op": "contains", "value": "urgent"}],
        actions=[{"type": "set_urgency", "value": "high"}],
    )
    ticket = desk.ticket()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(actor=desk.customer, ticket=ticket, body="This is urgent now")
    assert Ticket.objects.get(pk=ticket.pk).urgency == "high"


def test_updated_rules_run_on_field_changes(
    desk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule_factories.rule(
        name="critical goes to level 2",
        trigger="updated",
        conditions=[{"field": "priority", "op": "equals", "value": "critical"}],
        actions=[{"type": "escalate", "to_level": 2, "note": "critical priority"}],
    )
    ticket = desk.ticket()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(
            actor=desk.l1, ticket=ticket, expected_version=ticket.version,
            changes={"priority": "critical"},
        )  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.support_level == 2
    assert ticket.assignee == desk.l2


def test_two_rules_that_undo_each_other_stop_after_one_round_each(
    desk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule_factories.rule(
        name="ping",
        trigger="updated",
        conditions=[{"field": "priority", "op": "equals", "value": "low"}],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    rule_factories.rule(
        name="pong",
        trigger="updated",
        conditions=[{"field": "priority", "op": "equals", "value": "high"}],
        actions=[{"type": "set_priority", "value": "low"}],
    )
    ticket = desk.ticket()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(
            actor=desk.l1, ticket=ticket, expected_version=ticket.version,
            changes={"priority": "low"},
        )  # fmt: skip
    runs = list(RuleRun.objects.order_by("id").values_list("rule_name", "depth"))
    assert runs == [("ping", 0), ("pong", 1)]
    assert Ticket.objects.get(pk=ticket.pk).priority == "low"


def test_a_rule_never_retriggers_itself(desk: Any, django_capture_on_commit_callbacks: Any) -> None:
    rule_factories.rule(
        name="tagger",
        trigger="updated",
        actions=[{"type": "add_tags", "tags": ["touched"]}],
    )
    ticket = desk.ticket()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(
            actor=desk.l1, ticket=ticket, expected_version=ticket.version,
            changes={"priority": "low"},
        )  # fmt: skip
    assert RuleRun.objects.filter(rule_name="tagger").count() == 1


def test_a_rule_chain_stops_at_the_maximum_depth(desk: Any) -> None:
    rule_factories.rule(name="deep", trigger="updated")
    ticket = desk.ticket()
    result = run_rules(ticket_id=ticket.pk, trigger="updated", depth=MAX_CHAIN_DEPTH)
    assert result.evaluation is None
    assert not RuleRun.objects.exists()


def test_rules_are_not_evaluated_in_the_request_without_a_commit(desk: Any) -> None:
    rule_factories.rule(**VPN_RULE)
    ticket = desk.ticket(subject="VPN down")  # no commit: nothing enqueued yet
    assert Ticket.objects.get(pk=ticket.pk).department == desk.department
