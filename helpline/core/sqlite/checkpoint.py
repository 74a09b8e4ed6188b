"""WAL checkpoints of an SQLite database, taken by the worker instead of by a web request.

In WAL mode a commit appends the pages it changed to the ``-wal`` file, and a checkpoint
copies them back into the database. By default SQLite runs one inside the commit that leaves
the WAL at 1,000 pages or more: that commit copies them, syncs both files, and since it
still holds the write lock (``base.py``), every other writer waits for it. A new ticket
changes about 60 pages (its row in each of the ticket table's indexes, the search index, its
audit row and its task), so at 1M tickets one create in 17 paid 7 to 18 ms for a checkpoint
and the creates queued behind it waited as long (in process: 24 of 401 commits over 5 ms).

Here ``helpline worker`` checkpoints every half second (:func:`checkpoint`):

1. PASSIVE: copies what the WAL holds while writers go on appending (nobody waits for it).
2. Once the WAL has :data:`RESTART_PAGES` or more, RESTART under the write lock: it copies
   the few pages written since step 1 and makes the next writer start the WAL from its
   beginning, so the file stays small. It waits at most :data:`BUSY_MS` for readers to let
   go of the old pages, since the writers wait for it meanwhile; if one does not (a long
   export), it tries again next time, and the WAL grows until then.

Each connection's own ``wal_autocheckpoint`` (settings) is :data:`AUTOCHECKPOINT_PAGES`, well
above the worker's threshold: a backstop, so that without a worker the WAL still stays
bounded, as before but with fewer, longer pauses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RESTART_PAGES = 4_000  # ~16 MB of 4 KiB pages
AUTOCHECKPOINT_PAGES = 20_000  # ~80 MB
BUSY_MS = 10  # a page's reads take a few ms; a long report is not waited for


@dataclass(frozen=True)
class Checkpoint:
    """What one :func:`checkpoint` did: the WAL's pages, how many of them are copied into
    the database, and whether the next writer starts the WAL afresh."""

    wal_pages: int
    copied: int
    restarted: bool


def has_wal(connection: Any) -> bool:
    """Whether ``connection``'s database may have a WAL to checkpoint: an SQLite file."""
    return connection.vendor == "sqlite" and not connection.is_in_memory_db()


def checkpoint(connection: Any, *, restart_pages: int = RESTART_PAGES) -> Checkpoint | None:
    """Checkpoint ``connection``'s database (a Django connection of the Helpline SQLite
    backend); None for any other database, or one not in WAL mode.

    Call it outside a transaction, from a connection of its own (the worker's thread)."""
    if not has_wal(connection):
        return None
    with connection.cursor() as cursor:
        _, pages, copied = _run(cursor, "PASSIVE")
        if pages < 0:  # not in WAL mode
            return None
        if pages < restart_pages:
            return Checkpoint(pages, copied, restarted=False)
        cursor.execute("PRAGMA busy_timeout")
        (busy_timeout,) = cursor.fetchall()[0]
        lock = getattr(connection, "write_lock", None)  # the Helpline backend's
        if lock is not None:
            lock.acquire()  # the web's writers queue on it, not on SQLite's busy handler
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            busy, pages, copied = _run(cursor, "RESTART")
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")
            if lock is not None:
                lock.release()
        return Checkpoint(pages, copied, restarted=not busy)


def _run(cursor: Any, mode: str) -> tuple[int, int, int]:
    """(busy, pages in the WAL, pages copied); -1 pages when not in WAL mode."""
    cursor.execute(f"PRAGMA wal_checkpoint({mode})")
    # fetchall: a statement left unfinished would keep a read of the WAL open, and the WAL
    # could then never start afresh.
    busy, pages, copied = cursor.fetchall()[0]
    return int(busy), int(pages), int(copied)
