"""Two workers sweeping at the same instant on PostgreSQL: every event fires exactly once.

The sweeps claim rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (or a conditional UPDATE), so
the second worker skips what the first holds and, once it commits, no longer finds it due.
SQLite serialises writers, so this only means something on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction

from helpline.accounts.selectors import SYSTEM_EMAIL
from helpline.audit.models import AuditEvent
from helpline.conftest import is_postgres
from helpline.sla.sweeps import SweepReport, run_sweeps
from helpline.sla.tests.steps import RESOLUTION, utc
from helpline.tickets import services

pytestmark = [
    pytest.mark.postgres,
    # Threads need committed rows; serialized_rollback leaves the migrations' rows (content
    # types) for the next test that commits, as a plain flush would re-create them anew.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not is_postgres(),
        reason="needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test",
    ),
]

START = utc(2026, 11, 16, 9)
DUE_AT_ONCE = 200  # tickets whose first response breaches at the same instant
EACH = 20  # tickets to remind, to auto-resolve and to auto-close


def sweep_in_threads(workers: int) -> list[SweepReport]:
    """Run the sweeps in ``workers`` threads released at the same instant, each on its own
    database connection."""
    barrier = threading.Barrier(workers)
    reports: list[SweepReport] = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            reports.append(run_sweeps())
        except BaseException as error:  # reported below; a thread cannot fail the test
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a sweep hung (deadlock?)"
    assert failures == []
    return reports


def pend(desk, ticket) -> None:
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Can you restart it?")
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")


def resolve(desk, ticket) -> None:
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=RESOLUTION
    )


def total(reports: list[SweepReport], counter: str) -> int:
    return sum(getattr(report, counter) for report in reports)


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_sweeps_fire_every_event_exactly_once(
    desk, round_the_clock, time_machine, workers
):
    desk.department.manager = desk.l3
    desk.department.save()

    with transaction.atomic():  # one commit for the set-up: much faster
        # A week ago: tickets left pending (to auto-resolve) ...
        time_machine.move_to(START - timedelta(days=7), tick=False)
        for _ in range(EACH):
            pend(desk, desk.ticket())
        # ... three days ago: tickets left pending (to remind) and resolved (to close) ...
        time_machine.move_to(START - timedelta(days=3), tick=False)
        for _ in range(EACH):
            pend(desk, desk.ticket())
            resolve(desk, desk.ticket())
        # ... and now: tickets nobody answers, whose first response (60 minutes) breaches
        # in an hour, all at the same instant.
        time_machine.move_to(START, tick=False)
        for _ in range(DUE_AT_ONCE):
            desk.ticket()
    mail.outbox.clear()
    before = set(AuditEvent.objects.values_list("id", flat=True))

    time_machine.move_to(START + timedelta(minutes=60), tick=False)
    reports = sweep_in_threads(workers)

    assert [report.errors for report in reports] == [[]] * workers
    fired = AuditEvent.objects.exclude(id__in=before)
    by_system = fired.filter(actor__email=SYSTEM_EMAIL)
    assert fired.filter(action="sla.breach").count() == DUE_AT_ONCE
    assert fired.filter(action="sla.warning").count() == 0
    assert by_system.filter(action="ticket.pending_reminder").count() == EACH
    assert by_system.filter(action="ticket.resolve").count() == EACH
    assert by_system.filter(action="ticket.close").count() == EACH
    assert fired.filter(action="sla.breach").values("ticket").distinct().count() == DUE_AT_ONCE
    assert total(reports, "sla_events") == DUE_AT_ONCE
    assert total(reports, "reminders") == EACH
    assert total(reports, "auto_resolved") == EACH
    assert total(reports, "auto_closed") == EACH

    # Each person is told of each event once, in one message to all or one message each.
    deliveries = [(m.subject, address) for m in mail.outbox for address in m.to]
    assert len(deliveries) == len(set(deliveries))
    subjects = {subject for subject, _ in deliveries}
    assert sum("SLA BREACHED" in subject for subject in subjects) == DUE_AT_ONCE
    assert sum("Are you still there?" in subject for subject in subjects) == EACH
    assert sum("] Resolved: " in subject for subject in subjects) == EACH
    assert sum("] Closed: " in subject for subject in subjects) == EACH

    # A third worker a minute later finds nothing left to do.
    time_machine.move_to(START + timedelta(minutes=61), tick=False)
    assert run_sweeps().total() == 0
