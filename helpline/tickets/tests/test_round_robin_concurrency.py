"""Round robin and skills under concurrent ticket creation: the picks take turns."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest

from helpline import factories
from helpline.conftest import is_postgres
from helpline.directory.models import AssignmentStrategy, Strategy, Tag
from helpline.tickets.models import Ticket
from helpline.tickets.tests.test_concurrency import _in_threads, _need_shared_database

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not is_postgres() and not os.environ.get("TEST_SQLITE_NAME"),
        reason="threads need a shared database: set DATABASE_URL=postgres://... "
        "or TEST_SQLITE_NAME=/tmp/helpline-test.sqlite3",
    ),
]

THREADS = 6
TICKETS_PER_THREAD = 5


def test_concurrent_tickets_take_turns_fairly_under_round_robin(desk: Any) -> None:
    _need_shared_database()
    department = factories.department(name="Race Desk", slug="race-desk")
    agents = [factories.agent(departments=[department], level=1) for _ in range(3)]
    AssignmentStrategy.objects.create(department=department, level=1, strategy=Strategy.ROUND_ROBIN)

    def work(index: int) -> None:
        for _ in range(TICKETS_PER_THREAD):
            factories.ticket(requester=desk.customer, department=department)

    _, errors = _in_threads(THREADS, work)
    assert errors == []
    shares = Counter(
        Ticket.objects.filter(department=department).values_list("assignee", flat=True)
    )
    total = THREADS * TICKETS_PER_THREAD
    assert shares == {agent.pk: total // len(agents) for agent in agents}


def test_concurrent_tickets_with_skills_go_to_the_skilled_agents_in_turn(desk: Any) -> None:
    _need_shared_database()
    department = factories.department(name="Skill Desk", slug="skill-desk")
    skilled = [factories.agent(departments=[department], level=1) for _ in range(2)]
    unskilled = factories.agent(departments=[department], level=1)
    vpn = Tag.objects.create(name="vpn")
    for agent in skilled:
        agent.skills.add(vpn)
    AssignmentStrategy.objects.create(
        department=department, level=1, strategy=Strategy.LOAD_BALANCED, use_skills=True
    )

    def work(index: int) -> None:
        for _ in range(TICKETS_PER_THREAD):
            factories.ticket(requester=desk.customer, department=department, tags=["vpn"])

    _, errors = _in_threads(THREADS, work)
    assert errors == []
    shares = Counter(
        Ticket.objects.filter(department=department).values_list("assignee", flat=True)
    )
    assert set(shares) == {agent.pk for agent in skilled}
    assert unskilled.pk not in shares
    # A pick sees the picks before it, not the tickets still being written (one per thread).
    first, second = (shares[agent.pk] for agent in skilled)
    assert abs(first - second) <= (THREADS if is_postgres() else 0)
