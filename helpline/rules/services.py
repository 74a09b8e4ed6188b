"""Writes for automation rules and macros, and the rule dry run. Admins only for rules; the
interfaces (admin pages, API) call these so validation and the audit trail live in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from helpline.accounts.models import User
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import Conflict, PermissionDenied, ValidationFailed
from helpline.rules import actions as rule_actions
from helpline.rules.engine import RuleError, evaluate_rule, validate_rule
from helpline.rules.models import Rule
from helpline.rules.runner import load_ticket, snapshot_of
from helpline.tickets import access

RULE_FIELDS = ("name", "description", "enabled", "order", "trigger", "match", "conditions",
               "actions", "stop")  # fmt: skip


def check_admin(actor: User, what: str = "manage automation rules") -> None:
    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied(f"only admins can {what}")


def rule_problems(rule: Rule) -> dict[str, str]:
    """{field: message} for everything wrong with the rule's data; empty when it is valid.
    Problems inside conditions and actions are keyed by their path (``actions[0].value``)."""
    try:
        validate_rule(rule.as_engine_data())
    except RuleError as error:
        return {problem["path"] or "rule": problem["message"] for problem in error.problems}
    return {}


def _check(rule: Rule) -> None:
    problems = rule_problems(rule)
    if problems:
        first = next(iter(problems.items()))
        raise ValidationFailed(f"the rule is not valid: {first[0]}: {first[1]}", fields=problems)


def _save(rule: Rule, actor: User, action: str, before: Mapping[str, Any]) -> Rule:
    rule.updated_at = clock.now()
    try:
        with transaction.atomic():
            rule.save()
            audit_record(
                actor=actor,
                action=action,
                obj=rule,
                before=before,
                after={name: getattr(rule, name) for name in RULE_FIELDS},
            )
    except IntegrityError:
        raise Conflict(
            f"a rule named {rule.name!r} exists already", fields={"name": "already taken"}
        ) from None
    return rule


def rule_create(*, actor: User, data: Mapping[str, Any]) -> Rule:
    check_admin(actor)
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(
            "unknown fields: " + ", ".join(sorted(unknown)),
            fields=dict.fromkeys(unknown, "unknown"),
        )
    rule = Rule(**{name: value for name, value in data.items()})
    _check(rule)
    return _save(rule, actor, "rule.create", {})


def rule_update(*, actor: User, rule: Rule, changes: Mapping[str, Any]) -> Rule:
    check_admin(actor)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(
            "unknown fields: " + ", ".join(sorted(unknown)),
            fields=dict.fromkeys(unknown, "unknown"),
        )
    before = {name: getattr(rule, name) for name in RULE_FIELDS}
    for name, value in changes.items():
        setattr(rule, name, value)
    _check(rule)
    return _save(rule, actor, "rule.update", before)


def rule_delete(*, actor: User, rule: Rule) -> None:
    check_admin(actor)
    with transaction.atomic():
        audit_record(actor=actor, action="rule.delete", obj=rule, before={"name": rule.name})
        rule.delete()


@dataclass(frozen=True)
class DryRun:
    ticket_number: int
    matched: bool
    explanation: list[str]
    actions: list[str]


def rule_dry_run(*, actor: User, rule: Rule, ticket_number: int | str) -> DryRun:
    """Whether ``rule`` matches the ticket now and what it would do. Changes nothing (the
    rule's trigger is not checked, so a time rule can be tried on any ticket)."""
    check_admin(actor, "test automation rules")
    seen = access.access_ticket(actor, ticket_number, related=False)
    try:
        engine_rule = validate_rule({**rule.as_engine_data(), "enabled": True})
    except RuleError as error:
        raise ValidationFailed(f"the rule is not valid: {error}") from None
    ticket = load_ticket(seen.pk)
    assert ticket is not None
    result = evaluate_rule(engine_rule, snapshot_of(ticket))
    actions: list[str] = []
    if result.matched:
        for action in engine_rule.actions:
            actions.append(rule_actions.describe(action))
            if action.type == "stop":
                break
    return DryRun(
        ticket_number=ticket.number,
        matched=result.matched,
        explanation=result.explain(),
        actions=actions,
    )
