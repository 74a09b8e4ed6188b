"""Who gets a ticket: the assignment strategies of a department and support level.

An admin sets one ``AssignmentStrategy`` row per department and level (no row: load-balanced):

- **load-balanced**: the eligible agent with the fewest active tickets; ties go to whoever has
  waited longest since their last assignment (never assigned first). On PostgreSQL a pick
  passes over an agent a concurrent pick is stamping and takes the next in line;
- **round robin**: the eligible agent after the one who got the last ticket, in a fixed order
  (by id), wrapping around. The pointer lives on the strategy row, locked with
  ``select_for_update`` while the next agent is chosen, so concurrent tickets take turns;
- **manual claim**: nobody; the ticket waits in the queue until an agent takes it.

Eligible: an active agent (or admin) of that support level, member of the department,
available (or off until a time that has passed), and under their capacity cap when they have
one. With ``use_skills``, agents whose skills cover one of the ticket's tags are preferred;
when no eligible agent has the skill, the whole pool is used, and picks take turns on the
strategy row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from helpline.accounts.models import Availability, Role, User
from helpline.core import clock, rows
from helpline.core.configcache import ConfigCache
from helpline.core.rows import RowReader
from helpline.directory.models import AssignmentStrategy, DepartmentMembership, Strategy
from helpline.tickets.models import QueueCount

STRATEGIES = frozenset(Strategy)


def _load_strategies() -> dict[tuple[int, int], AssignmentStrategy]:
    return {(row.department_id, row.level): row for row in AssignmentStrategy.objects.all()}


_strategies = ConfigCache("assignment-strategies", _load_strategies, models=[AssignmentStrategy])


def strategy_for(*, department_id: int, level: int) -> AssignmentStrategy | None:
    """The department's strategy row for ``level`` (cached configuration: read its strategy
    and skills setting; round robin re-reads the row under a lock for its pointer)."""
    return _strategies.get().get((department_id, level))


def eligible_agents(
    *, department_id: int, level: int, exclude_ids: Iterable[int] = ()
) -> QuerySet[User]:
    """The agents who may receive a ticket now, annotated with ``active_count``."""
    now = clock.now()
    return (
        User.objects.filter(
            is_active=True,
            role__in=[Role.AGENT, Role.ADMIN],
            support_level=level,
            departmentmembership__department_id=department_id,
        )
        .filter(
            Q(availability=Availability.AVAILABLE)
            | Q(availability=Availability.OFF, away_until__lte=now)
        )
        .exclude(pk__in=list(exclude_ids))
        .annotate(active_count=Coalesce(Subquery(_active_tickets_of_agent()), 0))
        .filter(Q(capacity__isnull=True) | Q(active_count__lt=F("capacity")))
    )


def _active_tickets_of_agent() -> QuerySet[Any, Any]:
    """How many active tickets the outer agent holds: the sum of the agent's rows of the
    counts the database keeps (``queuecounts``), a few rows however many tickets."""
    return (
        QueueCount.objects.filter(assignee_id=OuterRef("pk"))
        .order_by()
        .values("assignee_id")
        .annotate(count=Sum("active"))
        .values("count")
    )


def _with_skills(pool: QuerySet[User], tags: Iterable[str]) -> QuerySet[User]:
    """The part of ``pool`` covering one of ``tags``, or ``pool`` when nobody does."""
    names = sorted({tag.strip().lower() for tag in tags if tag and tag.strip()})
    if not names:
        return pool
    skilled = User.skills.through.objects.filter(user=OuterRef("pk"), tag__name__in=names)
    narrowed = pool.filter(Exists(skilled))
    return narrowed if narrowed.exists() else pool


def _load_balanced(pool: QuerySet[User]) -> User | None:
    by_load = ("active_count", F("last_assigned_at").asc(nulls_first=True), "id")
    return pool.order_by(*by_load).first()  # type: ignore[misc]  # an annotation


def _least_loaded(
    *,
    department_id: int,
    level: int,
    exclude_ids: Iterable[int] = (),
    assigned_at: datetime | None = None,
) -> User | None:
    """``_load_balanced(eligible_agents(...))`` in one hand-written statement.

    The same rules, written as SQL because it runs on every new ticket and the ORM spent
    longer building the annotated queryset than the database spent answering it. Each
    candidate's active tickets are summed from the kept counts (``queuecounts``); counting
    them took 1 ms per new ticket at 1M tickets, with ~1,400 active each. The capacity cap and
    the ordering (fewest active, longest since the last assignment, lowest id) are applied
    by the database, which returns the chosen agent's row only. With ``assigned_at``, the
    same statement sets the agent's ``last_assigned_at`` where the database can return rows
    from an UPDATE: a new ticket's pick is one round trip.
    """
    user, member, counts = User._meta, DepartmentMembership._meta, QueueCount._meta
    excluded = [int(pk) for pk in exclude_ids]
    adapt = connection.ops.adapt_datetimefield_value
    chosen = (
        "SELECT c.id FROM ("
        f"SELECT u.id, u.capacity, u.last_assigned_at, (SELECT COALESCE(SUM(q.active), 0)"
        f" FROM {counts.db_table} q WHERE q.assignee_id = u.id) AS active_count"
        f" FROM {user.db_table} u JOIN {member.db_table} m ON m.user_id = u.id"
        " WHERE m.department_id = %s AND u.is_active = %s AND u.role IN (%s, %s)"
        " AND u.support_level = %s"
        " AND (u.availability = %s OR (u.availability = %s AND u.away_until <= %s))"
        + (f" AND u.id NOT IN ({', '.join(['%s'] * len(excluded))})" if excluded else "")
        + ") c WHERE c.capacity IS NULL OR c.active_count < c.capacity"
        # Never assigned first: NULLs sort first on SQLite and last on PostgreSQL.
        " ORDER BY c.active_count, c.last_assigned_at IS NOT NULL, c.last_assigned_at, c.id LIMIT 1"
    )
    params: list[object] = [
        department_id, True, Role.AGENT, Role.ADMIN, level,
        Availability.AVAILABLE, Availability.OFF, adapt(clock.now()), *excluded,
    ]  # fmt: skip
    if assigned_at is not None and rows.returns_from_update():
        stamp = [adapt(assigned_at)]
        features = connection.features
        if features.has_select_for_update_skip_locked and features.has_select_for_no_key_update:
            # Picks at the same moment pass over an agent another one is stamping, instead
            # of both choosing them: each takes the next in line, with no lock to wait for.
            # Only when every candidate is being stamped does the plain statement below wait.
            # (The UPDATE's own lock: a ticket's foreign key check does not conflict with it.)
            skipping = f"{chosen} FOR NO KEY UPDATE SKIP LOCKED"
            found = _CHOSEN.updated_in_subquery("last_assigned_at = %s", stamp, skipping, params)
            if found:
                return found[0]
        found = _CHOSEN.updated_in_subquery("last_assigned_at = %s", stamp, chosen, params)
        return found[0] if found else None
    found = _CHOSEN.in_subquery(chosen, params)
    if found and assigned_at is not None:
        _stamp(found[0], assigned_at)
    return found[0] if found else None


_CHOSEN = RowReader(User, "t.id = ({keys})")


def _round_robin(pool: QuerySet[User], *, department_id: int, level: int) -> User | None:
    """The next agent after the pointer. Call inside a transaction: the pointer row stays
    locked until it commits."""
    row, _ = AssignmentStrategy.objects.get_or_create(department_id=department_id, level=level)
    row = AssignmentStrategy.objects.select_for_update().get(pk=row.pk)
    after = row.last_agent_id or 0
    agent = pool.filter(pk__gt=after).order_by("id").first() or pool.order_by("id").first()
    if agent is not None and agent.pk != row.last_agent_id:
        AssignmentStrategy.objects.filter(pk=row.pk).update(last_agent=agent)
    return agent


def pick_agent(
    *,
    department_id: int,
    level: int,
    exclude_ids: tuple[int, ...] = (),
    tags: Iterable[str] = (),
    strategy: str | None = None,
    assigned_at: datetime | None = None,
) -> User | None:
    """The agent who gets a ticket of ``department_id`` at support ``level``, or None (manual
    claim, or nobody eligible).

    ``strategy`` overrides the department's configured one (an automation rule's "assign by
    round robin"); ``tags`` are the ticket's tags, used when the strategy uses skills. With
    ``assigned_at``, the chosen agent's ``last_assigned_at`` (the turn order) is set to it,
    in the pick's own statement where the strategy allows.

    Runs in the caller's transaction, or outside any: the plain load-balanced pick is one
    statement, and the others open a transaction of their own for their lock (round robin
    its pointer row, skills the strategy row), so that concurrent picks take turns.
    """
    config = strategy_for(department_id=department_id, level=level)
    chosen = strategy or (config.strategy if config else Strategy.LOAD_BALANCED)
    if chosen not in STRATEGIES:
        raise ValueError(f"unknown assignment strategy {chosen!r}")
    if chosen == Strategy.MANUAL:
        return None
    skills = config is not None and config.use_skills
    if chosen == Strategy.LOAD_BALANCED and not skills:
        return _least_loaded(
            department_id=department_id,
            level=level,
            exclude_ids=exclude_ids,
            assigned_at=assigned_at,
        )
    with transaction.atomic(savepoint=False):  # no savepoint in a caller's transaction
        pool = eligible_agents(department_id=department_id, level=level, exclude_ids=exclude_ids)
        if chosen == Strategy.ROUND_ROBIN:
            pool = _with_skills(pool, tags) if skills else pool
            agent = _round_robin(pool, department_id=department_id, level=level)
        else:
            assert config is not None  # skills are set on the strategy row
            _take_turn(config)
            agent = _load_balanced(_with_skills(pool, tags))
        if agent is not None and assigned_at is not None:
            _stamp(agent, assigned_at)
    return agent


def _take_turn(row: AssignmentStrategy) -> None:
    """Lock the strategy ``row`` until the transaction ends. A pick with skills reads the
    agents' load, then stamps the one it chose: concurrent picks take turns here, as round
    robin's do on its pointer, and each sees the stamps before it."""
    AssignmentStrategy.objects.select_for_update().filter(pk=row.pk).values_list("pk").get()


def _stamp(agent: User, assigned_at: datetime) -> None:
    agent.last_assigned_at = assigned_at
    # The only receiver of a user's save is the support roster's cache, which ignores this
    # column (selectors.ROSTER_IGNORED_FIELDS).
    rows.update(agent, ["last_assigned_at"], receivers_applied=True)
