"""The SLA benchmark behind ``helpline bench-sla``: due-time throughput on one core, and the
sweep over many open tickets on PostgreSQL. Prints Markdown; never a timed test.

The sweep part inserts its tickets with one ``INSERT … SELECT generate_series`` into the
configured database, marks them with a department of its own, and deletes everything it made
afterwards. It refuses a database that holds tickets it did not make, unless forced.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction

from helpline.sla.calendar import BusinessCalendar, add_business_minutes, business_minutes_between

SEVENTY_TWO_HOURS = 72 * 60
DEMO_CALENDAR = {
    "timezone": "Europe/Copenhagen",
    "weekly": {day: [["08:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": [{"from": "2026-12-24", "to": "2026-12-26"}, "2026-12-31"],
    "country": "DK",
}


class BenchRefused(Exception):
    """The benchmark would touch data it must not."""


# --- (a) due-time throughput --------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    computations: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.computations / self.seconds if self.seconds else float("inf")


def due_time_throughput(*, computations: int = 200_000) -> Throughput:
    """72-working-hour due times from starts spread over 2026-2027 (so across Easter, Christmas
    and the Danish public holidays), on one core (CPU time of this process)."""
    calendar = BusinessCalendar.from_dict(DEMO_CALENDAR)
    first = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    starts = [first + timedelta(minutes=(i * 7919) % (2 * 365 * 24 * 60)) for i in range(4096)]
    started = time.process_time()
    for i in range(computations):
        add_business_minutes(calendar, starts[i & 4095], SEVENTY_TWO_HOURS)
    return Throughput(computations, time.process_time() - started)


# --- (b) the sweep over N open tickets ----------------------------------------------------------


@dataclass
class SweepResult:
    tickets: int
    due: int
    insert_seconds: float
    find_seconds: float
    sweep_seconds: float
    sweep_cpu_seconds: float
    database_cpu_seconds: float | None
    events: int
    errors: int
    explain_find: str
    explain_claim: str
    parallel_workers: int = 0
    parallel_seconds: float | None = None
    parallel_events: int = 0


def _ticket_columns(values: dict[str, str], params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Columns and SQL expressions for every concrete Ticket column: ``values`` where given,
    else the field's Python default as a parameter (Django defaults are not database ones)."""
    from helpline.tickets.models import Ticket

    columns, expressions = [], []
    for field in Ticket._meta.concrete_fields:
        if field.primary_key:
            continue
        column = str(field.column)
        columns.append(connection.ops.quote_name(column))
        if field.name in values:
            expressions.append(values[field.name])
        elif field.null:
            expressions.append("NULL")
        else:
            name = f"d_{column}"
            params[name] = field.get_db_prep_save(field.get_default(), connection)
            expressions.append(f"%({name})s")
    return columns, expressions


def _due_created_at(calendar: BusinessCalendar, now: datetime, working_hours: int) -> datetime:
    """An instant ``working_hours`` of working time before ``now`` (to the hour)."""
    at = now
    while business_minutes_between(calendar, at, now) < working_hours * 60:
        at -= timedelta(hours=1)
    return at


def _setup(tag: str) -> tuple[Any, Any, Any, BusinessCalendar]:
    from helpline.accounts.models import Role, User
    from helpline.directory.models import Department
    from helpline.sla.models import Calendar, Policy, Target

    calendar = Calendar.objects.create(name=f"{tag} calendar", **DEMO_CALENDAR)
    policy = Policy.objects.create(name=f"{tag} policy", calendar=calendar, is_public=False)
    Target.objects.create(
        policy=policy,
        priority="low",
        first_response_minutes=8 * 60,
        next_response_minutes=8 * 60,
        resolution_minutes=SEVENTY_TWO_HOURS,
    )
    department = Department.objects.create(name=f"{tag} department", slug=tag)
    requester = User.objects.create_user(
        email=f"{tag}@bench.invalid", name=tag, role=Role.CUSTOMER, password=None
    )
    return policy, department, requester, calendar.to_business_calendar()


def _insert_tickets(
    *, count: int, due_every: int, now: datetime, policy: Any, department: Any,
    requester: Any, calendar: BusinessCalendar,
) -> None:  # fmt: skip
    """``count`` open low-priority tickets; every ``due_every``-th one has passed its warning
    time (58 of its 72 working hours used), the others were just created. Their due times are
    the ones the SLA engine computes, and their next checks are in ``NextCheck``, as the
    services would have left them."""
    from helpline.sla.models import NextCheck
    from helpline.tickets.models import Ticket

    due_created = _due_created_at(calendar, now, 58)

    def due(start: datetime, minutes: int) -> datetime:  # what the SLA engine stores
        return add_business_minutes(calendar, start, minutes)

    params: dict[str, Any] = {
        "count": count,
        "due_every": due_every,
        "now": now,
        "due_created": due_created,
        "first_due_then": due(due_created, 8 * 60),
        "first_due_now": due(now, 8 * 60),
        "resolution_due_then": due(due_created, SEVENTY_TWO_HOURS),
        "resolution_due_now": due(now, SEVENTY_TWO_HOURS),
        "base": (Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0)
        + 1,
        "policy": policy.pk,
        "department": department.pk,
        "requester": requester.pk,
    }
    is_due = "(g %% %(due_every)s = 0)"
    created = f"CASE WHEN {is_due} THEN %(due_created)s ELSE %(now)s END"
    values = {
        "number": "%(base)s + g",
        "subject": "'SLA bench ticket ' || g",
        "description": "'Generated by helpline bench-sla.'",
        "status": "'open'",
        "priority": "'low'",
        "impact": "'low'",
        "urgency": "'low'",
        "requester": "%(requester)s",
        "department": "%(department)s",
        "sla_policy": "%(policy)s",
        "created_at": created,
        "updated_at": created,
        "status_changed_at": created,
        "first_response_at": f"{created} + interval '1 minute'",
        "first_response_state": "'met'",
        "first_response_due_at": (
            f"CASE WHEN {is_due} THEN %(first_due_then)s ELSE %(first_due_now)s END"
        ),
        "resolution_state": "'ok'",
        "resolution_due_at": (
            f"CASE WHEN {is_due} THEN %(resolution_due_then)s ELSE %(resolution_due_now)s END"
        ),
        # The due ones were due at some point in the last hour; the others in 1-8 days.
        "sla_next_check_at": (
            f"CASE WHEN {is_due} THEN %(now)s - (g %% 3600) * interval '1 second' "
            "ELSE %(now)s + interval '1 day' + (g %% 604800) * interval '1 second' END"
        ),
    }
    columns, expressions = _ticket_columns(values, params)
    sql = (
        f"INSERT INTO {Ticket._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM generate_series(1, %(count)s) AS g"
    )
    with connection.cursor() as cursor:
        _skip_triggers(cursor)
        cursor.execute(sql, params)
        cursor.execute(
            f"INSERT INTO {NextCheck._meta.db_table} (ticket_id, at)"
            f" SELECT id, sla_next_check_at FROM {Ticket._meta.db_table}"
            " WHERE department_id = %s AND sla_next_check_at IS NOT NULL",
            [department.pk],
        )


def _skip_triggers(cursor: Any) -> None:
    """Where the role may, skip the row triggers for the rest of the transaction: the
    foreign-key checks (the values are the bench's own rows) and the search index sync (the
    bench tickets need no search entries; they are deleted the same way). Together they are
    most of a million-row INSERT's time. Call inside a transaction."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:  # not a superuser: the slow, checked way
        pass


def _explain(queryset: Any) -> str:
    return str(queryset.explain(analyze=True, buffers=True))


def _cleanup(tag: str, now: datetime) -> None:
    """Remove what the benchmark made. The due tickets (created before ``now``) went through
    the sweep and may have audit events, notifications and tasks: the ORM deletes them with
    their cascades. The others have nothing attached and go with one DELETE."""
    from helpline.accounts.models import User
    from helpline.directory.models import Department
    from helpline.sla.models import Calendar, Policy
    from helpline.tickets.models import Ticket

    department = Department.objects.filter(slug=tag).first()
    if department is not None:
        swept = list(
            Ticket.objects.filter(department=department, created_at__lt=now).values_list(
                "pk", flat=True
            )
        )
        _forget_tasks(set(swept))
        for start in range(0, len(swept), 1000):
            Ticket.objects.filter(pk__in=swept[start : start + 1000]).delete()
        _delete_unreferenced(Ticket._meta.db_table, department.pk)
        department.delete()
    Policy.objects.filter(name=f"{tag} policy").delete()
    Calendar.objects.filter(name=f"{tag} calendar").delete()
    User.objects.filter(email=f"{tag}@bench.invalid").delete()


def _delete_unreferenced(table: str, department_id: int) -> None:
    """Delete the bench department's remaining tickets. Nothing refers to them (they never
    changed), so where the role may, the foreign-key triggers are skipped for this one
    statement: checking a dozen referring tables per row is what makes a million-row DELETE
    take minutes."""
    from helpline.sla.models import NextCheck

    checks = (
        f"DELETE FROM {NextCheck._meta.db_table} WHERE ticket_id IN"
        f" (SELECT id FROM {table} WHERE department_id = %s)"
    )
    sql = f"DELETE FROM {table} WHERE department_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(checks, [department_id])
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, [department_id])
    except DatabaseError:  # not a superuser: the slow, checked way
        with connection.cursor() as cursor:
            cursor.execute(sql, [department_id])


def _forget_tasks(ticket_ids: set[int]) -> None:
    """Drop the tasks the sweep enqueued for bench tickets (notifications to nobody: the bench
    department has no members), so a worker never picks them up: the one-ticket ones by their
    ``ticket_id`` and the batch ones (``send_ticket_notifications``, one per sweep batch) whose
    every item names a bench ticket."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another task backend: nothing stored here
        return
    ids = sorted(ticket_ids)
    for start in range(0, len(ids), 1000):
        DBTaskResult.objects.filter(
            args_kwargs__kwargs__ticket_id__in=ids[start : start + 1000]
        ).delete()
    batches = DBTaskResult.objects.filter(
        task_path__endswith=".send_ticket_notifications"
    ).values_list("pk", "args_kwargs")
    ours = [
        pk
        for pk, args_kwargs in batches.iterator()
        if (items := (args_kwargs.get("kwargs") or {}).get("items"))
        and all(item[1] in ticket_ids for item in items)
    ]
    DBTaskResult.objects.filter(pk__in=ours).delete()


def _database_cpu_seconds() -> float | None:
    """CPU time used so far by this connection's PostgreSQL backend, when it runs on this
    machine (read from /proc); None otherwise. With the Python side's CPU time it says what
    the sweep costs on a shared machine, where the wall time also counts waiting for a core."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rearm(department_id: int, now: datetime) -> None:
    """Make the swept bench tickets due again, as inserted: their warnings, audit events and
    queued notifications undone, their next checks back in the last hour."""
    from helpline.audit.models import AuditEvent
    from helpline.sla.models import NextCheck
    from helpline.tickets.models import Ticket

    swept = Ticket.objects.filter(department_id=department_id, created_at__lt=now)
    _forget_tasks(set(swept.values_list("pk", flat=True)))
    AuditEvent.objects.filter(ticket__in=swept).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Ticket._meta.db_table} SET resolution_state = 'ok', sla_next_check_at ="
            " %s - (id %% 3600) * interval '1 second' WHERE department_id = %s AND created_at < %s",
            [now, department_id, now],
        )
        cursor.execute(
            f"UPDATE {NextCheck._meta.db_table} n SET at = t.sla_next_check_at"
            f" FROM {Ticket._meta.db_table} t WHERE t.id = n.ticket_id"
            " AND t.department_id = %s AND t.created_at < %s",
            [department_id, now],
        )
        for model in (Ticket, NextCheck, AuditEvent):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def _sweeper(now: datetime, ready: Any, results: Any) -> None:  # in a forked process
    from helpline.sla.sweeps import SweepReport, sweep_sla

    connection.ensure_connection()
    ready.wait()
    report = SweepReport()
    while True:
        before = report.sla_events + len(report.errors)
        sweep_sla(now=now, report=report)
        if report.sla_events + len(report.errors) == before:
            break
    results.put(report.sla_events)
    connection.close()


def _sweep_in_processes(now: datetime, workers: int) -> tuple[float, int]:
    """The SLA sweep run by ``workers`` processes at once, as that many ``helpline worker``
    would (each claims its own batches, ``SKIP LOCKED``): (wall seconds from the moment all
    are connected until the last is done, warnings fired in all)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # a forked child must open its own connection
    context = multiprocessing.get_context("fork")
    ready, results = context.Barrier(workers + 1), context.Queue()
    processes = [
        context.Process(target=_sweeper, args=(now, ready, results)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    ready.wait()
    started = time.perf_counter()
    events = sum(results.get() for _ in processes)
    seconds = time.perf_counter() - started
    for process in processes:
        process.join()
    return seconds, events


def sweep_benchmark(
    *, tickets: int, due_every: int = 100, force: bool = False, workers: int = 2,
    progress: Callable[[str], None] = lambda _: None,
) -> SweepResult:  # fmt: skip
    """Insert ``tickets`` open tickets (1 in ``due_every`` due), time the SLA sweep over the
    due ones, EXPLAIN its queries, and remove everything it made."""
    from helpline.core import clock
    from helpline.sla.models import NextCheck
    from helpline.sla.sweeps import BATCH, SweepReport, claimable, sweep_sla
    from helpline.tickets.models import Ticket

    if connection.vendor != "postgresql":
        raise BenchRefused("the sweep benchmark needs PostgreSQL (set DATABASE_URL)")
    if not force and Ticket.objects.exists():
        raise BenchRefused(
            "this database has tickets: run the sweep benchmark on an empty database, "
            "or pass --force to add (and afterwards remove) bench tickets next to them"
        )
    tag = f"bench-sla-{uuid.uuid4().hex[:8]}"
    now = clock.now()
    try:
        with transaction.atomic():
            policy, department, requester, calendar = _setup(tag)
        progress(f"inserting {tickets:,} tickets")
        started = time.perf_counter()
        with transaction.atomic():
            _insert_tickets(
                count=tickets, due_every=due_every, now=now, policy=policy,
                department=department, requester=requester, calendar=calendar,
            )  # fmt: skip
        insert_seconds = time.perf_counter() - started
        # The steady state of a live table: vacuumed (hint bits set, visibility map current),
        # and no autovacuum of a million fresh rows competing with the sweep for the cores.
        with connection.cursor() as cursor:
            for model in (Ticket, NextCheck):
                cursor.execute(
                    f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}"
                )
        due = Ticket.objects.filter(department=department, sla_next_check_at__lte=now).count()

        find = NextCheck.objects.filter(at__lte=now).order_by("at")
        find_ids = find.values_list("ticket_id", flat=True)[:BATCH]
        started = time.perf_counter()
        list(find_ids)
        find_seconds = time.perf_counter() - started
        explain_find = _explain(find_ids)
        with transaction.atomic():  # the sweep's claim of one batch (locks, changes nothing)
            explain_claim = _explain(claimable(now))

        progress(f"sweeping {due:,} due tickets")
        report = SweepReport()
        database_cpu = _database_cpu_seconds()
        started, started_cpu = time.perf_counter(), time.process_time()
        while True:
            before = report.sla_events + len(report.errors)
            sweep_sla(now=now, report=report)
            if report.sla_events + len(report.errors) == before:
                break
        sweep_seconds = time.perf_counter() - started
        sweep_cpu_seconds = time.process_time() - started_cpu
        database_cpu_after = _database_cpu_seconds()
        parallel_seconds, parallel_events = None, 0
        if workers > 1:
            progress(f"the same {due:,} due again, swept by {workers} worker processes")
            _rearm(department.pk, now)
            parallel_seconds, parallel_events = _sweep_in_processes(now, workers)
        return SweepResult(
            parallel_workers=workers if workers > 1 else 0,
            parallel_seconds=parallel_seconds,
            parallel_events=parallel_events,
            tickets=tickets,
            due=due,
            insert_seconds=insert_seconds,
            find_seconds=find_seconds,
            sweep_seconds=sweep_seconds,
            sweep_cpu_seconds=sweep_cpu_seconds,
            database_cpu_seconds=(
                None
                if database_cpu is None or database_cpu_after is None
                else database_cpu_after - database_cpu
            ),
            events=report.sla_events,
            errors=len(report.errors),
            explain_find=explain_find,
            explain_claim=explain_claim,
        )
    finally:
        progress("cleaning up")
        _cleanup(tag, now)


# --- the report ---------------------------------------------------------------------------------


def markdown(throughput: Throughput, sweep: SweepResult | None, note: str = "") -> str:
    from helpline.sla.sweeps import BATCH

    lines = [
        "## SLA",
        "",
        "### Due-time computation",
        "",
        f"72-working-hour due times on the demo calendar (Mon-Fri 08:00-16:00 Europe/Copenhagen, "
        f"Danish public holidays and Christmas closed), starts spread over 2026-2027, one core: "
        f"**{throughput.per_second:,.0f} per second** ({throughput.computations:,} in "
        f"{throughput.seconds:.2f} s CPU; target ≥ 50,000/s: "
        f"{'met' if throughput.per_second >= 50_000 else 'NOT met'}).",
        "",
        "### SLA sweep",
        "",
    ]
    if sweep is None:
        lines += [note or "Not run.", ""]
        return "\n".join(lines)
    lines += [
        "| measure | value |",
        "|---|---|",
        f"| open tickets | {sweep.tickets:,} |",
        f"| due (warning time passed) | {sweep.due:,} |",
        f"| insert (generate_series) | {sweep.insert_seconds:.1f} s |",
        f"| find the first batch of due ones (indexed) | {sweep.find_seconds * 1000:.1f} ms |",
        f"| sweep: find and process all due ones | **{sweep.sweep_seconds:.2f} s** "
        f"({sweep.due / sweep.sweep_seconds if sweep.sweep_seconds else 0:,.0f} tickets/s; "
        f"target < 2 s: {'met' if sweep.sweep_seconds < 2 else 'NOT met'}) |",
        f"| sweep CPU: Python process / PostgreSQL backend | {sweep.sweep_cpu_seconds:.2f} s / "
        + (
            f"{sweep.database_cpu_seconds:.2f} s |"
            if sweep.database_cpu_seconds is not None
            else "not measurable (remote server) |"
        ),
        *(
            [
                f"| the same sweep by {sweep.parallel_workers} worker processes at once "
                f"(as {sweep.parallel_workers} `helpline worker`) | "
                f"**{sweep.parallel_seconds:.2f} s** ({sweep.parallel_events:,} warnings; "
                f"target < 2 s: {'met' if sweep.parallel_seconds < 2 else 'NOT met'}) |"
            ]
            if sweep.parallel_seconds is not None
            else []
        ),
        f"| load average (1 min) at the end | {os.getloadavg()[0]:.1f} |",
        f"| warnings fired (audited, notified) | {sweep.events:,} |",
        f"| errors | {sweep.errors} |",
        "",
        "The sweep's find query (due tickets, oldest first, from the narrow `sla_nextcheck`"
        " table and its index on `at`):",
        "",
        "```",
        sweep.explain_find,
        "```",
        "",
        f"The claim of one batch: up to {BATCH} tickets per transaction, walked through the "
        "same index and locked `FOR UPDATE OF t SKIP LOCKED` (a second worker skips the "
        "locked ones and takes the next):",
        "",
        "```",
        sweep.explain_claim,
        "```",
        "",
    ]
    return "\n".join(lines)
