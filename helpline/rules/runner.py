"""Run the automation rules of a trigger on one ticket, and keep rule chains finite.

Loop protection. Applying a rule's actions changes the ticket, which sends ``ticket_changed``
again. The audit events a rule run wrote are remembered (in this process, until their
commit delivers them to :mod:`helpline.rules.receivers`) together with the chain they belong
to: the rules that already fired and the depth. The receiver turns them into *one* follow-up
``updated`` run for the whole batch, which skips the rules that already fired, and no
follow-up at all past ``MAX_CHAIN_DEPTH``. So a rule never retriggers itself and two rules
that undo each other stop after one round each.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import takewhile

from django.db import transaction
from django.db.models import Max

from helpline.accounts.models import User
from helpline.accounts.selectors import system_user
from helpline.audit.models import AuditEvent
from helpline.core import clock
from helpline.rules import actions as rule_actions
from helpline.rules.engine import (
    MAX_CHAIN_DEPTH,
    Evaluation,
    Rule,
    RuleError,
    evaluate,
    validate_rule,
)
from helpline.rules.models import Rule as RuleRow
from helpline.rules.models import RuleRun
from helpline.rules.snapshot import TicketFacts, build_snapshot
from helpline.tickets.models import EntryKind, ThreadEntry, Ticket

log = logging.getLogger(__name__)

MAX_REMEMBERED_EVENTS = 10_000


@dataclass
class Chain:
    ticket_id: int
    fired: frozenset[int | str]
    depth: int
    followed_up: bool = field(default=False)


_lock = threading.Lock()
_chains: OrderedDict[int, Chain] = OrderedDict()


def _remember(event_ids: Iterable[int], chain: Chain) -> None:
    with _lock:
        for event_id in event_ids:
            _chains[event_id] = chain
        while len(_chains) > MAX_REMEMBERED_EVENTS:  # events of rolled-back runs
            _chains.popitem(last=False)


def chain_of(audit_event_id: int) -> Chain | None:
    """The rule chain that wrote this audit event, if a rule run did (forgotten once asked)."""
    with _lock:
        return _chains.pop(audit_event_id, None)


# --- loading -------------------------------------------------------------------------------


def engine_rules(rows: Iterable[RuleRow]) -> list[Rule]:
    """The stored rules as the engine's; a row that no longer validates is skipped, logged."""
    rules = []
    for row in rows:
        try:
            rules.append(validate_rule(row.as_engine_data()))
        except RuleError as error:
            log.error("rule %s (%s) is invalid and skipped: %s", row.pk, row.name, error)
    return rules


def rules_for(trigger: str) -> list[Rule]:
    return engine_rules(
        RuleRow.objects.filter(trigger=trigger, enabled=True).order_by("order", "id")
    )


def _business_hours(ticket: Ticket, now: datetime) -> bool | None:
    policy = ticket.sla_policy
    calendar = getattr(policy, "calendar", None) if policy is not None else None
    if calendar is None:
        return None
    from helpline.sla.calendar import is_open_at

    return is_open_at(calendar.to_business_calendar(), now)


def ticket_facts(ticket: Ticket, *, now: datetime) -> TicketFacts:
    """Everything the rules may look at, read with a fixed number of queries."""
    latest = dict(
        ThreadEntry.objects.filter(
            ticket=ticket, kind__in=[EntryKind.CUSTOMER_MESSAGE, EntryKind.REPLY]
        )
        .values_list("kind")
        .annotate(last=Max("created_at"))
    )
    last_message = (
        ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.CUSTOMER_MESSAGE)
        .order_by("-id")
        .values_list("body", flat=True)
        .first()
    )
    states = (ticket.first_response_state, ticket.next_response_state, ticket.resolution_state)
    due = [
        due_at
        for due_at, state in (
            (ticket.first_response_due_at, ticket.first_response_state),
            (ticket.next_response_due_at, ticket.next_response_state),
            (ticket.resolution_due_at, ticket.resolution_state),
        )
        if due_at is not None and state not in ("met",)
    ]
    return TicketFacts(
        subject=ticket.subject,
        description=ticket.description,
        status=ticket.status,
        priority=ticket.priority,
        impact=ticket.impact,
        urgency=ticket.urgency,
        type=ticket.type,
        channel=ticket.channel,
        support_level=ticket.support_level,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        department=ticket.department.name,
        team=ticket.team.name if ticket.team else "",
        help_topic=ticket.help_topic.name if ticket.help_topic else "",
        category=ticket.category.name if ticket.category else "",
        assignee=ticket.assignee_id,
        requester_email=ticket.requester.email,
        requester_name=ticket.requester.name,
        organization=ticket.organization.name if ticket.organization else "",
        tags=tuple(tag.name for tag in ticket.tags.all()),
        latest_message=last_message or "",
        last_customer_message_at=latest.get(EntryKind.CUSTOMER_MESSAGE),
        last_agent_reply_at=latest.get(EntryKind.REPLY),
        due_at=tuple(due),
        sla_states=tuple(state for state in states if state),
        business_hours=_business_hours(ticket, now),
    )


def load_ticket(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related(
            "requester",
            "department",
            "team",
            "help_topic",
            "category",
            "organization",
            "sla_policy__calendar",
        )
        .filter(pk=ticket_id)
        .first()
    )


def snapshot_of(ticket: Ticket, *, now: datetime | None = None) -> dict[str, object]:
    now = now or clock.now()
    return build_snapshot(ticket_facts(ticket, now=now), now=now)


# --- running -------------------------------------------------------------------------------


@dataclass
class RunResult:
    evaluation: Evaluation | None
    runs: list[RuleRun] = field(default_factory=list)


def run_rules(
    *,
    ticket_id: int,
    trigger: str,
    fired: Sequence[int | str] = (),
    depth: int = 0,
    rules: Sequence[Rule] | None = None,
) -> RunResult:
    """Evaluate the enabled rules of ``trigger`` on the ticket and apply what matched, as the
    system user. ``fired`` and ``depth`` continue a chain (see the module docstring)."""
    if depth >= MAX_CHAIN_DEPTH:
        log.warning("rule chain on ticket %s stopped at depth %s", ticket_id, depth)
        return RunResult(None)
    rules = rules_for(trigger) if rules is None else rules
    if not rules:
        return RunResult(None)
    actor = system_user()
    with transaction.atomic():
        ticket = load_ticket(ticket_id)
        if ticket is None or ticket.is_closed:
            return RunResult(None)
        watermark = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
        evaluation = evaluate(rules, snapshot_of(ticket), trigger, already_fired=frozenset(fired))
        result = RunResult(evaluation)
        for matched in evaluation.matched:
            result.runs.append(_apply_rule(actor, ticket, matched.rule, trigger, depth))
        made = AuditEvent.objects.filter(
            pk__gt=watermark, ticket_id=ticket_id, actor=actor
        ).values_list("pk", flat=True)
        _remember(made, Chain(ticket_id, evaluation.fired, depth + 1))
    return result


def _apply_rule(actor: User, ticket: Ticket, rule: Rule, trigger: str, depth: int) -> RuleRun:
    own = list(takewhile(lambda action: action.type != "stop", rule.actions))
    applied, errors = rule_actions.apply_actions(actor=actor, ticket=ticket, actions=own)
    version = Ticket.objects.filter(pk=ticket.pk).values_list("version", flat=True).first() or 0
    return RuleRun.objects.create(
        rule_id=rule.id if isinstance(rule.id, int) else None,
        rule_name=rule.name,
        ticket=ticket,
        trigger=trigger,
        depth=depth,
        ticket_version=version,
        applied=applied,
        errors=errors,
    )
