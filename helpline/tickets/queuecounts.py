"""How many active tickets each (department, assignee) holds, kept by the database itself.

The queue badges (mine, unassigned, my departments) and the least-loaded assignment read these
sums instead of counting tickets. A count of a busy queue read at most 1,001 index entries per
badge and was shown as "1000+"; the sums are exact and read a few rows whatever the queue's
size.

``tickets_queuecount`` holds signed deltas, not one row per key: triggers on
``tickets_ticket`` INSERT a row ``(department, assignee or 0, +1 or -1)`` whenever a ticket
becomes active, stops being active, or moves between departments or assignees while active.
An INSERT takes no lock that another writer waits for, so two transactions moving tickets in
opposite directions can never deadlock on a shared counter row, as an UPDATE of one row per key
would on PostgreSQL. A reader sums the rows of its keys.

:func:`fold` (the worker runs it every second, ``helpline worker --fold-interval``) replaces
the rows of each key by their sum, so that a key has one row plus the changes of the last second
or so. Each fold leaves the rows it replaced dead in the table; on PostgreSQL the worker's
:class:`Folding` vacuums the table once its folds have left ``VACUUM_AFTER`` of them, since
every assignment's index-only read of an agent's rows visits the table for each row that is
new or dead since the last vacuum (autovacuum looks at a table once a minute at best, and not
at all where it is turned off).

"Active" is the queues' set of statuses (``selectors.QUEUE_STATUS_SQL``). A table rebuild by a
later SQLite migration drops the triggers; ``ensure`` puts them back after every ``migrate``
and recounts, since changes made without them were not counted.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from helpline.tickets.sqlindexes import QUEUE_PREDICATE

logger = logging.getLogger(__name__)

TABLE = "tickets_queuecount"
VACUUM_AFTER = 1000  # rows folded away between two vacuums of the table (PostgreSQL)
_FOLD_LOCK = 0x51C0  # the advisory lock key of fold() on PostgreSQL


def _active(row: str) -> str:
    """The queue predicate for ``row`` (``NEW`` or ``OLD``) in a trigger body."""
    return QUEUE_PREDICATE.replace('"status"', f"{row}.status")


def _delta(row: str, sign: int, *, when_active: bool = False) -> str:
    """The INSERT of ``row``'s key with ``sign``; ``when_active``: only if ``row`` is active."""
    values = f"{row}.department_id, COALESCE({row}.assignee_id, 0), {sign}"
    insert = f"INSERT INTO {TABLE} (department_id, assignee_id, active) "
    if when_active:
        return f"{insert}SELECT {values} WHERE {_active(row)}"
    return f"{insert}VALUES ({values})"


# A ticket's key or its being active changed: the old key loses one, the new key gains one.
_MOVED = (
    f"({_active('OLD')}) <> ({_active('NEW')}) OR (({_active('NEW')}) AND "
    "(OLD.department_id <> NEW.department_id "
    "OR COALESCE(OLD.assignee_id, 0) <> COALESCE(NEW.assignee_id, 0)))"
)

# Every ticket deleted: no counts either. Emptying the tables one by one (Django's flush, which
# the tests run) may empty this table before the tickets' deletes add their -1 rows.
_EMPTIED = f"DELETE FROM {TABLE} WHERE NOT EXISTS (SELECT 1 FROM tickets_ticket)"

SQLITE_TRIGGERS = {
    "queue_count_insert": f"""
        CREATE TRIGGER queue_count_insert AFTER INSERT ON tickets_ticket
        WHEN {_active("NEW")}
        BEGIN {_delta("NEW", 1)}; END""",
    "queue_count_update": f"""
        CREATE TRIGGER queue_count_update
        AFTER UPDATE OF status, department_id, assignee_id ON tickets_ticket
        WHEN {_MOVED}
        BEGIN
            {_delta("OLD", -1, when_active=True)};
            {_delta("NEW", 1, when_active=True)};
        END""",
    "queue_count_delete": f"""
        CREATE TRIGGER queue_count_delete AFTER DELETE ON tickets_ticket
        BEGIN
            {_delta("OLD", -1, when_active=True)};
            {_EMPTIED};
        END""",
}

POSTGRES_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION queue_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NOT ({_MOVED}) THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') AND {_active("OLD")} THEN
            {_delta("OLD", -1)};
        END IF;
        IF TG_OP = 'DELETE' THEN
            {_EMPTIED};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND {_active("NEW")} THEN
            {_delta("NEW", 1)};
        END IF;
        RETURN NULL;
    END $$"""

POSTGRES_TRIGGERS = {
    "queue_count": """
        CREATE TRIGGER queue_count
        AFTER INSERT OR DELETE OR UPDATE OF status, department_id, assignee_id
        ON tickets_ticket FOR EACH ROW EXECUTE FUNCTION queue_count()""",
}


def _triggers(connection: BaseDatabaseWrapper) -> dict[str, str]:
    return POSTGRES_TRIGGERS if connection.vendor == "postgresql" else SQLITE_TRIGGERS


def missing(connection: BaseDatabaseWrapper) -> list[str]:
    """The counting triggers that are not on ``tickets_ticket``."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'tickets_ticket'::regclass"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'tickets_ticket'"
            )
        present = {name for (name,) in cursor.fetchall()}
    return [name for name in _triggers(connection) if name not in present]


def install(connection: BaseDatabaseWrapper) -> list[str]:
    """Create the triggers (those missing) and count every ticket afresh, in one transaction
    on the caller's side: call inside ``atomic``. Returns the names of the triggers created."""
    names = missing(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION)
        for name in names:
            cursor.execute(_triggers(connection)[name])
    recount(connection)
    return names


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for name in _triggers(connection):
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON tickets_ticket")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS queue_count()")


def ensure(connection: BaseDatabaseWrapper) -> list[str]:
    """Put back missing triggers (a SQLite table rebuild drops them) and recount, since what
    changed without them was not counted; returns the names put back."""
    names = missing(connection)
    if names:
        from django.db import transaction

        logger.warning("tickets: recreating the queue count triggers %s", ", ".join(names))
        with transaction.atomic(using=connection.alias):
            install(connection)
    return names


def recount(connection: BaseDatabaseWrapper) -> None:
    """Replace every count by one read of the active tickets (after a load without the
    triggers, or to check them). Call inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(
            f"INSERT INTO {TABLE} (department_id, assignee_id, active) "
            "SELECT department_id, COALESCE(assignee_id, 0), COUNT(*) FROM tickets_ticket "
            f"WHERE {QUEUE_PREDICATE} GROUP BY department_id, COALESCE(assignee_id, 0)"
        )


def count_range(cursor: Any, after: int, upto: int) -> None:
    """Count the active tickets with ``after < id <= upto`` as the triggers would have, for
    rows loaded with the triggers off (``bench-seed`` on PostgreSQL as a superuser)."""
    cursor.execute(
        f"INSERT INTO {TABLE} (department_id, assignee_id, active) "
        "SELECT department_id, COALESCE(assignee_id, 0), COUNT(*) FROM tickets_ticket "
        f"WHERE id > %s AND id <= %s AND {QUEUE_PREDICATE} "
        "GROUP BY department_id, COALESCE(assignee_id, 0)",
        [after, upto],
    )


def fold(connection: BaseDatabaseWrapper) -> int:
    """Replace the rows of each key by one row of their sum (keys summing to 0 keep none);
    returns how many rows were folded away. Safe beside writers and other folds: on
    PostgreSQL one statement deletes exactly the rows it sums (rows committed meanwhile are
    not in its snapshot and stay); on SQLite the write lock keeps everyone else out."""
    from django.db import transaction

    summed = (
        "SELECT department_id, assignee_id, SUM(active) FROM {rows} "
        "GROUP BY department_id, assignee_id HAVING SUM(active) <> 0"
    )
    with connection.cursor() as cursor:
        # Nothing to do unless some key has several rows, or one that sums to nothing. Read
        # before the transaction: on SQLite a transaction takes the write lock, and the worker
        # asks every second.
        cursor.execute(
            f"SELECT 1 FROM {TABLE} GROUP BY department_id, assignee_id "
            "HAVING COUNT(*) > 1 OR SUM(active) = 0 LIMIT 1"
        )
        if cursor.fetchone() is None:
            return 0
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One fold at a time (two would delete the same rows in different orders).
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_FOLD_LOCK])
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute(
                f"WITH gone AS (DELETE FROM {TABLE} RETURNING department_id, assignee_id, active),"
                f" kept AS (INSERT INTO {TABLE} (department_id, assignee_id, active) "
                f"{summed.format(rows='gone')} RETURNING 1) "
                "SELECT (SELECT COUNT(*) FROM gone) - (SELECT COUNT(*) FROM kept)"
            )
            (folded,) = cursor.fetchone()
            return int(folded)
        cursor.execute(f"SELECT COUNT(*), MAX(id) FROM {TABLE}")
        before, last = cursor.fetchone()
        if not before:
            return 0
        cursor.execute(
            f"INSERT INTO {TABLE} (department_id, assignee_id, active) "
            + summed.format(rows=f"{TABLE} WHERE id <= %s"),
            [last],
        )
        kept = cursor.rowcount
        cursor.execute(f"DELETE FROM {TABLE} WHERE id <= %s", [last])
        return int(before - kept)


class Folding:
    """The worker's folds on one connection: :func:`fold`, and on PostgreSQL a ``VACUUM`` of
    the table once the folds since the last one have removed ``vacuum_after`` rows or more.

    A vacuum of this table reads a few dozen pages and takes no lock that a writer waits for.
    It needs a connection outside any transaction (the worker's own); a role that does not
    own the table gets PostgreSQL's warning and the vacuum is skipped, which costs nothing
    but the dead rows.
    """

    def __init__(self, connection: BaseDatabaseWrapper, vacuum_after: int = VACUUM_AFTER):
        self.connection = connection
        self.vacuum_after = vacuum_after
        self.folded = 0  # rows folded away since the last vacuum

    def step(self) -> int:
        """Fold, vacuum if due; returns how many rows were folded away."""
        folded = fold(self.connection)
        self.folded += folded
        if self.connection.vendor == "postgresql" and self.folded >= self.vacuum_after:
            with self.connection.cursor() as cursor:
                # SKIP_LOCKED: another worker (or autovacuum) at it already is as good.
                cursor.execute(f"VACUUM (SKIP_LOCKED) {TABLE}")
            self.folded = 0
        return folded


def sums_sql(where: str) -> str:
    """``SELECT COALESCE(SUM(active), 0)`` over the rows ``where`` selects (SQL over the
    table's columns, with ``%s`` placeholders)."""
    return f"SELECT COALESCE(SUM(active), 0) FROM {TABLE} WHERE {where}"
