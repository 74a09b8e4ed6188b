"""A realistic benchmark data set, written fast with raw bulk SQL.

``seed_tickets(tickets=N)`` brings the database up to N tickets (the ones already there
count, so an interrupted run resumes and a repeated one adds nothing), each with 3-8 thread
entries, 0-3 tags, SLA due times on the active ones, spread over two years with the active
tickets in the last three months. Each batch is one transaction: ticket numbers are reserved
from the ``ticket`` counter, rows go in with ``executemany`` (SQLite) or ``COPY``
(PostgreSQL), and the batch is indexed for search set-wise in the same transaction (the
per-row index triggers are suspended for the load), so the index is correct after every
committed batch.

Only for benchmark databases: the rows skip the services (no audit events, no signals, no
mail) on purpose. Never run it against a real desk.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max

from helpline.accounts.models import Organization, Role, User
from helpline.bench.words import TextSource, Vocabulary
from helpline.core import clock
from helpline.directory.models import Department, DepartmentMembership, Tag
from helpline.sla.models import NextCheck
from helpline.tickets import queuecounts
from helpline.tickets.models import TICKET_NUMBER_SEQUENCE, Counter, ThreadEntry, Ticket

PASSWORD = "helpline-bench"
BATCH = 5_000
# From this many tickets to add, PostgreSQL's GIN search indexes are dropped for the load and
# built again at the end: one sorted build is about twice as fast as 5M incremental inserts.
GIN_DEFER_FROM = 50_000
SPAN_DAYS = 730
ACTIVE_DAYS = 90
FIRST_TICKET_NUMBER = 1000
LONG_THREAD_COUNTER = "bench:long_thread"
DEPARTMENTS = ("Service Desk", "Network", "Workplace", "Security", "Applications", "Facilities")
TAGS = (
    "vpn hardware access email urgent printer laptop network password onboarding offboarding "
    "license mobile wifi teams outlook backup security vip phishing monitor software "
    "sharepoint erp badge"
).split()

# (status, weight) for tickets created within ACTIVE_DAYS, and for older ones.
RECENT_STATUSES = (
    ("new", 12),
    ("open", 33),
    ("pending", 14),
    ("on_hold", 6),
    ("resolved", 20),
    ("closed", 15),
)
OLD_STATUSES = (("closed", 92), ("resolved", 5), ("open", 1), ("pending", 1), ("on_hold", 1))
PRIORITIES = (("low", 35), ("medium", 42), ("high", 17), ("critical", 6))
# Wall-clock targets in hours per priority: (first response, resolution).
SLA_HOURS = {"critical": (1, 4), "high": (4, 24), "medium": (8, 72), "low": (24, 120)}
ACTIVE = frozenset({"new", "open", "pending", "on_hold"})
RESOLVED = frozenset({"resolved", "closed"})
CHANNELS = ("web", "web", "email", "email", "email", "api", "phone", "chat")
LEVELS = ("low", "medium", "high")


@dataclass
class BenchDesk:
    departments: list[int]
    agents: dict[int, list[tuple[int, int]]]  # department id → [(user id, level)]
    customers: list[tuple[int, int | None]]  # (user id, organization id)
    tags: list[int]
    policy_id: int | None


def desk_size(tickets: int) -> tuple[int, int]:
    """(customers, organizations) for a data set of ``tickets``: ~1 customer per 25 tickets."""
    customers = min(max(tickets // 25, 200), 40_000)
    return customers, max(customers // 40, 5)


def build_desk(
    *, customers: int = 2_000, organizations: int = 50, agents_per_level: int = 4
) -> BenchDesk:
    """Departments with agents at levels 1-3, organisations, customers, tags (idempotent)."""
    password = make_password(PASSWORD)
    orgs = [
        Organization.objects.get_or_create(
            name=f"Bench Org {i}", defaults={"domain": f"org{i}.bench.example"}
        )[0]
        for i in range(organizations)
    ]
    departments: list[int] = []
    agents: dict[int, list[tuple[int, int]]] = {}
    for d, name in enumerate(DEPARTMENTS):
        dept, _ = Department.objects.get_or_create(
            name=f"{name} (bench)", defaults={"slug": f"bench-{d}"}
        )
        departments.append(dept.pk)
        agents[dept.pk] = []
        for level in (1, 2, 3):
            for a in range(agents_per_level):
                user, created = User.objects.get_or_create(
                    email=f"bench.d{d}.l{level}.{a}@bench.example",
                    defaults={
                        "role": Role.AGENT,
                        "support_level": level,
                        "password": password,
                        "name": f"Agent {d}-{level}-{a}",
                    },
                )
                if created:
                    DepartmentMembership.objects.create(department=dept, user=user)
                agents[dept.pk].append((user.pk, level))
    existing = set(
        User.objects.filter(email__endswith="@customers.bench.example").values_list(
            "email", flat=True
        )
    )
    User.objects.bulk_create(
        [
            User(
                email=email,
                name=f"Customer {i}",
                password=password,
                organization=orgs[i % len(orgs)],
            )
            for i in range(customers)
            if (email := f"c{i}@customers.bench.example") not in existing
        ],
        batch_size=1_000,
    )
    pool: list[tuple[int, int | None]] = list(
        User.objects.filter(email__endswith="@customers.bench.example")
        .order_by("id")
        .values_list("id", "organization_id")
    )
    tags = [Tag.objects.get_or_create(name=name)[0].pk for name in TAGS]
    return BenchDesk(departments, agents, pool, tags, _default_policy_id())


def _default_policy_id() -> int | None:
    from helpline.sla.models import Policy

    return Policy.objects.filter(is_default=True).values_list("pk", flat=True).first()


def bench_customer_email(index: int = 0) -> str:
    return f"c{index}@customers.bench.example"


def bench_agent_email(department: int = 0, level: int = 1, index: int = 0) -> str:
    return f"bench.d{department}.l{level}.{index}@bench.example"


# --- rows -------------------------------------------------------------------------------------


def _weighted(pairs: Sequence[tuple[str, int]]) -> tuple[list[str], list[int]]:
    values, weights = zip(*pairs, strict=True)
    cumulative, total = [], 0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return list(values), cumulative


def _default_days(field: str) -> int:
    default = getattr(Department._meta.get_field(field), "default", None)
    assert isinstance(default, int)
    return default


class Generator:
    """Ticket, entry and tag rows as plain tuples in the tables' column order."""

    def __init__(self, rng: random.Random, desk: BenchDesk, *, vendor: str, now: datetime):
        self.rng = rng
        self.desk = desk
        self.vocabulary = Vocabulary.build()
        self.text = TextSource(rng, self.vocabulary)
        self.now = int(now.timestamp())
        self.postgres = vendor == "postgresql"
        self.recent = _weighted(RECENT_STATUSES)
        self.old = _weighted(OLD_STATUSES)
        self.priorities = _weighted(PRIORITIES)
        # The bench departments keep the defaults: as on a desk the worker sweeps every minute,
        # no resolved ticket is older than the auto-close delay and no pending one is due for
        # a reminder, so the server's worker has no backlog to sweep while it is measured.
        self.autoclose = _default_days("autoclose_days") * 86_400
        self.pending_quiet = _default_days("pending_reminder_days") * 86_400 - 3_600
        self.ticket_columns, self.ticket_defaults = _columns(Ticket)
        self.entry_columns, self.entry_defaults = _columns(ThreadEntry)
        tag_weights = [1.0 / rank for rank in range(1, len(desk.tags) + 1)]
        self.tag_cum = [sum(tag_weights[: i + 1]) for i in range(len(tag_weights))]
        self._days: dict[int, str] = {}
        self._zone = "+00" if self.postgres else ""
        self._entry_template = [self.entry_defaults[c] for c in self.entry_columns]
        self._entry_index = {c: i for i, c in enumerate(self.entry_columns)}

    def stamp(self, seconds: int | None) -> str | None:
        """A timestamp as the database stores it: naive UTC text on SQLite, with the offset
        on PostgreSQL. Whole seconds; the day part is cached (this runs ~10M times at 1M)."""
        if seconds is None:
            return None
        day, rest = divmod(seconds, 86_400)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%d")
        hours, rest = divmod(rest, 3_600)
        minutes, secs = divmod(rest, 60)
        return f"{date} {hours:02d}:{minutes:02d}:{secs:02d}{self._zone}"

    def created_at(self, position: int, target: int) -> int:
        """Creation times rise with the id, over SPAN_DAYS up to an hour ago."""
        span = SPAN_DAYS * 86_400
        base = self.now - 3_600 - span + int(span * position / max(target, 1))
        return base + self.rng.randint(0, max(span // max(target, 1), 1))

    def ticket(self, ticket_id: int, number: int, created: int) -> tuple[dict[str, Any], list[int]]:
        rng = self.rng
        age_days = (self.now - created) / 86_400
        values, cum = self.recent if age_days <= ACTIVE_DAYS else self.old
        status = rng.choices(values, cum_weights=cum)[0]
        priority = rng.choices(self.priorities[0], cum_weights=self.priorities[1])[0]
        department = _choice(rng, self.desk.departments)
        agent, level = _choice(rng, self.desk.agents[department])
        unassigned = status == "new" and rng.random() < 0.6
        requester, organization = _choice(rng, self.desk.customers)
        first_response = None if status == "new" else created + 300 + int(rng.random() * 35_700)
        resolved = created + 3_600 + int(rng.random() * 716_400) if status in RESOLVED else None
        if resolved is not None:
            resolved = min(resolved, self.now - 60)
            if status == "resolved" and resolved < self.now - self.autoclose:
                status = "closed"  # as the auto-close sweep leaves it
        closed = (
            min(resolved + self.autoclose, self.now - 30)
            if status == "closed" and resolved
            else None
        )
        changed = resolved or first_response or created
        if status == "pending":  # pending for less than the reminder delay
            changed = max(changed, self.now - int(rng.random() * self.pending_quiet))
        description = self.text.words(15, 60)
        row: dict[str, Any] = {
            "id": ticket_id,
            "number": number,
            "subject": self.text.subject()[:250],
            "description": description,
            "description_html": f"<p>{description}</p>",
            "type": "service_request" if rng.random() < 0.3 else "incident",
            "status": status,
            "impact": _choice(rng, LEVELS),
            "urgency": _choice(rng, LEVELS),
            "priority": priority,
            "requester_id": requester,
            "organization_id": organization,
            "channel": _choice(rng, CHANNELS),
            "department_id": department,
            "assignee_id": None if unassigned else agent,
            "support_level": 1 if unassigned else level,
            "created_at": self.stamp(created),
            "updated_at": self.stamp(closed or changed),
            "status_changed_at": self.stamp(closed or changed),
            "first_response_at": self.stamp(first_response),
            "resolved_at": self.stamp(resolved),
            "closed_at": self.stamp(closed),
            "resolution_problem": self.text.words(5, 12) if resolved else "",
            "resolution_action": self.text.words(5, 12) if resolved else "",
        }
        self._sla(row, status, priority, created, first_response, resolved, changed)
        tags = []
        for _ in range(_choice(rng, (0, 0, 1, 1, 1, 2, 3))):
            tag = self.desk.tags[_pick(rng, self.tag_cum)]
            if tag not in tags:
                tags.append(tag)
        return row, tags

    def _sla(
        self,
        row: dict[str, Any],
        status: str,
        priority: str,
        created: int,
        first_response: int | None,
        resolved: int | None,
        changed: int,
    ) -> None:
        first_hours, resolution_hours = SLA_HOURS[priority]
        first_due = created + first_hours * 3_600
        resolution_due = created + resolution_hours * 3_600
        row["sla_policy_id"] = self.desk.policy_id
        row["first_response_due_at"] = self.stamp(first_due)
        row["resolution_due_at"] = self.stamp(resolution_due)
        if first_response is not None:
            row["first_response_state"] = "met" if first_response <= first_due else "breached"
        else:
            row["first_response_state"] = "breached" if first_due < self.now else "ok"
        if resolved is not None:
            row["resolution_state"] = "met" if resolved <= resolution_due else "breached"
        else:
            row["resolution_state"] = "breached" if resolution_due < self.now else "ok"
        if status not in ACTIVE:
            return
        if status == "pending" or status == "on_hold":
            row["sla_paused_since"] = self.stamp(changed)
            return
        upcoming = [
            due
            for due, state in (
                (first_due, row["first_response_state"]),
                (resolution_due, row["resolution_state"]),
            )
            if state == "ok"
        ]
        if upcoming:
            row["sla_next_check_at"] = self.stamp(min(upcoming))

    def entries(
        self, ticket: dict[str, Any], created: int, first_id: int, count: int
    ) -> list[tuple[Any, ...]]:
        random_ = self.rng.random
        words = self.text.words
        stamp = self.stamp
        agents = self.desk.agents[ticket["department_id"]]
        index = self._entry_index
        i_id, i_ticket, i_kind, i_author, i_body, i_html, i_channel, i_created = (
            index[c]
            for c in (
                "id", "ticket_id", "kind", "author_id", "body", "body_html", "channel",
                "created_at",
            )
        )  # fmt: skip
        template = self._entry_template
        template[i_ticket] = ticket["id"]
        requester, channel = ticket["requester_id"], ticket["channel"]
        last = self.now - 1
        at = created
        rows = []
        for i in range(count):
            at += 300 + int(random_() * 53_700)
            row = template.copy()
            if i % 2 == 0:
                row[i_kind], row[i_author], row[i_channel] = "customer_message", requester, channel
            else:
                row[i_kind] = "note" if random_() < 0.25 else "reply"
                row[i_author] = agents[int(random_() * len(agents))][0]
                row[i_channel] = "web"
            body = words(8, 45)
            row[i_id] = first_id + i
            row[i_body] = body
            row[i_html] = f"<p>{body}</p>"
            row[i_created] = stamp(at if at < last else last)
            rows.append(tuple(row))
        return rows

    def ticket_row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return _row(self.ticket_columns, self.ticket_defaults, values)


def _choice(rng: random.Random, values: Sequence[Any]) -> Any:
    return values[int(rng.random() * len(values))]


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    target = rng.random() * cumulative[-1]
    for index, bound in enumerate(cumulative):
        if target < bound:
            return index
    return len(cumulative) - 1


def _columns(model: Any) -> tuple[list[str], dict[str, Any]]:
    """The table's columns and, for each, its default as stored (for columns not generated).

    Read from the model, so a field another app adds later is filled with its default."""
    columns, defaults = [], {}
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        defaults[field.column] = field.get_db_prep_save(field.get_default(), connection)
    return columns, defaults


def _row(columns: list[str], defaults: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values[c] if c in values else defaults[c] for c in columns)


# --- writing ----------------------------------------------------------------------------------


def _chunks(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        yield min(size, total - done)
        done += size


def seed_tickets(
    *,
    tickets: int,
    seed: int = 42,
    entries: tuple[int, int] = (3, 8),
    batch_size: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Bring the database up to ``tickets`` tickets; returns how many were added.

    ``progress(added, to_add)`` is called after each committed batch.
    """
    existing = Ticket.objects.count()
    to_add = max(tickets - existing, 0)
    if to_add == 0:
        return 0
    customers, organizations = desk_size(tickets)
    desk = build_desk(customers=customers, organizations=organizations)
    # A different stream per resumption, so a resumed run does not repeat the first texts.
    rng = random.Random(seed * 1_000_003 + existing)
    generator = Generator(rng, desk, vendor=connection.vendor, now=clock.now())
    added = 0
    with _fast_session(), _gin_deferred(to_add >= GIN_DEFER_FROM):
        for size in _chunks(to_add, batch_size):
            with transaction.atomic():
                _write_batch(generator, existing + added, tickets, size, entries)
                queuecounts.fold(connection)  # the batch's active tickets, one row per key
            added += size
            if progress:
                progress(added, to_add)
    _analyze()
    return added


def _write_batch(
    generator: Generator, position: int, target: int, size: int, bounds: tuple[int, int]
) -> None:
    rng = generator.rng
    first_number = _reserve_numbers(size)
    ticket_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    entry_id = (ThreadEntry.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    first_ticket_id = ticket_id
    ticket_rows, entry_rows, tag_rows = [], [], []
    for i in range(size):
        created = generator.created_at(position + i, target)
        values, tags = generator.ticket(ticket_id, first_number + i, created)
        ticket_rows.append(generator.ticket_row(values))
        count = rng.randint(*bounds)
        entry_rows += generator.entries(values, created, entry_id, count)
        tag_rows += [(ticket_id, tag) for tag in tags]
        entry_id += count
        ticket_id += 1
    with _index_suspended() as reindex:
        _insert(Ticket._meta.db_table, generator.ticket_columns, ticket_rows)
        _insert(ThreadEntry._meta.db_table, generator.entry_columns, entry_rows)
        _insert(Ticket.tags.through._meta.db_table, ["ticket_id", "tag_id"], tag_rows)
        _schedule_checks(first_ticket_id, ticket_id - 1)
        reindex(first_ticket_id - 1, ticket_id - 1)
    if connection.vendor == "postgresql":
        _reset_sequences()


def _schedule_checks(first: int, last: int) -> None:
    """The SLA sweep's index (``sla.NextCheck``) for tickets ``first``..``last``, as
    ``sla.services.sla_schedule`` keeps it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {NextCheck._meta.db_table} (ticket_id, at)"
            f" SELECT id, sla_next_check_at FROM {Ticket._meta.db_table}"
            " WHERE id BETWEEN %s AND %s AND sla_next_check_at IS NOT NULL",
            [first, last],
        )


def _insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("%s" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)


@contextmanager
def _index_suspended() -> Iterator[Callable[[int, int], object]]:
    """Suspend the per-row search triggers for the rows written inside; the caller then
    indexes its id range set-wise with ``reindex(after, upto)``, in the same transaction.

    PostgreSQL: the index triggers are disabled for this transaction only (ALTER TABLE is
    transactional; with a superuser, ``session_replication_role = replica`` instead, which
    also skips the foreign-key triggers and the queue count triggers, so ``reindex`` also
    counts the range's active tickets). SQLite: the triggers skip tickets above the rebuild
    watermark, so the watermark is set below the new ids and taken away again after the
    batch is indexed. Without a search index (not migrated), nothing is done.
    """
    from helpline.search.backends import backend_for

    vendor = connection.vendor
    backend = backend_for(connection) if vendor in ("sqlite", "postgresql") else None
    with connection.cursor() as cursor:
        if backend is None or not _has_index(cursor, vendor):
            yield lambda after, upto: None
            return
        if vendor == "postgresql":
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = bool(cursor.fetchone()[0])
            if superuser:
                cursor.execute("SET LOCAL session_replication_role = replica")
            else:
                _pg_triggers(cursor, "DISABLE")

            def index(after: int, upto: int) -> None:
                backend.index_range(cursor, after, upto)
                if superuser:  # replica mode skipped the queue count triggers too
                    queuecounts.count_range(cursor, after, upto)

            try:
                yield index
            finally:
                if superuser:
                    cursor.execute("SET LOCAL session_replication_role = DEFAULT")
                else:
                    _pg_triggers(cursor, "ENABLE")
            return
        cursor.execute("SELECT watermark FROM search_rebuild")
        if cursor.fetchone() is not None:
            # A rebuild is under way: the triggers already leave new tickets to it.
            yield lambda after, upto: None
            return
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_ticket")
        cursor.execute(
            "INSERT INTO search_rebuild (id, watermark) VALUES (1, %s)", [cursor.fetchone()[0]]
        )

        def reindex(after: int, upto: int) -> None:
            backend.index_range(cursor, after, upto)
            backend.finish_rebuild(cursor, upto)

        yield reindex


def _has_index(cursor: Any, vendor: str) -> bool:
    if vendor == "postgresql":
        cursor.execute("SELECT to_regclass('search_ticketdoc') IS NOT NULL")
    else:
        cursor.execute(
            "SELECT count(*) = 2 FROM sqlite_master "
            "WHERE name IN ('search_ticket_fts', 'search_rebuild')"
        )
    return bool(cursor.fetchone()[0])


def _pg_triggers(cursor: Any, action: str) -> None:
    cursor.execute(f"ALTER TABLE tickets_ticket {action} TRIGGER search_ticket_insert")
    cursor.execute(f"ALTER TABLE tickets_threadentry {action} TRIGGER search_entry_insert")


@contextmanager
def _gin_deferred(enabled: bool) -> Iterator[None]:
    """PostgreSQL, large loads outside a transaction: drop the search GIN indexes, yield, and
    build them again from their recorded definitions (also after an error). If the process
    dies in between, ``helpline search-reindex`` (or the next bench-seed) puts them back."""
    if not enabled or connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    from helpline.search import index

    with connection.cursor() as cursor:
        if not _has_index(cursor, "postgresql"):
            yield
            return
    index.install(connection)  # recreate whatever an interrupted earlier run left out
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('search_ticketdoc', 'search_entrydoc') "
            "AND indexdef LIKE '%% USING gin %%'"
        )
        definitions = cursor.fetchall()
        for name, _ in definitions:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in definitions:
                cursor.execute(
                    definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
                )
            cursor.execute("RESET maintenance_work_mem")


@contextmanager
def _fast_session() -> Iterator[None]:
    """SQLite: no fsync and no per-row foreign-key checks for the load (the rows are
    consistent by construction); settings restored afterwards. Outside a transaction only."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA foreign_keys")
        foreign_keys = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("PRAGMA cache_size = -200000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous = {int(synchronous)}")
            cursor.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
            cursor.execute("PRAGMA cache_size = -20000")


def _reserve_numbers(count: int) -> int:
    """Take ``count`` ticket numbers where the services take them (PostgreSQL's sequence, the
    ``ticket`` counter elsewhere); returns the first. Never below a number already in use.
    Nothing else may create tickets meanwhile (the seed also picks the next ids itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval('{TICKET_NUMBER_SEQUENCE}', GREATEST("
                f" (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
                f" FROM {TICKET_NUMBER_SEQUENCE}),"
                f" (SELECT MAX(number) FROM {Ticket._meta.db_table})) + %s)",
                [count],
            )
            return int(cursor.fetchone()[0]) - count + 1
    counter = Counter.objects.select_for_update().filter(name="ticket").first()
    if counter is None:
        counter = Counter.objects.create(name="ticket", value=FIRST_TICKET_NUMBER - 1)
    highest = Ticket.objects.aggregate(m=Max("number"))["m"] or 0
    first = max(counter.value, highest) + 1
    counter.value = first + count - 1
    counter.save(update_fields=["value"])
    return first


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [Ticket, ThreadEntry])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _analyze() -> None:
    """Statistics for the planner and, on PostgreSQL, a VACUUM too: what autovacuum does to a
    live table in the background (not possible inside a transaction, as in tests), and what
    keeps counts over an index (the least-loaded agent's active tickets on every create)
    index-only. Right after a bulk seed without it, such a count visits a heap page per
    ticket (60 ms instead of 3 at 1M)."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


def seed_long_thread(*, entries: int = 500, seed: int = 7) -> int:
    """One ticket with ``entries`` thread entries (idempotent); returns its number."""
    known = Counter.objects.filter(name=LONG_THREAD_COUNTER).values_list("value", flat=True).first()
    if known is not None and Ticket.objects.filter(number=known).exists():
        return known
    desk = build_desk(customers=1, organizations=1)
    generator = Generator(random.Random(seed), desk, vendor=connection.vendor, now=clock.now())
    with transaction.atomic():
        number = _reserve_numbers(1)
        ticket_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        entry_id = (ThreadEntry.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        created = generator.now - 200 * 86_400
        values, _ = generator.ticket(ticket_id, number, created)
        values.update(status="open", subject="Benchmark: a ticket with a long thread")
        values["created_at"] = generator.stamp(created)
        rows = generator.entries(values, created, entry_id, entries)
        with _index_suspended() as reindex:
            _insert(Ticket._meta.db_table, generator.ticket_columns, [generator.ticket_row(values)])
            _insert(ThreadEntry._meta.db_table, generator.entry_columns, rows)
            reindex(ticket_id - 1, ticket_id)
        if connection.vendor == "postgresql":
            _reset_sequences()
        Counter.objects.update_or_create(name=LONG_THREAD_COUNTER, defaults={"value": number})
    return number
