"""Periodic sweeps, run every minute by ``helpline worker`` (or once by ``helpline sweep``).

Each sweep is idempotent and safe with any number of workers at once: it claims a row under
``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL) and re-checks the condition that selected it
after the lock is held, or claims it with a conditional UPDATE whose row count says who won.
A second worker finds nothing left to do, so no warning, reminder or notice fires twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, QuerySet
from django.db.models.base import ModelState

from helpline.accounts.selectors import system_user
from helpline.audit.services import audit_record
from helpline.core import batchsql, clock
from helpline.core.errors import DomainError
from helpline.directory.models import Department
from helpline.notifications import events as notify
from helpline.sla.services import (
    SLA_FIELDS,
    SlaEvent,
    cached_policy,
    sla_record_events_many,
    sla_refresh,
    sla_schedule,
)
from helpline.tickets import services as ticket_services
from helpline.tickets.models import Ticket
from helpline.tickets.states import Status

log = logging.getLogger(__name__)
BATCH = 500
MAX_SLA_BATCHES = 100  # per sweep run: at most 50,000 due tickets a minute per worker
CLAIM_RELATED = ("department", "help_topic", "sla_policy__calendar", "assignee")
# What the SLA sweep reads of a ticket (the clock, what selects its policy, what its audit
# events and notices name); not the texts, which make up most of a row. An escalation
# re-reads the whole ticket under its own lock.
SWEEP_FIELDS = (
    *SLA_FIELDS, "number", "status", "priority", "support_level", "department", "help_topic",
    "assignee", "created_at", "first_response_at", "resolved_at", "version",
)  # fmt: skip


@dataclass
class SweepReport:
    sla_events: int = 0
    escalations: int = 0
    reminders: int = 0
    auto_resolved: int = 0
    auto_closed: int = 0
    task_results_pruned: int = 0
    errors: list[str] = field(default_factory=list)

    def total(self) -> int:
        return (
            self.sla_events
            + self.escalations
            + self.reminders
            + self.auto_resolved
            + self.auto_closed
            + self.task_results_pruned
        )


def run_sweeps(*, now: datetime | None = None) -> SweepReport:
    """Every sweep once. One failing ticket is logged and skipped, never stops the others."""
    now = now or clock.now()
    report = SweepReport()
    sweep_sla(now=now, report=report)
    sweep_pending(now=now, report=report)
    sweep_resolved(now=now, report=report)
    from helpline.notifications.sweeps import retry_side_effects  # mail and webhook retries

    retry_side_effects(now=now, report=report)
    from helpline.core.tasks_backend import prune_task_results

    try:
        report.task_results_pruned = prune_task_results(now=now)
    except Exception as error:  # the other sweeps have run; next minute tries again
        log.exception("pruning the finished task results failed")
        report.errors.append(f"task results: {error}")
    return report


def _claim(pk: int, **condition: object) -> Ticket | None:
    """Lock ticket ``pk`` if it still matches ``condition``; None if taken or no longer due.

    Call inside a transaction."""
    return (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related(*CLAIM_RELATED)
        .filter(pk=pk, **condition)
        .first()
    )


@contextmanager
def _one_ticket(kind: str, pk: int, report: SweepReport) -> Iterator[None]:
    """One ticket's work in its own transaction. A failure rolls back that ticket only; it is
    logged and reported, and the sweep goes on with the next ticket."""
    try:
        with transaction.atomic():
            yield
    except DomainError as error:  # someone acted on the ticket in between: nothing to do
        log.info("%s skipped for ticket id %s: %s", kind, pk, error)
    except Exception as error:  # one bad row must not stop the sweep
        log.exception("%s failed for ticket id %s", kind, pk)
        report.errors.append(f"{kind} {pk}: {error}")


def sweep_sla(*, now: datetime, report: SweepReport) -> None:
    """Fire SLA warnings and breaches whose time has come.

    Works in batches of up to :data:`BATCH` due tickets, one transaction each, until none is
    due or :data:`MAX_SLA_BATCHES` ran. A batch claims its tickets through ``NextCheck`` (the
    narrow index of due times) with ``FOR UPDATE SKIP LOCKED``, so that several workers share
    the work; it re-checks each ticket's own ``sla_next_check_at`` under the lock, refreshes
    the tickets in Python, and writes them, their next checks, their audit events and their
    notifications in a few statements. A ticket that fails is reported, left due for the next
    run and skipped for the rest of this one; if a batch's write fails, that batch is done
    again one ticket at a time."""
    skipped: set[int] = set()  # failed in this run: not claimed again until the next one
    for _ in range(MAX_SLA_BATCHES):
        claimed: list[int] = []
        batch = SweepReport()
        try:
            with transaction.atomic():
                claimed, tickets = _claim_due(now, skipped)
                if not claimed:
                    return
                if not tickets:
                    continue
                _sla_batch(tickets, now=now, report=report, batch=batch, failed=skipped)
        except Exception:  # the batch write failed: nothing of it was kept
            log.exception("SLA batch of %s tickets failed; retrying one by one", len(claimed))
            for pk in claimed:
                if pk not in skipped:
                    _sla_one(pk, now=now, report=report, failed=skipped)
            continue
        report.sla_events += batch.sla_events
        report.escalations += batch.escalations
        report.errors += batch.errors


def claimable(now: datetime, skipped: Iterable[int] = ()) -> QuerySet[Ticket]:
    """One batch's claim (see :func:`_claim_due`), as a query."""
    return (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(next_check__at__lte=now)
        .exclude(pk__in=list(skipped))
        .order_by("next_check__at")[:BATCH]
    )


def _claim_due(now: datetime, skipped: set[int]) -> tuple[list[int], list[Ticket]]:
    """Claim up to :data:`BATCH` due tickets: (the ids claimed, those of them still due).
    Call inside the batch's transaction.

    One statement walks ``NextCheck`` by due time and locks the tickets it joins, skipping
    the ones locked by someone else (another sweep, or a service changing the ticket, which
    moves its next check too), so several workers share the due tickets without waiting.
    Each ticket's own ``sla_next_check_at`` is then re-checked: where the index was behind
    it, the index is brought in step and the ticket left alone."""
    names = ["id", *(_attname(name) for name in SWEEP_FIELDS)]
    locked = [_partial(names, row) for row in claimable(now, skipped).values_list(*names)]
    due: list[Ticket] = []
    stale: list[Ticket] = []
    for ticket in locked:
        at = ticket.sla_next_check_at
        (due if at is not None and at <= now else stale).append(ticket)
    if stale:
        sla_schedule(stale)
    return [ticket.pk for ticket in locked], due


def _attname(name: str) -> str:
    field = Ticket._meta.get_field(name)
    assert isinstance(field, Field)
    return str(field.attname)


def _partial(attnames: list[str], row: tuple[Any, ...]) -> Ticket:
    """A ticket from some of its columns, the others deferred (read on access), like what
    ``only()`` returns but without the per-field bookkeeping of ``Model.from_db``, which is
    a good part of a 500-ticket batch's time."""
    ticket = Ticket.__new__(Ticket)
    ticket.__dict__.update(zip(attnames, row, strict=True))
    ticket._state = ModelState()
    ticket._state.adding = False
    ticket._state.db = connection.alias
    return ticket


def _sla_batch(
    tickets: list[Ticket], *, now: datetime, report: SweepReport, batch: SweepReport,
    failed: set[int],
) -> None:  # fmt: skip
    """Refresh the claimed ``tickets`` in Python, then write them, their audit events and
    their notifications in a few statements. Call inside the batch's transaction."""
    done: list[tuple[Ticket, list[SlaEvent]]] = []
    fields: set[str] = set()
    for ticket in tickets:
        try:
            changed, events = _sla_refresh(ticket, now=now)
        except DomainError as error:
            log.info("sla skipped for ticket id %s: %s", ticket.pk, error)
            failed.add(ticket.pk)
            continue
        except Exception as error:  # one bad row must not stop the batch; it stays due
            log.exception("sla failed for ticket id %s", ticket.pk)
            report.errors.append(f"sla {ticket.pk}: {error}")
            failed.add(ticket.pk)
            continue
        fields.update(changed)
        done.append((ticket, events))
    if done and fields:
        _write([ticket for ticket, _ in done], sorted(fields))
        sla_schedule([ticket for ticket, _ in done])  # every one's next check moved
    batch.sla_events += sla_record_events_many(done)
    for ticket, events in done:
        if _breached_resolution(events):
            # Its own savepoint: a failed escalation must not take the breach back.
            with _one_ticket("escalation", ticket.pk, batch):
                _escalate_on_breach(ticket, batch)


def _write(tickets: list[Ticket], names: list[str]) -> None:
    """Save ``names`` of every ticket in one statement: on PostgreSQL one ``UPDATE … FROM
    json_populate_recordset`` (:mod:`helpline.core.batchsql`; Django's ``bulk_update`` builds
    a CASE per field and row, about a millisecond of Python per ticket); elsewhere
    ``bulk_update``."""
    if connection.vendor == "postgresql":
        batchsql.update(tickets, names)
    else:
        Ticket.objects.bulk_update(tickets, names)


def _sla_one(
    pk: int, *, now: datetime, report: SweepReport, failed: set[int],
) -> None:  # fmt: skip
    """One ticket in its own transaction: the fallback when its batch could not be written."""
    errors = len(report.errors)
    with _one_ticket("sla", pk, report):
        ticket = _claim(pk, sla_next_check_at__lte=now)
        if ticket is None:
            return
        fields, events = _sla_refresh(ticket, now=now)
        ticket.save(update_fields=sorted(set(fields)))
        sla_schedule([ticket])
        report.sla_events += sla_record_events_many([(ticket, events)])
        if _breached_resolution(events):
            with _one_ticket("escalation", pk, report):
                _escalate_on_breach(ticket, report)
    if len(report.errors) > errors and report.errors[-1].startswith(f"sla {pk}:"):
        failed.add(pk)  # not again in this run


def _sla_refresh(ticket: Ticket, *, now: datetime) -> tuple[list[str], list[SlaEvent]]:
    """:func:`sla_refresh` (policies, calendars and targets come from the configuration
    cache), never leaving the row due."""
    fields, events = sla_refresh(ticket, now=now)
    if "sla_next_check_at" not in fields and ticket.sla_next_check_at is not None:
        # Never leave a row due: it would be picked up every minute forever.
        ticket.sla_next_check_at = None
        fields.append("sla_next_check_at")
    return fields, events


def _breached_resolution(events: list[SlaEvent]) -> bool:
    return any(e.target == "resolution" and e.state == "breached" for e in events)


def _escalate_on_breach(ticket: Ticket, report: SweepReport) -> None:
    policy = cached_policy(ticket.sla_policy_id)
    if policy is None or not policy.escalate_on_breach or ticket.support_level >= 3:
        return
    ticket_services.ticket_escalate(
        actor=system_user(),
        ticket=ticket,
        note="The resolution target was breached; escalated automatically by the SLA policy.",
        to_level=ticket.support_level + 1,
    )
    report.escalations += 1


def sweep_pending(*, now: datetime, report: SweepReport) -> None:
    """Remind customers who left a pending ticket unanswered, then resolve it."""
    for department in Department.objects.all():
        remind_before = now - timedelta(days=department.pending_reminder_days)
        resolve_before = now - timedelta(days=department.pending_resolve_days)
        stale = Ticket.objects.filter(department=department, status=Status.PENDING)
        for pk in stale.filter(status_changed_at__lte=resolve_before).values_list("pk", flat=True)[
            :BATCH
        ]:
            _auto_resolve(pk, department, resolve_before, report)
        for pk in stale.filter(
            status_changed_at__lte=remind_before, pending_reminded_at__isnull=True
        ).values_list("pk", flat=True)[:BATCH]:
            _remind(pk, now, report)


def _remind(pk: int, now: datetime, report: SweepReport) -> None:
    with _one_ticket("pending reminder", pk, report):
        # The conditional update is the claim: only one worker sees a row count of 1.
        claimed = Ticket.objects.filter(
            pk=pk, status=Status.PENDING, pending_reminded_at__isnull=True
        ).update(pending_reminded_at=now)
        if claimed != 1:
            return
        ticket = Ticket.objects.get(pk=pk)
        audit_record(
            actor=system_user(), action="ticket.pending_reminder", obj=ticket, ticket=ticket
        )
        notify.pending_reminder(ticket)
        report.reminders += 1


def _auto_resolve(pk: int, department: Department, before: datetime, report: SweepReport) -> None:
    days = department.pending_resolve_days
    with _one_ticket("auto-resolve", pk, report):
        ticket = _claim(pk, status=Status.PENDING, status_changed_at__lte=before)
        if ticket is None:
            return
        ticket_services.ticket_transition(
            actor=system_user(),
            ticket=ticket,
            action="resolve",
            resolution=ticket_services.Resolution(
                problem_identified="We asked a question and did not receive an answer.",
                action_taken=f"Resolved automatically after {days} days without an answer.",
                next_steps="Reply to this ticket to reopen it if the problem remains.",
            ),
        )
        report.auto_resolved += 1


def sweep_resolved(*, now: datetime, report: SweepReport) -> None:
    """Close resolved tickets the customer neither confirmed nor reopened in time."""
    for department in Department.objects.all():
        before = now - timedelta(days=department.autoclose_days)
        for pk in Ticket.objects.filter(
            department=department, status=Status.RESOLVED, resolved_at__lte=before
        ).values_list("pk", flat=True)[:BATCH]:
            with _one_ticket("auto-close", pk, report):
                ticket = _claim(pk, status=Status.RESOLVED, resolved_at__lte=before)
                if ticket is None:
                    continue
                ticket_services.ticket_transition(
                    actor=system_user(), ticket=ticket, action="close"
                )
                notify.ticket_closed_automatically(ticket)
                report.auto_closed += 1
