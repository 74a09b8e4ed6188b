"""Assignment strategies per department and level: round robin, manual claim, capacity,
skills, and escalation through the same picker."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from helpline import factories
from helpline.accounts.models import Availability
from helpline.core import clock
from helpline.directory.models import AssignmentStrategy, Strategy, Tag
from helpline.tickets import services
from helpline.tickets.assignment import pick_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_of_three(desk: Any) -> list[Any]:
    """Three level-1 agents in a fresh department (by id order)."""
    department = factories.department(name="Service Desk", slug="service-desk")
    return [factories.agent(departments=[department], level=1, name=f"RR {n}") for n in range(3)]


def _department(agents: list[Any]) -> Any:
    return agents[0].departments.get()


def _strategy(department: Any, strategy: str, **fields: Any) -> AssignmentStrategy:
    return AssignmentStrategy.objects.create(
        department=department, level=1, strategy=strategy, **fields
    )


def test_round_robin_cycles_fairly_over_three_agents_and_nine_tickets(
    desk: Any, team_of_three: list[Any]
) -> None:
    department = _department(team_of_three)
    _strategy(department, Strategy.ROUND_ROBIN)
    tickets = [desk.ticket(department=department) for _ in range(9)]
    assignees = [ticket.assignee for ticket in tickets]
    assert assignees == team_of_three * 3


def test_round_robin_ignores_load_and_keeps_its_turn(desk: Any, team_of_three: list[Any]) -> None:
    department = _department(team_of_three)
    _strategy(department, Strategy.ROUND_ROBIN)
    first = desk.ticket(department=department)
    # Load-balanced would now skip the first agent; round robin gives the next turn.
    assert first.assignee == team_of_three[0]
    assert desk.ticket(department=department).assignee == team_of_three[1]


def test_round_robin_skips_away_agents(desk: Any, team_of_three: list[Any]) -> None:
    department = _department(team_of_three)
    _strategy(department, Strategy.ROUND_ROBIN)
    team_of_three[1].availability = Availability.AWAY
    team_of_three[1].save()
    assignees = [desk.ticket(department=department).assignee for _ in range(4)]
    assert assignees == [team_of_three[0], team_of_three[2], team_of_three[0], team_of_three[2]]


def test_round_robin_skips_agents_at_capacity(desk: Any, team_of_three: list[Any]) -> None:
    department = _department(team_of_three)
    _strategy(department, Strategy.ROUND_ROBIN)
    team_of_three[0].capacity = 1
    team_of_three[0].save()
    assignees = [desk.ticket(department=department).assignee for _ in range(5)]
    assert assignees == [
        team_of_three[0],
        team_of_three[1],
        team_of_three[2],
        team_of_three[1],
        team_of_three[2],
    ]


def test_agents_off_until_a_past_date_are_back_in_the_pool(
    desk: Any, team_of_three: list[Any]
) -> None:
    department = _department(team_of_three)
    _strategy(department, Strategy.ROUND_ROBIN)
    team_of_three[0].availability = Availability.OFF
    team_of_three[0].away_until = clock.now() + timedelta(days=1)
    team_of_three[0].save()
    team_of_three[1].availability = Availability.OFF
    team_of_three[1].away_until = clock.now() - timedelta(hours=1)
    team_of_three[1].save()
    assignees = [desk.ticket(department=department).assignee for _ in range(2)]
    assert assignees == [team_of_three[1], team_of_three[2]]


def test_manual_claim_leaves_the_ticket_unassigned(desk: Any, team_of_three: list[Any]) -> None:
    department = _department(team_of_three)
    _strategy(department, Strategy.MANUAL)
    ticket = desk.ticket(department=department)
    assert ticket.assignee is None


def test_load_balanced_respects_the_capacity_cap(desk: Any) -> None:
    desk.l1.capacity = 1
    desk.l1.save()
    assert desk.ticket().assignee == desk.l1
    assert desk.ticket().assignee is None  # the only level-1 agent is full


def test_skills_narrow_the_pool(desk: Any, team_of_three: list[Any]) -> None:
    department = _department(team_of_three)
    _strategy(department, Strategy.LOAD_BALANCED, use_skills=True)
    vpn = Tag.objects.create(name="vpn")
    team_of_three[2].skills.add(vpn)
    tickets = [desk.ticket(department=department, tags=["VPN"]) for _ in range(3)]
    assert [t.assignee for t in tickets] == [team_of_three[2]] * 3


def test_skills_fall_back_to_the_whole_pool_when_nobody_has_them(
    desk: Any, team_of_three: list[Any]
) -> None:
    department = _department(team_of_three)
    _strategy(department, Strategy.LOAD_BALANCED, use_skills=True)
    tickets = [desk.ticket(department=department, tags=["printer"]) for _ in range(3)]
    assert {t.assignee for t in tickets} == set(team_of_three)


def test_a_strategy_argument_overrides_the_configured_one(
    desk: Any, team_of_three: list[Any]
) -> None:
    department = _department(team_of_three)
    _strategy(department, Strategy.MANUAL)
    with transaction.atomic():
        agent = pick_agent(department_id=department.pk, level=1, strategy="round_robin")
    assert agent == team_of_three[0]


def test_escalation_uses_the_strategy_of_the_target_level(desk: Any) -> None:
    second = factories.agent(departments=[desk.department], level=2, name="Second L2")
    AssignmentStrategy.objects.create(
        department=desk.department, level=2, strategy=Strategy.ROUND_ROBIN
    )
    AssignmentStrategy.objects.filter(department=desk.department, level=2).update(
        last_agent=desk.l2
    )
    ticket = desk.ticket()
    escalated = services.ticket_escalate(actor=desk.l1, ticket=ticket, note="needs level 2")
    assert escalated.assignee == second


def test_escalation_to_a_manual_level_leaves_the_ticket_in_the_queue(desk: Any) -> None:
    AssignmentStrategy.objects.create(department=desk.department, level=2, strategy=Strategy.MANUAL)
    escalated = services.ticket_escalate(actor=desk.l1, ticket=desk.ticket(), note="level 2")
    assert escalated.support_level == 2
    assert escalated.assignee is None


def test_load_balanced_pick_takes_a_constant_number_of_queries(
    desk: Any, team_of_three: list[Any], django_assert_max_num_queries: Any
) -> None:
    department = _department(team_of_three)
    for _ in range(6):
        desk.ticket(department=department)
    with django_assert_max_num_queries(4), transaction.atomic():  # + savepoint pair
        pick_agent(department_id=department.pk, level=1)


def test_a_new_tickets_pick_sets_the_agents_turn_in_the_same_statement(desk: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        ticket = desk.ticket()
    touching = [q["sql"] for q in queries.captured_queries if '"accounts_user"' in q["sql"]]
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        assert len(touching) == 2  # no RETURNING from an UPDATE: a read, then the update
    else:
        assert len(touching) == 1 and touching[0].startswith('UPDATE "accounts_user"')
    assert ticket.assignee == desk.l1
    assert ticket.assignee.last_assigned_at is not None
    desk.l1.refresh_from_db()
    assert desk.l1.last_assigned_at == ticket.assignee.last_assigned_at
