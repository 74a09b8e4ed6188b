"""Periodic sweeps, run every minute by ``helpline worker`` (or once by ``helpline sweep``).

Each sweep is idempotent and safe with any number of workers at once: it claims a row under
``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL) and re-checks the condition that selected it
after the lock is held, or claims it with a conditional UPDATE whose row count says who won.
A second worker finds nothing left to do, so no warning, reminder or notice fires twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from helpline.accounts.selectors import system_user
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import DomainError
from helpline.directory.models import Department
from helpline.notifications import events as notify
from helpline.sla.models import Target
from helpline.sla.services import sla_record_events, sla_refresh
from helpline.tickets import services as ticket_services
from helpline.tickets.models import Ticket
from helpline.tickets.states import Status

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class SweepReport:
    sla_events: int = 0
    escalations: int = 0
    reminders: int = 0
    auto_resolved: int = 0
    auto_closed: int = 0
    errors: list[str] = field(default_factory=list)

    def total(self) -> int:
        return (
            self.sla_events
            + self.escalations
            + self.reminders
            + self.auto_resolved
            + self.auto_closed
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
    return report


def _claim(pk: int, **condition: object) -> Ticket | None:
    """Lock ticket ``pk`` if it still matches ``condition``; None if taken or no longer due.

    Call inside a transaction."""
    return (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("department", "help_topic", "sla_policy__calendar", "assignee")
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
    """Fire SLA warnings and breaches whose time has come (indexed on sla_next_check_at)."""
    due_ids = list(
        Ticket.objects.filter(sla_next_check_at__lte=now)
        .order_by("sla_next_check_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    targets = _targets_by_policy() if due_ids else {}
    for pk in due_ids:
        with _one_ticket("sla", pk, report):
            ticket = _claim(pk, sla_next_check_at__lte=now)
            if ticket is None:
                continue
            if ticket.sla_policy is not None and ticket.sla_policy_id in targets:
                # Read once per batch rather than once per ticket (see Policy.targets_for).
                ticket.sla_policy._targets_by_priority = targets[ticket.sla_policy_id]  # type: ignore[attr-defined]
            fields, events = sla_refresh(ticket, now=now)
            if "sla_next_check_at" not in fields and ticket.sla_next_check_at is not None:
                # Never leave a row due: it would be picked up every minute forever.
                ticket.sla_next_check_at = None
                fields.append("sla_next_check_at")
            ticket.save(update_fields=list(set(fields)))
            sla_record_events(ticket, events)
            report.sla_events += len(events)
            if any(e.target == "resolution" and e.state == "breached" for e in events):
                # Its own savepoint: a failed escalation must not take the breach back.
                with _one_ticket("escalation", pk, report):
                    _escalate_on_breach(ticket, report)


def _targets_by_policy() -> dict[int, dict[str, Target]]:
    """Every policy's targets by priority, in one query."""
    rows: dict[int, dict[str, Target]] = {}
    for target in Target.objects.all():
        rows.setdefault(target.policy_id, {})[target.priority] = target
    return rows


def _escalate_on_breach(ticket: Ticket, report: SweepReport) -> None:
    policy = ticket.sla_policy
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
