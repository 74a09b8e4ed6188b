"""Every supported queue, sort and filter reads tickets through an index: checked on the query
plans (EXPLAIN) of the statements a page actually runs, over a few thousand tickets shaped
like a desk's (most closed, spread over departments, agents and customers), never by timing.

A statement may read tickets by key, by an index range, or walk an index (the primary key
included) in the order asked for and stop at the page's LIMIT. What fails is reading the
whole ticket table: a plain scan that then has to be sorted, or a scan for a customer, who
sees only a small part of the desk.
"""

from __future__ import annotations

import datetime
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline import factories
from helpline.conftest import module_transaction
from helpline.directory.models import DepartmentMembership
from helpline.search.criteria import SORTS, read_criteria
from helpline.search.selectors import search_tickets
from helpline.tickets.models import Ticket
from helpline.tickets.selectors import QUEUES, encode_cursor, queue_counts, ticket_list

TICKETS = 4000
DEPARTMENTS = 8
STATUSES = ["closed"] * 16 + ["resolved", "new", "open", "pending", "on_hold"]
PRIORITIES = ["low", "medium", "medium", "medium", "high", "critical"]
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def _busy_desk(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """Eight departments and 4,000 tickets, built once for the module (its tests only read)."""
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            desk = _build_busy_desk(factories.Desk())
        yield desk


@pytest.fixture
def busy_desk(_busy_desk: Any, db: None) -> Any:
    return _busy_desk


def _build_busy_desk(desk: Any) -> Any:
    rng = random.Random(6)
    departments = [desk.department, desk.other_department] + [
        factories.department() for _ in range(DEPARTMENTS - 2)
    ]
    agents = [desk.l1, desk.l2, desk.l3, desk.outsider]
    for department in departments[2:]:
        agents += [factories.agent(departments=[department]) for _ in range(3)]
    customers = [desk.customer, desk.other_customer] + [
        factories.customer(organization=None) for _ in range(40)
    ]
    members: dict[int, list[Any]] = {}
    for membership in DepartmentMembership.objects.select_related("user"):
        members.setdefault(membership.department_id, []).append(membership.user)
    start = Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0
    rows = []
    for n in range(TICKETS):
        department = rng.choice(departments)
        status = rng.choice(STATUSES)
        created = T0 + datetime.timedelta(minutes=37 * n)
        rows.append(
            Ticket(
                number=start + n + 1,
                subject=f"Ticket {n}",
                description="Something broke.",
                status=status,
                priority=rng.choice(PRIORITIES),
                requester=rng.choice(customers),
                organization=None,
                department=department,
                assignee=(
                    rng.choice(members.get(department.pk, [None])) if rng.random() < 0.9 else None
                ),
                created_at=created,
                updated_at=created + datetime.timedelta(minutes=rng.randrange(5000)),
                resolution_due_at=(
                    created + datetime.timedelta(hours=rng.randrange(8, 72))
                    if rng.random() < 0.95
                    else None
                ),
            )
        )
    Ticket.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return desk


def plans_of(run: Any, *, expect_reads: bool = True) -> list[tuple[str, str]]:
    """(statement, plan) of every statement ``run`` sends that reads the ticket table."""
    with CaptureQueriesContext(connection) as captured:
        run()
    found = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not re.match(r'SELECT .*? FROM "tickets_ticket"', sql, re.S):
                continue
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(prefix + sql)
            found.append((sql, "\n".join(str(row[-1]) for row in cursor.fetchall())))
    assert found or not expect_reads, "nothing read the ticket table"
    return found


def assert_reads_tickets_by_index(plans: list[tuple[str, str]], *, may_walk: bool) -> None:
    """``may_walk``: walking the primary key newest first until the page is full is fine
    (an agent sees a good share of the desk); for a customer it would read the whole table."""
    for sql, plan in plans:
        if connection.vendor == "sqlite":
            scans = re.findall(r"^SCAN tickets_ticket$", plan, re.M)
            walking_in_order = may_walk and "TEMP B-TREE FOR ORDER BY" not in plan
            assert not scans or walking_in_order, f"{sql}\n{plan}"
        else:
            assert "Seq Scan on tickets_ticket" not in plan, f"{sql}\n{plan}"


@pytest.fixture
def no_seq_scan_on_postgres() -> None:
    """At a few thousand rows PostgreSQL rightly prefers reading the whole table: ask it for
    the plan it would use at scale, when reading everything costs too much."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("queue", list(QUEUES))
@pytest.mark.parametrize("who", ["l1", "admin"])
def test_every_queue_and_sort_reads_tickets_through_an_index(
    busy_desk, no_seq_scan_on_postgres, who, queue, sort
):
    user = getattr(busy_desk, who)
    # The admin is in no department: their department queues are empty without a query.
    in_departments = DepartmentMembership.objects.filter(user=user).exists()
    expect_reads = in_departments or queue not in ("unassigned", "department")

    plans = plans_of(
        lambda: search_tickets(user=user, queue=queue, sort=sort, limit=25),
        expect_reads=expect_reads,
    )

    assert_reads_tickets_by_index(plans, may_walk=True)
    assert plans or not expect_reads


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("who", ["customer", "l1"])
def test_a_users_own_list_reads_tickets_through_an_index(
    busy_desk, no_seq_scan_on_postgres, who, sort
):
    user = getattr(busy_desk, who)

    plans = plans_of(lambda: search_tickets(user=user, sort=sort, limit=25))

    assert_reads_tickets_by_index(plans, may_walk=who != "customer")


@pytest.mark.parametrize(
    "filters",
    [
        {"status": ["open"]},
        {"status": ["open", "pending"], "priority": ["critical"]},
        {"department": ["network"]},
        {"assignee": ["me"]},
        {"assignee": ["none"], "status": ["new"]},
        {"created_from": ["2026-01-10"], "created_to": ["2026-01-12"]},
        {"updated_from": ["2026-01-20"]},
    ],
)
@pytest.mark.parametrize("sort", list(SORTS))
def test_every_filter_with_every_sort_reads_tickets_through_an_index(
    busy_desk, no_seq_scan_on_postgres, filters, sort
):
    criteria = read_criteria(filters)

    plans = plans_of(
        lambda: search_tickets(
            user=busy_desk.l1, filters=criteria.filters, sort=sort, queue="department"
        )
    )

    assert_reads_tickets_by_index(plans, may_walk=False)


@pytest.mark.parametrize("who", ["l1", "admin"])
def test_queue_badges_sum_the_kept_counts_through_their_indexes_not_tickets(
    busy_desk, no_seq_scan_on_postgres, who
):
    """The badges never read the ticket table: they sum a few rows of the counts the database
    keeps per (department, assignee), through that table's indexes."""
    with CaptureQueriesContext(connection) as captured:
        queue_counts(user=getattr(busy_desk, who))
    (statement,) = [q["sql"] for q in captured.captured_queries if "tickets_queuecount" in q["sql"]]
    assert "tickets_ticket" not in statement
    with connection.cursor() as cursor:
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        cursor.execute(prefix + statement)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "queuecount_assignee" in plan, plan
    if who == "l1":  # the admin is in no department: those two badges are 0 without a read
        assert "queuecount_department" in plan, plan
    assert not re.search(r"^SCAN tickets_queuecount$|Seq Scan", plan, re.M), plan


QUEUE_INDEXES = {
    "department": ("ticket_queue_department",),
    "mine": ("ticket_queue_assignee",),
    # SQLite may walk (assignee, department, id) instead, in the same order, checking the
    # status in the table: as cheap for a page.
    "unassigned": ("ticket_queue_unassigned", "ticket_assignee_dept"),
}


@pytest.mark.parametrize("page", ["first", "deep"])
@pytest.mark.parametrize("queue", list(QUEUE_INDEXES))
@pytest.mark.parametrize("reader", ["api list", "desk queue"])
def test_queue_pages_walk_the_partial_queue_index_newest_first_without_sorting(
    busy_desk, no_seq_scan_on_postgres, reader, queue, page
):
    """The page reads about a page of entries of the partial index on the active tickets
    (migration tickets 0005), in id order: no sort of the whole active queue."""
    user = busy_desk.l1
    middle = Ticket.objects.order_by("id").values_list("id", flat=True)[TICKETS // 2]
    cursor = encode_cursor(middle) if page == "deep" else None
    if reader == "api list":
        plans = plans_of(lambda: ticket_list(user=user, queue=queue, cursor=cursor))
    else:
        plans = plans_of(lambda: search_tickets(user=user, queue=queue, cursor=cursor))

    (sql, plan), *_ = [(sql, plan) for sql, plan in plans if "LIMIT" in sql]
    assert any(index in plan for index in QUEUE_INDEXES[queue]), f"{sql}\n{plan}"
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in plan, f"{sql}\n{plan}"
    # PostgreSQL may sort the few rows of a small test table's index range: only that the
    # rows come from the partial index (not a filtered walk of the primary key) is checked.


@pytest.mark.parametrize("who", ["l1", "customer", "admin"])
def test_opening_a_ticket_reads_it_by_key_not_by_joining_every_ticket(
    busy_desk, no_seq_scan_on_postgres, who
):
    from helpline.tickets.access import access_ticket

    # In the desk's department, from its customer: all three may see it.
    number = (
        Ticket.objects.filter(department=busy_desk.department, requester=busy_desk.customer)
        .values_list("number", flat=True)
        .first()
    )

    plans = plans_of(lambda: access_ticket(getattr(busy_desk, who), number))

    for sql, plan in plans:
        lines = plan.splitlines()
        if connection.vendor == "sqlite":
            assert not [line for line in lines if re.match(r"\W*SCAN (t|tickets_ticket)\b", line)]
            continue
        # Every read of the ticket table is an index lookup with a condition: not a scan,
        # nor a walk of a whole index feeding a join.
        for index, line in enumerate(lines):
            if re.search(r" on tickets_ticket\b", line):
                assert "Index Cond" in lines[index + 1], f"{sql}\n{plan}"


@pytest.mark.parametrize("who", ["l1", "customer"])
def test_a_thread_page_reads_the_newest_entries_from_the_ticket_id_index_without_sorting(
    busy_desk, no_seq_scan_on_postgres, who
):
    """The newest 50 of a long thread come from the (ticket, id) index read backwards and
    stop at the LIMIT; the ticket index alone made PostgreSQL read and sort every entry."""
    from helpline.tickets.models import ThreadEntry
    from helpline.tickets.selectors import ticket_thread_page

    ticket = Ticket.objects.filter(
        department=busy_desk.department, requester=busy_desk.customer
    ).first()
    kinds = ("reply", "note", "customer_message")
    ThreadEntry.objects.bulk_create(
        ThreadEntry(ticket=ticket, kind=kinds[n % 3], body=f"Entry {n}") for n in range(300)
    )
    # Newer entries on other tickets: walking all entries newest first would pass them all.
    others = Ticket.objects.exclude(pk=ticket.pk).values_list("pk", flat=True)[:2000]
    ThreadEntry.objects.bulk_create(
        ThreadEntry(ticket_id=pk, kind=kinds[n % 3], body="Later")
        for pk in others
        for n in range(2)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_threadentry")
    user = getattr(busy_desk, who)

    with CaptureQueriesContext(connection) as captured:
        page = ticket_thread_page(user=user, ticket=ticket)

    assert len(page.entries) == 50
    (sql,) = [q["sql"] for q in captured.captured_queries if "LIMIT" in q["sql"]]
    with connection.cursor() as cursor:
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        cursor.execute(prefix + sql)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "entry_ticket " in plan or plan.rstrip().endswith("entry_ticket"), f"{sql}\n{plan}"
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, f"{sql}\n{plan}"


@pytest.mark.parametrize(
    ("column", "who"), [("requester", "customer"), ("department", "department"), ("assignee", "l1")]
)
def test_tickets_by_requester_department_or_assignee_are_read_through_a_composite_index(
    busy_desk, no_seq_scan_on_postgres, column, who
):
    """These columns have no index of their own (tickets 0011): the composite indexes that
    lead with them serve every lookup, the foreign keys' checks on delete included."""
    key = getattr(busy_desk, who).pk
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Ticket._meta.db_table)
    own_indexes = [
        name
        for name, info in constraints.items()
        if info["index"] and info["columns"] == [f"{column}_id"]
    ]

    plans = plans_of(
        lambda: list(Ticket.objects.filter(**{f"{column}_id__in": [key]}).values_list("pk"))
    )

    assert own_indexes == []
    assert_reads_tickets_by_index(plans, may_walk=False)
