"""SQLite FTS5: external-content tables over the ticket and thread entry tables.

``search_ticket_fts`` indexes every row of ``tickets_ticket``; ``search_entry_fts`` the rows of
``tickets_threadentry`` except system events. The index stores only its inverted lists, never a
second copy of the text, and ``snippet()`` reads the live rows. No view over the ticket tables
is used: SQLite refuses to rename a table a view refers to, which Django's table rebuilds in
later ticket migrations do. Those rebuilds drop the triggers instead, so the app puts them back
after every migrate (see ``apps.py``). Renaming an indexed column needs a search migration.

External-content tables must be told the exact old values to delete, so the triggers pass
``OLD.*``. A rebuild runs in batches that commit one by one; while it runs, the one row of
``search_rebuild`` holds the highest ticket id indexed so far (the watermark), and the triggers
leave tickets above it, and their entries, to the rebuild. That keeps the invariant every step
relies on: a ticket is in the index, with its current text, exactly when no rebuild is running
or its id is at or below the watermark.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from helpline.search.backends import SNIPPET_WORDS, START_MARK, STOP_MARK, Snippet, placeholders
from helpline.search.query import ParsedQuery, to_fts5_exclusion_match, to_fts5_match

if TYPE_CHECKING:
    from helpline.tickets.access import TicketScope

TICKET_COLUMNS = (
    "number",
    "subject",
    "description",
    "resolution_problem",
    "resolution_action",
    "resolution_confirmation",
    "resolution_next_steps",
)
# bm25 weights in TICKET_COLUMNS order: number and subject over description and resolution.
TICKET_WEIGHTS = (10.0, 10.0, 4.0, 4.0, 4.0, 4.0, 4.0)
# A thread match counts for a fifth of a ticket match, as weight C against A in PostgreSQL.
THREAD_WEIGHT = 0.2
MAX_ID = 2**63 - 1

_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'"
_COLS = ", ".join(TICKET_COLUMNS)
_OLD = ", ".join(f"OLD.{c}" for c in TICKET_COLUMNS)
_NEW = ", ".join(f"NEW.{c}" for c in TICKET_COLUMNS)
_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in TICKET_COLUMNS)


def _indexed(ticket_id: str) -> str:
    """SQL true when the ticket ``ticket_id`` belongs in the index (see the module doc)."""
    return f"NOT EXISTS (SELECT 1 FROM search_rebuild WHERE watermark < {ticket_id})"


TABLES = [
    """CREATE TABLE IF NOT EXISTS search_rebuild (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        watermark INTEGER NOT NULL
    )""",
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS search_ticket_fts USING fts5(
        {_COLS}, content = 'tickets_ticket', content_rowid = 'id', {_TOKENIZE})""",
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS search_entry_fts USING fts5(
        body, content = 'tickets_threadentry', content_rowid = 'id', {_TOKENIZE})""",
]

TRIGGERS = {
    "search_ticket_insert": f"""
        CREATE TRIGGER search_ticket_insert AFTER INSERT ON tickets_ticket
        WHEN {_indexed("NEW.id")}
        BEGIN
            INSERT INTO search_ticket_fts (rowid, {_COLS}) VALUES (NEW.id, {_NEW});
        END""",
    "search_ticket_update": f"""
        CREATE TRIGGER search_ticket_update AFTER UPDATE OF {_COLS} ON tickets_ticket
        WHEN ({_CHANGED}) AND {_indexed("NEW.id")}
        BEGIN
            INSERT INTO search_ticket_fts (search_ticket_fts, rowid, {_COLS})
                VALUES ('delete', OLD.id, {_OLD});
            INSERT INTO search_ticket_fts (rowid, {_COLS}) VALUES (NEW.id, {_NEW});
        END""",
    "search_ticket_delete": f"""
        CREATE TRIGGER search_ticket_delete AFTER DELETE ON tickets_ticket
        WHEN {_indexed("OLD.id")}
        BEGIN
            INSERT INTO search_ticket_fts (search_ticket_fts, rowid, {_COLS})
                VALUES ('delete', OLD.id, {_OLD});
        END""",
    "search_entry_insert": f"""
        CREATE TRIGGER search_entry_insert AFTER INSERT ON tickets_threadentry
        WHEN NEW.kind <> 'event' AND {_indexed("NEW.ticket_id")}
        BEGIN
            INSERT INTO search_entry_fts (rowid, body) VALUES (NEW.id, NEW.body);
        END""",
    "search_entry_update": f"""
        CREATE TRIGGER search_entry_update AFTER UPDATE OF body, kind, ticket_id
        ON tickets_threadentry
        WHEN OLD.body IS NOT NEW.body OR OLD.kind IS NOT NEW.kind
            OR OLD.ticket_id IS NOT NEW.ticket_id
        BEGIN
            INSERT INTO search_entry_fts (search_entry_fts, rowid, body)
                SELECT 'delete', OLD.id, OLD.body
                WHERE OLD.kind <> 'event' AND {_indexed("OLD.ticket_id")};
            INSERT INTO search_entry_fts (rowid, body)
                SELECT NEW.id, NEW.body
                WHERE NEW.kind <> 'event' AND {_indexed("NEW.ticket_id")};
        END""",
    "search_entry_delete": f"""
        CREATE TRIGGER search_entry_delete AFTER DELETE ON tickets_threadentry
        WHEN OLD.kind <> 'event' AND {_indexed("OLD.ticket_id")}
        BEGIN
            INSERT INTO search_entry_fts (search_entry_fts, rowid, body)
                VALUES ('delete', OLD.id, OLD.body);
        END""",
}

# Where a ticket's snippet comes from: the first of these with a match. The subject is shown
# next to the snippet anyway, so the description and resolution say more.
_SNIPPET_COLUMNS = (
    "description",
    "resolution_problem",
    "resolution_action",
    "resolution_confirmation",
    "resolution_next_steps",
    "subject",
    "number",
)
_TICKET_SCORE = f"-bm25(search_ticket_fts, {', '.join(map(str, TICKET_WEIGHTS))})"


class SqliteBackend:
    vendor = "sqlite"
    uses_scope = False

    # Schema ---------------------------------------------------------------------------------

    def install(self, cursor: Any) -> bool:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE name IN (%s, %s)",
            ["search_ticket_fts", "search_entry_fts"],
        )
        fresh = cursor.fetchone()[0] < 2
        if fresh:
            # Whatever is left of an old index no longer matches its tables.
            self.uninstall(cursor)
        for statement in TABLES:
            cursor.execute(statement)
        # Recreated every time: a migration that rebuilds a ticket table drops its triggers.
        for name, statement in TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(statement)
        if fresh:
            # Nothing is indexed yet: leave every existing ticket to the rebuild.
            cursor.execute("INSERT OR REPLACE INTO search_rebuild (id, watermark) VALUES (1, 0)")
        return fresh

    def uninstall(self, cursor: Any) -> None:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute("DROP TABLE IF EXISTS search_ticket_fts")
        cursor.execute("DROP TABLE IF EXISTS search_entry_fts")
        cursor.execute("DROP TABLE IF EXISTS search_rebuild")

    def missing_triggers(self, cursor: Any) -> list[str]:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        return [name for name in TRIGGERS if name not in present]

    # Queries --------------------------------------------------------------------------------

    def match_expression(self, text: ParsedQuery) -> str | None:
        return to_fts5_match(text.positive())

    def exclusion_expression(self, text: ParsedQuery) -> str | None:
        return to_fts5_exclusion_match(dataclasses.replace(text, filters=()))

    def exclusion_condition(
        self, exclusion: str, kinds: Sequence[str], ticket_id_sql: str
    ) -> tuple[str, list[Any]]:
        # FTS5 reads a whole doclist far faster than it answers one probe per rowid, so the
        # matching ticket and entry ids are each collected once per statement; a candidate
        # ticket is then checked against them through the (ticket, kind, id) entry index.
        # The unary + keeps SQLite from seeking that index once per excluded entry instead.
        sql = f"""
            {ticket_id_sql} NOT IN (
                SELECT rowid FROM search_ticket_fts WHERE search_ticket_fts MATCH %s
            ) AND NOT EXISTS (
                SELECT 1 FROM tickets_threadentry xe
                WHERE xe.ticket_id = {ticket_id_sql} AND xe.kind IN ({placeholders(kinds)})
                    AND +xe.id IN (
                        SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH %s
                    )
            )"""
        return sql, [exclusion, *kinds, exclusion]

    def ranked_ticket_ids(
        self,
        cursor: Any,
        *,
        match: str,
        kinds: Sequence[str],
        tickets_sql: str | None,
        tickets_params: Sequence[Any],
        exclusion: str | None,
        window: int,
        limit: int,
        offset: int,
        scope: TicketScope | None = None,
    ) -> list[tuple[int, float]]:
        # No scope (uses_scope is False): an FTS5 index cannot test a ticket's department.
        if tickets_sql is None:
            raise ValueError("this backend reads no scope: tickets_sql is needed")
        # Each index yields its newest `window` matches that pass the visibility and filters
        # (walking the index in rowid order, each candidate checked by primary key), and only
        # those are scored: the cost stays bounded however common the words are. Excluded
        # words are checked last, on those candidates only.
        excluded, excluded_params = (
            self.exclusion_condition(exclusion, kinds, "h.ticket_id") if exclusion else ("1", [])
        )
        sql = f"""
            SELECT h.ticket_id, h.score FROM (
            SELECT ticket_id, MAX(doc) + MAX(thread) AS score FROM (
                SELECT * FROM (
                    SELECT search_ticket_fts.rowid AS ticket_id, {_TICKET_SCORE} AS doc,
                        0.0 AS thread
                    FROM search_ticket_fts
                    JOIN ({tickets_sql}) v ON v.id = search_ticket_fts.rowid
                    WHERE search_ticket_fts MATCH %s
                    ORDER BY search_ticket_fts.rowid DESC LIMIT %s
                )
                UNION ALL
                SELECT * FROM (
                    SELECT e.ticket_id, 0.0, -{THREAD_WEIGHT} * bm25(search_entry_fts)
                    FROM search_entry_fts
                    JOIN tickets_threadentry e ON e.id = search_entry_fts.rowid
                    JOIN ({tickets_sql}) v ON v.id = e.ticket_id
                    WHERE search_entry_fts MATCH %s AND e.kind IN ({placeholders(kinds)})
                    ORDER BY search_entry_fts.rowid DESC LIMIT %s
                )
            ) GROUP BY ticket_id
            ) h
            WHERE {excluded}
            ORDER BY h.score DESC, h.ticket_id DESC
            LIMIT %s OFFSET %s"""
        ticket_arm = [*tickets_params, match, window]
        entry_arm = [*tickets_params, match, *kinds, window]
        cursor.execute(sql, [*ticket_arm, *entry_arm, *excluded_params, limit, offset])
        return [(row[0], row[1]) for row in cursor.fetchall()]

    def snippets(
        self, cursor: Any, *, match: str, kinds: Sequence[str], ticket_ids: Sequence[int]
    ) -> dict[int, Snippet]:
        if not ticket_ids:
            return {}

        # CROSS JOIN keeps the ticket table outside: the index is probed per ticket of the
        # page, not scanned for every match in the whole table. The CASE tries the columns in
        # order and stops at the first with a match (SQLite evaluates it lazily): each
        # snippet() tokenizes its column again, and writing all seven cost 8 ms a page.
        def snippet(name: str) -> str:
            column = TICKET_COLUMNS.index(name)
            return f"snippet(search_ticket_fts, {column}, %s, %s, '…', {SNIPPET_WORDS})"

        *tried, last = _SNIPPET_COLUMNS
        cases = " ".join(f"WHEN instr({snippet(n)}, %s) THEN {snippet(n)}" for n in tried)
        cursor.execute(
            f"""
            SELECT t.id, CASE {cases} ELSE {snippet(last)} END
            FROM tickets_ticket t CROSS JOIN search_ticket_fts
                ON search_ticket_fts.rowid = t.id
            WHERE t.id IN ({placeholders(ticket_ids)}) AND search_ticket_fts MATCH %s""",
            [
                *[START_MARK, STOP_MARK, START_MARK, START_MARK, STOP_MARK] * len(tried),
                START_MARK,
                STOP_MARK,
                *ticket_ids,
                match,
            ],
        )
        found: dict[int, Snippet] = {}
        for ticket_id, text in cursor.fetchall():
            found[ticket_id] = Snippet(text or "", None)
        rest = [ticket_id for ticket_id in ticket_ids if ticket_id not in found]
        if not rest:
            return found
        cursor.execute(
            f"""
            SELECT e.ticket_id, e.id, bm25(search_entry_fts),
                snippet(search_entry_fts, 0, %s, %s, '…', {SNIPPET_WORDS})
            FROM tickets_threadentry e CROSS JOIN search_entry_fts
                ON search_entry_fts.rowid = e.id
            WHERE e.ticket_id IN ({placeholders(rest)}) AND e.kind IN ({placeholders(kinds)})
                AND search_entry_fts MATCH %s
            ORDER BY e.ticket_id, bm25(search_entry_fts), e.id DESC""",
            [START_MARK, STOP_MARK, *rest, *kinds, match],
        )
        for ticket_id, entry_id, _, text in cursor.fetchall():
            found.setdefault(ticket_id, Snippet(text, entry_id))
        return found

    # Rebuild --------------------------------------------------------------------------------

    def start_rebuild(self, cursor: Any, *, from_id: int | None, fresh: bool) -> int:
        if from_id is None or fresh:
            cursor.execute(
                "INSERT INTO search_ticket_fts (search_ticket_fts) VALUES ('delete-all')"
            )
            cursor.execute("INSERT INTO search_entry_fts (search_entry_fts) VALUES ('delete-all')")
            self._set_watermark(cursor, 0)
            return 0
        after = max(from_id - 1, 0)
        cursor.execute("SELECT watermark FROM search_rebuild")
        row = cursor.fetchone()
        watermark = MAX_ID if row is None else row[0]
        if after > watermark:
            after = watermark  # tickets above the watermark were never indexed: no skipping
        elif after < watermark:
            self._unindex(cursor, after, watermark)
        self._set_watermark(cursor, after)
        return after

    def index_range(self, cursor: Any, after: int, upto: int) -> tuple[int, int]:
        cursor.execute(
            f"INSERT INTO search_ticket_fts (rowid, {_COLS}) "
            f"SELECT id, {_COLS} FROM tickets_ticket WHERE id > %s AND id <= %s",
            [after, upto],
        )
        tickets = cursor.rowcount
        cursor.execute(
            "INSERT INTO search_entry_fts (rowid, body) SELECT id, body FROM tickets_threadentry "
            "WHERE ticket_id > %s AND ticket_id <= %s AND kind <> 'event'",
            [after, upto],
        )
        entries = cursor.rowcount
        self._set_watermark(cursor, upto)
        return tickets, entries

    def finish_rebuild(self, cursor: Any, after: int) -> None:
        cursor.execute("DELETE FROM search_rebuild")

    def _unindex(self, cursor: Any, after: int, upto: int) -> None:
        """Take tickets ``after < id <= upto`` out of the index; they must be in it."""
        cursor.execute(
            f"INSERT INTO search_ticket_fts (search_ticket_fts, rowid, {_COLS}) "
            f"SELECT 'delete', id, {_COLS} FROM tickets_ticket WHERE id > %s AND id <= %s",
            [after, upto],
        )
        cursor.execute(
            "INSERT INTO search_entry_fts (search_entry_fts, rowid, body) "
            "SELECT 'delete', id, body FROM tickets_threadentry "
            "WHERE ticket_id > %s AND ticket_id <= %s AND kind <> 'event'",
            [after, upto],
        )

    def _set_watermark(self, cursor: Any, watermark: int) -> None:
        cursor.execute(
            "INSERT OR REPLACE INTO search_rebuild (id, watermark) VALUES (1, %s)", [watermark]
        )
