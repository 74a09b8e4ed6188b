"""Writes to the search index. Ticket writes never call in here: database triggers keep the
index current inside the writing transaction. This is for rebuilding it."""

from __future__ import annotations

from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections

from helpline.search import index
from helpline.search.index import RebuildProgress


def search_reindex(
    *,
    from_id: int | None = None,
    batch_size: int = index.DEFAULT_BATCH_SIZE,
    progress: Callable[[RebuildProgress], None] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> RebuildProgress:
    """Rebuild the index from the ticket tables in committed batches, creating any index
    object that is missing (a dropped table, index or trigger).

    Without ``from_id`` every ticket is indexed again; with it, tickets from that id on, so
    an interrupted run resumes where its last progress report left off.
    """
    return index.rebuild(
        connections[using], from_id=from_id, batch_size=batch_size, progress=progress
    )
