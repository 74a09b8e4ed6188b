"""The indexes on ``tickets_ticket`` that migrations write as SQL (0005, 0008), kept in one
place so that they can be put back.

They are partial indexes whose predicate must read word for word as the queue filter's
(``selectors.QUEUE_STATUS_SQL``), so they are SQL rather than ``Meta.indexes``. Django knows
nothing of them: when a later migration makes SQLite rebuild the table (as it does for many
schema changes), the rebuild recreates only the indexes the model declares and these are
gone with the old table. After every ``migrate`` the app puts back whichever is missing
(``apps.py``), as the search app does with its triggers. A test holds these statements equal
to the migrations'.
"""

from __future__ import annotations

import logging

from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

QUEUE_PREDICATE = "\"status\" IN ('new', 'open', 'pending', 'on_hold')"

# name: (columns, predicate)
PARTIAL_INDEXES = {
    "ticket_queue_department": ('"department_id", "id" DESC', QUEUE_PREDICATE),
    "ticket_queue_assignee": ('"assignee_id", "id" DESC', QUEUE_PREDICATE),
    "ticket_queue_unassigned": (
        '"department_id", "id" DESC',
        f'{QUEUE_PREDICATE} AND "assignee_id" IS NULL',
    ),
}


def create_sql(name: str) -> str:
    columns, predicate = PARTIAL_INDEXES[name]
    return f'CREATE INDEX "{name}" ON "tickets_ticket" ({columns}) WHERE {predicate}'


def missing(connection: BaseDatabaseWrapper) -> list[str]:
    """The partial indexes that are not on the table."""
    with connection.cursor() as cursor:
        present = connection.introspection.get_constraints(cursor, "tickets_ticket")
    return [name for name in PARTIAL_INDEXES if name not in present]


def ensure(connection: BaseDatabaseWrapper) -> list[str]:
    """Create the partial indexes that are missing; returns their names."""
    names = missing(connection)
    if names:
        logger.warning("tickets: recreating missing indexes %s", ", ".join(names))
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(create_sql(name))
    return names
