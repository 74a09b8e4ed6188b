"""Time-based rules, run by the worker's sweep every minute.

Each sweep reads the next ``BATCH`` open tickets after a cursor (by primary key, wrapping
around), so the query is bounded and indexed however many tickets are open, and every open
ticket is looked at within ``open tickets / BATCH`` minutes. A time rule fires at most once per
ticket until the ticket changes (its version moves past the version the rule left it at), so
"no update for 24 hours → remind" does not repeat every minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction

from helpline.rules.models import RuleRun, SweepCursor, Trigger
from helpline.rules.runner import rules_for, run_rules
from helpline.tickets.models import Ticket
from helpline.tickets.states import ACTIVE

log = logging.getLogger(__name__)
BATCH = 200
CURSOR = "time_rules"


@dataclass
class TimeSweepReport:
    tickets: int = 0
    matched: int = 0
    errors: list[str] = field(default_factory=list)


def _next_batch() -> list[tuple[int, int]]:
    """(id, version) of the next open tickets after the cursor; moves the cursor."""
    with transaction.atomic():
        cursor, _ = SweepCursor.objects.select_for_update().get_or_create(name=CURSOR)
        open_tickets = Ticket.objects.filter(status__in=list(ACTIVE)).order_by("pk")
        batch = list(
            open_tickets.filter(pk__gt=cursor.last_ticket_id).values_list("pk", "version")[:BATCH]
        )
        if len(batch) < BATCH and cursor.last_ticket_id:
            batch += list(
                open_tickets.filter(pk__lte=cursor.last_ticket_id).values_list("pk", "version")[
                    : BATCH - len(batch)
                ]
            )
        cursor.last_ticket_id = batch[-1][0] if batch else 0
        cursor.save(update_fields=["last_ticket_id"])
    return batch


def sweep_time_rules() -> TimeSweepReport:
    """Evaluate the time-based rules on the next batch of open tickets."""
    report = TimeSweepReport()
    rules = rules_for(Trigger.TIME)
    if not rules:
        return report
    batch = _next_batch()
    report.tickets = len(batch)
    rule_ids = [rule.id for rule in rules]
    done = set(
        RuleRun.objects.filter(
            trigger=Trigger.TIME, rule_id__in=rule_ids, ticket_id__in=[pk for pk, _ in batch]
        ).values_list("rule_id", "ticket_id", "ticket_version")
    )
    for ticket_id, version in batch:
        # A rule already fired on this version of the ticket: skip it until the ticket moves.
        skip = [rule_id for rule_id, tid, at in done if tid == ticket_id and at >= version]
        try:
            result = run_rules(ticket_id=ticket_id, trigger=Trigger.TIME, fired=skip, rules=rules)
        except Exception as error:  # one ticket must not stop the sweep
            log.exception("time rules failed on ticket %s", ticket_id)
            report.errors.append(f"ticket {ticket_id}: {error}")
            continue
        report.matched += len(result.runs)
    return report
