"""The notify and webhook actions, carried out by the notifications and webhooks apps."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from helpline.rules import integrations
from helpline.rules.models import RuleRun
from helpline.rules.runner import run_rules
from helpline.rules.tests import factories as rule_factories

pytestmark = pytest.mark.django_db


def test_notify_tells_the_named_agents(desk: Any) -> None:
    rule_factories.rule(
        name="tell l2",
        actions=[{"type": "notify", "users": [desk.l2.email], "message": "Look at this"}],
    )
    ticket = desk.ticket()
    run_rules(ticket_id=ticket.pk, trigger="created")
    run = RuleRun.objects.get()
    assert run.errors == []
    assert run.applied == ["notified 1 people"]


def test_notify_is_skipped_with_a_warning_when_notifications_offer_no_function(
    desk: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(integrations, "NOTIFY", ("helpline.no_such_module", "notify_users"))
    rule_factories.rule(name="tell", actions=[{"type": "notify", "role": "assignee"}])
    run_rules(ticket_id=desk.ticket().pk, trigger="created")
    assert RuleRun.objects.get().applied == ["notify skipped: notifications are not available"]


def test_a_webhook_action_calls_the_webhooks_app(desk: Any, monkeypatch: Any) -> None:
    calls: list[dict[str, Any]] = []
    module = types.ModuleType("fake_webhooks")
    module.webhook_call = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_webhooks", module)
    monkeypatch.setattr(integrations, "WEBHOOK", (("fake_webhooks", "webhook_call"),))
    rule_factories.rule(
        name="hook", actions=[{"type": "webhook", "url": "https://hooks.example.com/x"}]
    )
    ticket = desk.ticket()
    run_rules(ticket_id=ticket.pk, trigger="created")
    assert calls[0]["url"] == "https://hooks.example.com/x" and calls[0]["method"] == "POST"
    assert calls[0]["ticket"].pk == ticket.pk


def test_a_webhook_action_is_skipped_when_the_webhooks_app_offers_no_function(
    desk: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(integrations, "WEBHOOK", (("helpline.no_such_module", "call"),))
    rule_factories.rule(
        name="hook", actions=[{"type": "webhook", "url": "https://hooks.example.com/x"}]
    )
    run_rules(ticket_id=desk.ticket().pk, trigger="created")
    assert RuleRun.objects.get().applied == ["webhook skipped: webhooks are not available"]


def test_a_webhook_action_queues_a_delivery_to_an_admin_defined_webhook(desk: Any) -> None:
    from helpline.webhooks.models import Delivery
    from helpline.webhooks.services import webhook_create

    hook = webhook_create(
        actor=desk.admin, name="chat", url="https://hooks.example.com/chat", events=[]
    )
    rule_factories.rule(
        name="hook", actions=[{"type": "webhook", "url": "https://hooks.example.com/chat"}]
    )
    ticket = desk.ticket()
    run_rules(ticket_id=ticket.pk, trigger="created")
    assert RuleRun.objects.get().errors == []
    assert Delivery.objects.filter(webhook=hook, ticket=ticket).exists()


def test_a_webhook_action_to_an_unknown_url_is_logged_as_an_error(desk: Any) -> None:
    rule_factories.rule(
        name="hook", actions=[{"type": "webhook", "url": "https://elsewhere.example.com/"}]
    )
    run_rules(ticket_id=desk.ticket().pk, trigger="created")
    assert "no enabled webhook has that URL" in RuleRun.objects.get().errors[0]
