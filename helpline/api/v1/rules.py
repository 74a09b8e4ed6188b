"""Automation rules (admins): list, create, read, change, delete, and a dry run."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt

from helpline.api.v1.auth import caller
from helpline.api.v1.schemas import ERRORS, Id, Text
from helpline.core.errors import NotFound, ValidationFailed
from helpline.rules import services
from helpline.rules.models import Match, Rule, Trigger

router = Router(tags=["automation"])

MAX_RULES = 500
Name = Annotated[Text, Field(min_length=1, max_length=120)]
Order = Annotated[StrictInt, Field(ge=0, le=2_000_000_000)]


class RuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[Text, Field(max_length=300)] = ""
    enabled: StrictBool = True
    order: Order = 100
    trigger: Trigger
    match: Match = Match.ALL
    conditions: list[dict[str, Any]] = Field(
        default=[], description='{"field", "op", "value"} each; see docs/automation.md.'
    )
    actions: list[dict[str, Any]] = Field(description='{"type", ...parameters} each.')
    stop: StrictBool = False


class RulePatch(Schema):
    """Any subset of the rule's fields; the whole rule is validated again."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Annotated[Text, Field(max_length=300)] | None = None
    enabled: StrictBool | None = None
    order: Order | None = None
    trigger: Trigger | None = None
    match: Match | None = None
    conditions: list[dict[str, Any]] | None = None
    actions: list[dict[str, Any]] | None = None
    stop: StrictBool | None = None


class RuleOut(Schema):
    id: int
    name: str
    description: str
    enabled: bool
    order: int
    trigger: str
    match: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    stop: bool


class RuleList(Schema):
    items: list[RuleOut]


class DryRunIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ticket: Id = Field(description="The ticket number to try the rule on.")


class DryRunOut(Schema):
    ticket: int
    matched: bool
    explanation: list[str] = Field(description="Each condition and whether it held.")
    actions: list[str] = Field(description="What the rule would do; nothing was changed.")


def rule_out(rule: Rule) -> RuleOut:
    return RuleOut(
        id=rule.pk,
        name=rule.name,
        description=rule.description,
        enabled=rule.enabled,
        order=rule.order,
        trigger=rule.trigger,
        match=rule.match,
        conditions=rule.conditions,
        actions=rule.actions,
        stop=rule.stop,
    )


def _rule(request: HttpRequest, rule_id: int) -> Rule:
    services.check_admin(caller(request))
    rule = Rule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("no such rule")
    return rule


@router.get("/rules", response={200: RuleList, **ERRORS})
def rule_list(request: HttpRequest) -> RuleList:
    """Every rule, in evaluation order (at most 500)."""
    services.check_admin(caller(request))
    return RuleList(items=[rule_out(rule) for rule in Rule.objects.all()[:MAX_RULES]])


@router.post("/rules", response={201: RuleOut, **ERRORS})
def rule_create(request: HttpRequest, payload: RuleIn) -> Status[RuleOut]:
    """Add a rule; conditions and actions are validated, every problem named by its path."""
    data = payload.model_dump()
    data["trigger"], data["match"] = str(payload.trigger), str(payload.match)
    rule = services.rule_create(actor=caller(request), data=data)
    return Status(201, rule_out(rule))


@router.get("/rules/{int:rule_id}", response={200: RuleOut, **ERRORS})
def rule_detail(request: HttpRequest, rule_id: int) -> RuleOut:
    return rule_out(_rule(request, rule_id))


@router.patch("/rules/{int:rule_id}", response={200: RuleOut, **ERRORS})
def rule_update(request: HttpRequest, rule_id: int, payload: RulePatch) -> RuleOut:
    rule = _rule(request, rule_id)
    changes = payload.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationFailed("nothing to change: send at least one field")
    if any(value is None for value in changes.values()):
        nulls = [name for name, value in changes.items() if value is None]
        raise ValidationFailed("these fields cannot be null", fields=dict.fromkeys(nulls, "null"))
    for name in ("trigger", "match"):
        if name in changes:
            changes[name] = str(changes[name])
    return rule_out(services.rule_update(actor=caller(request), rule=rule, changes=changes))


@router.delete("/rules/{int:rule_id}", response={204: None, **ERRORS})
def rule_delete(request: HttpRequest, rule_id: int) -> Status[None]:
    services.rule_delete(actor=caller(request), rule=_rule(request, rule_id))
    return Status(204, None)


@router.post("/rules/{int:rule_id}/test", response={200: DryRunOut, **ERRORS})
def rule_test(request: HttpRequest, rule_id: int, payload: DryRunIn) -> DryRunOut:
    """Dry run: whether the rule matches the ticket now and which actions it would apply.
    Nothing is changed."""
    run = services.rule_dry_run(
        actor=caller(request), rule=_rule(request, rule_id), ticket_number=payload.ticket
    )
    return DryRunOut(
        ticket=run.ticket_number,
        matched=run.matched,
        explanation=run.explanation,
        actions=run.actions,
    )
