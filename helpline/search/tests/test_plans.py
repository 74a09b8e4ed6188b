"""The search queries read the full-text index and look tickets up by key: checked on the
query plans over a few thousand tickets, never by timing."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from helpline import factories
from helpline.conftest import module_transaction
from helpline.search.backends import backend_for
from helpline.search.query import parse_query
from helpline.search.selectors import AGENT_ENTRY_KINDS, CUSTOMER_ENTRY_KINDS
from helpline.tickets.access import ticket_scope, tickets_visible_to
from helpline.tickets.models import ThreadEntry, Ticket

TICKETS = 3000
WORDS = (
    "printer vpn network laptop screen mouse keyboard email password reset access denied "
    "error timeout install update license monitor cable dock battery slow crash"
).split()


class ExplainingCursor:
    """Runs each statement under EXPLAIN and keeps the plan instead of the rows."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.plans: list[str] = []

    def execute(self, sql: str, params: Any = ()) -> None:
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        self.cursor.execute(prefix + sql, params)
        self.plans.append("\n".join(str(row[-1]) for row in self.cursor.fetchall()))

    def fetchall(self) -> list[Any]:
        return []


@pytest.fixture(scope="module")
def _searchable_desk(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """A desk with 4,000 tickets and their entries, built once for the module (its tests only
    read)."""
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            desk = factories.Desk()
            _add_many_tickets(desk)
        yield desk


@pytest.fixture
def desk(_searchable_desk: Any, db: None) -> Any:
    return _searchable_desk


@pytest.fixture
def many_tickets(desk: Any) -> None:
    """The 4,000 tickets are part of this module's desk."""


def _add_many_tickets(desk: Any) -> None:
    rng = random.Random(6)
    start = Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0
    tickets = Ticket.objects.bulk_create(
        Ticket(
            number=start + n + 1,
            subject=" ".join(rng.sample(WORDS, 3)),
            description=" ".join(rng.sample(WORDS, 12)) + (" zephyr" if n % 1000 == 0 else ""),
            requester=desk.customer if n % 100 == 0 else desk.other_customer,
            department=desk.department if n % 2 else desk.other_department,
        )
        for n in range(TICKETS)
    )
    kinds = ["customer_message", "reply", "note", "event"]
    ThreadEntry.objects.bulk_create(
        ThreadEntry(ticket=ticket, kind=kinds[(ticket.pk + k) % 4], body=" ".join(
            rng.sample(WORDS, 8)))
        for ticket in tickets
        for k in range(3)
    )  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What autovacuum does in production: move the GIN pending lists into the trees.
            cursor.execute(
                "SELECT gin_clean_pending_list(indexname::regclass) FROM pg_indexes "
                "WHERE tablename IN ('search_ticketdoc', 'search_entrydoc') "
                "AND indexdef LIKE '%% USING gin %%'"
            )
        cursor.execute("ANALYZE")


def ranked_plan(user, text: str, *, scoped: bool = False) -> str:
    """The plans of a ranked search and its snippets; ``scoped``: as search_tickets runs one
    without filters on a backend that uses a scope (the scope is the whole condition)."""
    backend = backend_for(connection)
    tickets = tickets_visible_to(user).order_by().values("id")
    sql, params = tickets.query.sql_with_params()
    scope = ticket_scope(user) if scoped else None
    if scoped:
        sql, params = None, ()
    kinds = AGENT_ENTRY_KINDS if user.is_agent else CUSTOMER_ENTRY_KINDS
    with connection.cursor() as cursor:
        explaining = ExplainingCursor(cursor)
        backend.ranked_ticket_ids(
            explaining,
            match=backend.match_expression(parse_query(text)),
            kinds=kinds,
            tickets_sql=sql,
            tickets_params=params,
            exclusion=None,
            window=2000,
            limit=26,
            offset=0,
            scope=scope,
        )
        backend.snippets(
            explaining,
            match=backend.match_expression(parse_query(text)),
            kinds=kinds,
            ticket_ids=list(Ticket.objects.values_list("id", flat=True)[:25]),
        )
    return "\n".join(explaining.plans)


def assert_uses_the_index(plan: str) -> None:
    if connection.vendor == "sqlite":
        # Ranking walks each index newest first (192: ORDER BY rowid DESC consumed) ...
        assert "SCAN search_ticket_fts VIRTUAL TABLE INDEX 192:M" in plan
        assert "SCAN search_entry_fts VIRTUAL TABLE INDEX 192:M" in plan
        # Each match's ticket by key: the row, or the (id, department) index when the id is
        # all the test needs.
        assert re.search(
            r"SEARCH tickets_ticket USING (INTEGER PRIMARY KEY|COVERING INDEX search_ticket_scope)",
            plan,
        )
        # A common phrase's subject matches are read once, from the oldest candidate up
        # (a lower rowid bound on the index scan: "0:M7>").
        assert "SCAN search_ticket_fts VIRTUAL TABLE INDEX 0:M7>" in plan
        # ... and snippets probe it by rowid for the tickets of the page only.
        assert "SCAN search_ticket_fts VIRTUAL TABLE INDEX 0:=M" in plan
        assert "SCAN search_entry_fts VIRTUAL TABLE INDEX 0:=M" in plan
        assert "SCAN tickets_ticket" not in plan
        assert "SCAN tickets_threadentry" not in plan
        assert re.search(r"SCAN e\b(?! VIRTUAL)", plan) is None
    else:
        assert re.search(r"Bitmap Index Scan on search_ticketdoc_(document|scoped)", plan)
        assert re.search(r"Bitmap Index Scan on search_entrydoc_(document|scoped)", plan)
        assert (
            re.search(r"Seq Scan on (tickets_ticket|tickets_threadentry|search_\w+) ", plan) is None
        )


@pytest.mark.parametrize("text", ["zephyr", "zeph*", '"printer zephyr"'])
def test_an_agent_search_reads_the_index(desk, many_tickets, text):
    assert_uses_the_index(ranked_plan(desk.l1, text))


@pytest.mark.parametrize("text", ["zephyr", "zeph*"])
def test_a_customer_search_reads_the_index(desk, many_tickets, text):
    assert_uses_the_index(ranked_plan(desk.customer, text))


def test_an_admin_search_reads_the_index(desk, many_tickets):
    assert_uses_the_index(ranked_plan(desk.admin, "zephyr"))


def test_an_exclusion_reads_the_index_once_and_checks_candidates_by_key(desk, many_tickets):
    backend = backend_for(connection)
    condition, params = backend.exclusion_condition(
        backend.exclusion_expression(parse_query("-zephyr")), AGENT_ENTRY_KINDS, "t.id"
    )
    with connection.cursor() as cursor:
        explaining = ExplainingCursor(cursor)
        explaining.execute(
            f"SELECT t.id FROM tickets_ticket t WHERE {condition} ORDER BY t.id DESC LIMIT 26",
            params,
        )
    plan = explaining.plans[0]
    if connection.vendor == "sqlite":
        assert "LIST SUBQUERY" in plan  # the excluded ids, collected once
        assert "SCAN search_ticket_fts VIRTUAL TABLE INDEX 0:M" in plan
        assert "SCAN search_entry_fts VIRTUAL TABLE INDEX 0:M" in plan
        # Entries of a candidate by (ticket, kind), never one index seek per excluded entry.
        assert "SEARCH xe USING COVERING INDEX entry_ticket_kind (ticket_id=? AND kind=?)" in plan
    else:
        assert re.search(r"search_ticketdoc_(pkey|document|scoped)", plan)
        assert re.search(r"search_entrydoc_(ticket|document|scoped)", plan)
        assert re.search(r"Seq Scan on search_\w+ ", plan) is None


def test_an_agent_search_reads_only_their_departments_from_the_index(desk, many_tickets):
    if connection.vendor == "sqlite":
        ranking = ranked_plan(desk.l1, '"printer zephyr"', scoped=True).split("\nSCAN h\n")[0]
        # Each match's department comes from the (id, department) index, never from the
        # ticket's row: the scope is the whole condition.
        assert ranking.count("SEARCH s USING COVERING INDEX search_ticket_scope (id=?") == 2
        assert "SCAN search_ticket_fts VIRTUAL TABLE INDEX 192:M" in ranking
        assert "SCAN search_entry_fts VIRTUAL TABLE INDEX 192:M" in ranking
        assert "tickets_ticket USING INTEGER PRIMARY KEY" not in ranking
        return
    if not _has_index("search_entrydoc_scoped"):
        pytest.skip("the (department, document) index is PostgreSQL's, with btree_gin")
    ranking = ranked_plan(desk.l1, '"printer zephyr"', scoped=True).split("\nLimit")[0]
    ranking = ranking.split("\nNested Loop")[0]  # the snippet queries follow

    # The index that holds the department answers, and no match is looked up in the ticket
    # table: the scope is the whole condition. (Whether the department is an index condition
    # or a filter is the planner's choice by the numbers: at 100k tickets it is the former.)
    assert "Bitmap Index Scan on search_entrydoc_scoped" in ranking
    assert "department_id = ANY" in ranking
    assert "tickets_ticket" not in ranking


def _has_index(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return bool(cursor.fetchone()[0])
