"""Races between real connections: ticket numbers, takes and optimistic edits.

Threads need a database that several connections share for real: PostgreSQL, or SQLite in a
file (the default in-memory test database is one connection's private world). Run the SQLite
variants with ``TEST_SQLITE_NAME=/tmp/helpline-test.sqlite3``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from helpline import factories
from helpline.accounts.models import User
from helpline.audit.models import AuditEvent
from helpline.conftest import is_postgres
from helpline.core.errors import StaleVersion, ValidationFailed
from helpline.factories import Desk
from helpline.tickets import services
from helpline.tickets.models import EntryKind, Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # Decided before any fixture runs, so the in-memory database is never set up for nothing.
    pytest.mark.skipif(
        not is_postgres() and not os.environ.get("TEST_SQLITE_NAME"),
        reason="threads need a shared database: set DATABASE_URL=postgres://... "
        "or TEST_SQLITE_NAME=/tmp/helpline-test.sqlite3",
    ),
]

THREADS = 8
TICKETS_PER_THREAD = 10


def _need_postgres() -> None:
    if not is_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


def _need_shared_database() -> None:
    """PostgreSQL, or SQLite in a file; never the in-memory SQLite test database."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "threads against the in-memory SQLite test database prove nothing: "
            "set TEST_SQLITE_NAME=/tmp/helpline-test.sqlite3 (or DATABASE_URL=postgres://...)"
        )


def _in_threads(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` in ``count`` threads released together; results and errors."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:  # collected and asserted on by the test
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


def _create_many(desk: Desk) -> list[int]:
    def work(index: int) -> list[int]:
        return [
            services.ticket_create(
                actor=desk.customer, subject=f"Thread {index} ticket {n}", description="Race."
            ).number
            for n in range(TICKETS_PER_THREAD)
        ]

    results, errors = _in_threads(THREADS, work)
    assert errors == []
    return [number for numbers in results for number in numbers]


def _assert_unique_consecutive(numbers: list[int]) -> None:
    total = THREADS * TICKETS_PER_THREAD
    assert len(numbers) == total
    assert len(set(numbers)) == total
    assert sorted(numbers) == list(range(min(numbers), min(numbers) + total))
    assert Ticket.objects.count() == total
    assert AuditEvent.objects.filter(action="ticket.create").count() == total


@pytest.mark.postgres
def test_concurrent_creation_yields_unique_numbers_on_postgresql():
    _need_postgres()
    _assert_unique_consecutive(_create_many(Desk()))


def _lock_timeout() -> None:
    """This connection's lock waits fail after 2 s: a test fails instead of hanging."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")


@pytest.mark.postgres
def test_on_postgresql_a_create_holds_no_lock_another_create_waits_for():
    # The agent's pick is committed at once and the number comes from a sequence in the
    # ticket's INSERT: while one create writes its ticket, another runs from start to end.
    _need_postgres()
    desk = Desk()
    from helpline.tickets.services import create

    main = threading.current_thread()
    meanwhile: list[Ticket] = []
    insert = create.rows.insert

    def create_another(_: int) -> Ticket:
        _lock_timeout()
        return services.ticket_create(actor=desk.customer, subject="Meanwhile", description=".")

    def spy(row: Any, **options: Any) -> None:
        if isinstance(row, Ticket) and threading.current_thread() is main:
            results, errors = _in_threads(1, create_another)
            assert errors == []
            meanwhile.extend(results)
        insert(row, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(create.rows, "insert", spy)
        ticket = desk.ticket()

    (other,) = meanwhile
    assert other.number == ticket.number - 1  # the number is taken by the INSERT
    assert {ticket.assignee, other.assignee} == {desk.l1}


@pytest.mark.postgres
def test_on_postgresql_a_pick_passes_over_an_agent_another_pick_is_stamping():
    _need_postgres()
    desk = Desk()
    second = factories.agent(departments=[desk.department], level=1)
    first = desk.l1  # never assigned, lower id: first in line

    def create(_: int) -> Ticket:
        _lock_timeout()
        return desk.ticket(subject="Skips")

    with transaction.atomic():  # another pick's lock on the first agent's row
        User.objects.select_for_update().filter(pk=first.pk).get()
        results, errors = _in_threads(1, create)

    assert errors == []
    assert results[0].assignee == second
    assert desk.ticket(subject="Next").assignee == first


@pytest.mark.postgres
def test_on_postgresql_a_pick_waits_when_every_agent_is_being_stamped():
    _need_postgres()
    desk = Desk()
    started = threading.Event()
    results: list[Ticket] = []

    def create() -> None:
        try:
            started.set()
            results.append(desk.ticket(subject="Waits"))
        finally:
            connection.close()

    with transaction.atomic():  # another pick's lock on the only agent's row
        User.objects.select_for_update().filter(pk=desk.l1.pk).get()
        thread = threading.Thread(target=create)
        thread.start()
        started.wait(timeout=30)
        time.sleep(0.3)  # the create reaches the lock
        assert results == []  # and waits for it
    thread.join(timeout=60)

    (ticket,) = results
    assert ticket.assignee == desk.l1


@pytest.mark.postgres
def test_on_postgresql_a_create_failing_after_its_insert_leaves_nothing_but_a_skipped_number():
    _need_postgres()
    desk = Desk()
    first = desk.ticket().number
    from helpline.tickets.services import create

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the audit table is gone")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(create, "audit_record", broken)
        with pytest.raises(RuntimeError):
            desk.ticket(subject="Lost")

    assert not Ticket.objects.filter(subject="Lost").exists()
    assert desk.ticket().number == first + 2


@pytest.mark.postgres
@pytest.mark.parametrize(
    "fields",
    [{"tags": [f"tag{n}" for n in range(21)]}, {"requester_email": "not an address"}],
    ids=["too many tags", "a bad requester email"],
)
def test_on_postgresql_a_refused_create_does_not_use_up_a_ticket_number(fields):
    _need_postgres()
    desk = Desk()
    first = desk.ticket().number
    with pytest.raises(ValidationFailed):
        services.ticket_create(actor=desk.l1, subject="Refused", description="Refused.", **fields)
    assert desk.ticket().number == first + 1


def test_concurrent_creation_yields_unique_numbers_on_a_sqlite_file():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; PostgreSQL has its own test")
    _need_shared_database()
    _assert_unique_consecutive(_create_many(Desk()))


def test_concurrent_creation_spreads_tickets_over_level_one_agents():
    _need_shared_database()
    desk = Desk()
    second = factories.agent(departments=[desk.department], level=1)
    _create_many(desk)
    first, other = (Ticket.objects.filter(assignee=agent).count() for agent in (desk.l1, second))
    assert first + other == THREADS * TICKETS_PER_THREAD
    # Each pick sees the picks before it. On PostgreSQL it does not see the tickets still
    # being written by creates that picked before it (at most one per thread), only their
    # agents' last assignment times: balanced to within those.
    allowed = THREADS if is_postgres() else 0
    assert abs(first - other) <= allowed


def test_two_agents_taking_the_same_ticket_are_serialised():
    _need_shared_database()
    desk = Desk()
    ticket = desk.ticket()
    agents = [desk.l2, desk.l3]

    _, errors = _in_threads(2, lambda i: services.ticket_take(actor=agents[i], ticket=ticket))
    assert errors == []

    ticket.refresh_from_db()
    takes = list(AuditEvent.objects.filter(ticket=ticket, action="ticket.take").order_by("id"))
    assert len(takes) == 2
    assert ticket.version == 1 + len(takes)
    # Per lock order: the second take saw the first one's result; the last taker holds it.
    first, second = takes
    assert second.changes["assignee"][0] == first.changes["assignee"][1]
    assert ticket.assignee == second.actor
    assert "status" in first.changes and "status" not in second.changes
    assert ticket.status == "open"
    assert ticket.entries.filter(kind=EntryKind.EVENT).count() == 1


def test_two_agents_taking_the_same_version_exactly_one_wins():
    _need_shared_database()
    desk = Desk()
    ticket = desk.ticket()
    agents = [desk.l2, desk.l3]

    _, errors = _in_threads(
        2, lambda i: services.ticket_take(actor=agents[i], ticket=ticket, expected_version=1)
    )

    assert len(errors) == 1 and isinstance(errors[0], StaleVersion)
    ticket.refresh_from_db()
    (take,) = AuditEvent.objects.filter(ticket=ticket, action="ticket.take")
    assert ticket.version == 2
    assert ticket.assignee == take.actor
    assert ticket.assignee in agents


def test_concurrent_edits_of_one_version_let_exactly_one_through():
    _need_shared_database()
    desk = Desk()
    ticket = desk.ticket(subject="Original")
    editors = [desk.l1, desk.l2, desk.l3, desk.admin]

    def edit(index: int) -> Ticket:
        return services.ticket_update(
            actor=editors[index],
            ticket=ticket,
            expected_version=1,
            changes={"subject": f"Edit {index}"},
        )

    results, errors = _in_threads(len(editors), edit)

    assert len(errors) == len(editors) - 1
    assert all(isinstance(error, StaleVersion) for error in errors)
    (winner,) = [result for result in results if result is not None]
    ticket.refresh_from_db()
    assert ticket.version == 2
    assert ticket.subject == winner.subject
    assert AuditEvent.objects.filter(ticket=ticket, action="ticket.update").count() == 1


def test_concurrent_moves_between_queues_keep_the_counts_exact_without_deadlocks():
    """Threads create tickets and move them between agents, the unassigned queue and another
    department, in opposite directions at once: the kept queue counts (written by triggers as
    inserted rows, never an update of a shared row) still equal a count of the tickets."""
    from helpline.tickets import queuecounts, selectors

    _need_shared_database()
    desk = Desk()

    def work(index: int) -> None:
        for n in range(4):
            ticket = services.ticket_create(
                actor=desk.customer, subject=f"Thread {index} move {n}", description="Race."
            )
            if index % 2:
                services.ticket_assign(actor=desk.admin, ticket=ticket, assignee=desk.l2)
                services.ticket_assign(actor=desk.admin, ticket=ticket, assignee=None)
            else:
                services.ticket_route(
                    actor=desk.admin, ticket=ticket, department=desk.other_department
                )
                services.ticket_assign(actor=desk.admin, ticket=ticket, assignee=desk.outsider)

    _, errors = _in_threads(THREADS, work)

    assert errors == []
    for agent in (desk.l1, desk.l2, desk.outsider):
        counted = {
            name: Ticket.objects.filter(selectors.queue_filter(agent, name)).count()
            for name in ("mine", "unassigned", "department")
        }
        assert selectors.queue_counts(user=agent) == counted
    queuecounts.fold(connection)
    assert selectors.queue_counts(user=desk.outsider)["mine"] == THREADS // 2 * 4
