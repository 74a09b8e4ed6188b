"""Creating and rebuilding the search index. Raw SQL only, so migrations can call it too."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from helpline.search.backends import backend_for

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 2000


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    last_id: int  # every ticket up to this id is indexed
    max_id: int  # the highest ticket id when the rebuild started (or reached since)
    tickets: int  # tickets indexed so far by this run
    entries: int  # thread entries indexed so far by this run

    @property
    def fraction(self) -> float:
        return 1.0 if self.max_id <= 0 else min(self.last_id / self.max_id, 1.0)


def install(connection: BaseDatabaseWrapper) -> bool:
    """Create whatever index objects are missing; True if the index tables were created (and
    so are empty until a rebuild)."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        return backend_for(connection).install(cursor)


def stemming(connection: BaseDatabaseWrapper) -> tuple[str, str] | None:
    """(the language the index stems by now, the one a rebuild from the start would apply),
    or None for an index that does not stem. They differ between a change of the setting and
    the rebuild (``rebuild``)."""
    backend = backend_for(connection)
    with connection.cursor() as cursor:
        indexed, wanted = backend.index_language(cursor), backend.wanted_language(cursor)
    return None if indexed is None or wanted is None else (indexed, wanted)


def ensure_triggers(connection: BaseDatabaseWrapper) -> None:
    """Put back the sync triggers if a migration dropped them (SQLite table rebuilds do)."""
    backend = backend_for(connection)
    with connection.cursor() as cursor:
        missing = backend.missing_triggers(cursor)
    if missing:
        logger.warning("search: recreating missing triggers %s", ", ".join(missing))
        install(connection)


def rebuild(
    connection: BaseDatabaseWrapper,
    *,
    from_id: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[RebuildProgress], None] | None = None,
) -> RebuildProgress:
    """Index every ticket (with ``from_id``: every ticket from that id on) and its entries.

    Each batch of ``batch_size`` tickets commits on its own, so writers are held up for one
    batch at most and an interrupted run resumes with ``from_id`` = the last id reported + 1.
    A rebuild from the start empties the index first on SQLite; on PostgreSQL documents are
    replaced in place and searches keep working throughout.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    backend = backend_for(connection)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        fresh = backend.install(cursor)
        after = backend.start_rebuild(cursor, from_id=from_id, fresh=fresh)
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_ticket")
        max_id = cursor.fetchone()[0]
    state = RebuildProgress(last_id=after, max_id=max_id, tickets=0, entries=0)
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                "SELECT MAX(id) FROM (SELECT id FROM tickets_ticket WHERE id > %s "
                "ORDER BY id LIMIT %s) batch",
                [after, batch_size],
            )
            upto = cursor.fetchone()[0]
            if upto is None:
                # In the same transaction as the check, so no ticket can slip in between.
                backend.finish_rebuild(cursor, after)
                return state
            tickets, entries = backend.index_range(cursor, after, upto)
        after = upto
        state = dataclasses.replace(
            state,
            last_id=upto,
            max_id=max(state.max_id, upto),
            tickets=state.tickets + max(tickets, 0),
            entries=state.entries + max(entries, 0),
        )
        if progress is not None:
            progress(state)
