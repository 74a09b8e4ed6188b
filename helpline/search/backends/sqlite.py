"""SQLite FTS5: external-content tables over the ticket and thread entry tables.

``search_ticket_fts`` indexes every row of ``tickets_ticket``; ``search_entry_fts`` the rows of
``tickets_threadentry`` except system events. The index stores only its inverted lists, never a
second copy of the text, and ``snippet()`` reads the live rows. No view over the ticket tables
is used: SQLite refuses to rename a table a view refers to, which Django's table rebuilds in
later ticket migrations do. Those rebuilds drop the triggers instead, so the app puts them back
after every migrate (see ``apps.py``). Renaming an indexed column needs a search migration.

The tokenizer is the search language's (``helpline.search.language``): ``porter`` over
``unicode61`` for English, so "printers" finds "printer", else ``unicode61`` alone. It is part
of an FTS5 table, so a rebuild from the start under another language makes the tables anew.

External-content tables must be told the exact old values to delete, so the triggers pass
``OLD.*``. A rebuild runs in batches that commit one by one; while it runs, the one row of
``search_rebuild`` holds the highest ticket id indexed so far (the watermark), and the triggers
leave tickets above it, and their entries, to the rebuild. That keeps the invariant every step
relies on: a ticket is in the index, with its current text, exactly when no rebuild is running
or its id is at or below the watermark.

Ranking. ``bm25()`` weighs each phrase by how many rows hold it, and FTS5 counts them on every
statement, by walking the phrase's whole list of rows: at a million tickets a common word cost
about 20-60 ms per index, a phrase of common words more. So a query is ranked with ``bm25()``
only when each of its phrases is in fewer than COMMON_ROWS rows of each index, where that walk
is short; a probe in the same statement finds out, reading at most COMMON_ROWS rows per phrase.
A query with a more common phrase is ranked by where it matches instead: the number or subject
over the rest of the ticket over the thread, newest first within each. Either way only the
newest ``window`` matches of each index are ranked.

Visibility. A match's department is read from ``search_ticket_scope``, an index of (id,
department) that the backend keeps next to its triggers. A ticket row, with its description,
fills much of a page on disk, and reading one per match was most of a rare word's search at a
million tickets: its thread arm took 15.8 ms, and 2.9 ms through the index.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from helpline.search.backends import (
    SNIPPET_WORDS,
    START_MARK,
    STOP_MARK,
    Snippet,
    configured_language,
    placeholders,
)
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
# Where bm25() is not used (see the module doc): a match in these columns scores their weight,
# one elsewhere in the ticket the description's, one in the thread a fifth of that.
STRONG_COLUMNS = ("number", "subject")
STRONG_SCORE = TICKET_WEIGHTS[0]
BODY_SCORE = TICKET_WEIGHTS[2]
THREAD_SCORE = THREAD_WEIGHT * BODY_SCORE
# A phrase in this many rows of either index makes the query common: its matches are not
# ranked by bm25(), whose count of the rows would cost more than the rest of the search.
COMMON_ROWS = 5000
MAX_ID = 2**63 - 1

# FTS5 stems English only (its porter tokenizer, over unicode61); any other language is
# matched as written.
PLAIN_TOKENIZER = "unicode61 remove_diacritics 2"
ENGLISH_TOKENIZER = f"porter {PLAIN_TOKENIZER}"


def tokenizer(language_name: str) -> str:
    """The FTS5 tokenizer for the search language ``language_name``."""
    return ENGLISH_TOKENIZER if language_name == "english" else PLAIN_TOKENIZER


def wanted_tokenizer() -> str:
    """The tokenizer a rebuild from the start would use: the configured language's."""
    return tokenizer(configured_language())


def _tokenize(chosen: str) -> str:
    return f"tokenize = '{chosen}', prefix = '2 3'"


def table_tokenizer(cursor: Any, table: str) -> str | None:
    """The tokenizer FTS5 table ``table`` was created with (None if there is no table)."""
    cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [table])
    row = cursor.fetchone()
    if row is None:
        return None
    return ENGLISH_TOKENIZER if "tokenize = 'porter " in row[0] else PLAIN_TOKENIZER


_COLS = ", ".join(TICKET_COLUMNS)
_OLD = ", ".join(f"OLD.{c}" for c in TICKET_COLUMNS)
_NEW = ", ".join(f"NEW.{c}" for c in TICKET_COLUMNS)
_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in TICKET_COLUMNS)


def _indexed(ticket_id: str) -> str:
    """SQL true when the ticket ``ticket_id`` belongs in the index (see the module doc)."""
    return f"NOT EXISTS (SELECT 1 FROM search_rebuild WHERE watermark < {ticket_id})"


def _tables(chosen: str) -> list[str]:
    """The index's tables, the FTS5 ones with the tokenizer ``chosen``."""
    return [
        """CREATE TABLE IF NOT EXISTS search_rebuild (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            watermark INTEGER NOT NULL
        )""",
        f"""CREATE VIRTUAL TABLE IF NOT EXISTS search_ticket_fts USING fts5(
            {_COLS}, content = 'tickets_ticket', content_rowid = 'id', {_tokenize(chosen)})""",
        f"""CREATE VIRTUAL TABLE IF NOT EXISTS search_entry_fts USING fts5(
            body, content = 'tickets_threadentry', content_rowid = 'id', {_tokenize(chosen)})""",
    ]


# Indexes on the ticket tables that the search reads; a table rebuild drops them as it drops
# the triggers, and they are put back the same way.
INDEXES = {
    "search_ticket_scope": (
        "CREATE INDEX IF NOT EXISTS search_ticket_scope ON tickets_ticket (id, department_id)"
    ),
}

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
    uses_scope = True

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
        for statement in _tables(wanted_tokenizer()):  # an existing table keeps its own
            cursor.execute(statement)
        for statement in INDEXES.values():
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
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute("DROP TABLE IF EXISTS search_ticket_fts")
        cursor.execute("DROP TABLE IF EXISTS search_entry_fts")
        cursor.execute("DROP TABLE IF EXISTS search_rebuild")

    def index_language(self, cursor: Any) -> str | None:
        return _language_of(table_tokenizer(cursor, "search_ticket_fts") or PLAIN_TOKENIZER)

    def wanted_language(self, cursor: Any) -> str | None:
        return _language_of(wanted_tokenizer())

    def missing_triggers(self, cursor: Any) -> list[str]:
        """The triggers, and the indexes on the ticket tables, that are not there."""
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'index')")
        present = {row[0] for row in cursor.fetchall()}
        return [name for name in [*TRIGGERS, *INDEXES] if name not in present]

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
        if tickets_sql is None and scope is None:
            raise ValueError("ranked_ticket_ids needs tickets_sql or a scope")
        # Each index yields its newest `window` matches that pass the visibility and filters
        # (walking the index in rowid order, each candidate checked by key), and only those
        # are scored: the cost stays bounded however common the words are. Excluded words are
        # checked last, on those candidates only.
        ticket_joins, ticket_where, ticket_params = _visible(
            "search_ticket_fts.rowid", scope, tickets_sql, tickets_params
        )
        entry_joins, entry_where, entry_params = _visible(
            "e.ticket_id", scope, tickets_sql, tickets_params
        )
        excluded, excluded_params = (
            self.exclusion_condition(exclusion, kinds, "h.ticket_id") if exclusion else ("1", [])
        )
        # Where the query is common (module doc), bm25() is never called (SQLite evaluates a
        # CASE lazily), and a ticket match scores by whether the strong columns hold it; those
        # matches are read from the index once, from the oldest candidate up.
        common, common_params = _common_test(match)
        sql = f"""
            WITH c AS (SELECT {common} AS common), tw AS (
                SELECT search_ticket_fts.rowid AS ticket_id,
                    CASE WHEN (SELECT common FROM c) THEN 0.0 ELSE {_TICKET_SCORE} END AS score
                FROM search_ticket_fts {ticket_joins}
                WHERE search_ticket_fts MATCH %s AND {ticket_where}
                ORDER BY search_ticket_fts.rowid DESC LIMIT %s
            ), ew AS (
                SELECT e.ticket_id, CASE WHEN (SELECT common FROM c) THEN 0.0
                    ELSE -{THREAD_WEIGHT} * bm25(search_entry_fts) END AS score
                FROM search_entry_fts
                JOIN tickets_threadentry e ON e.id = search_entry_fts.rowid {entry_joins}
                WHERE search_entry_fts MATCH %s AND e.kind IN ({placeholders(kinds)})
                    AND {entry_where}
                ORDER BY search_entry_fts.rowid DESC LIMIT %s
            )
            SELECT h.ticket_id, h.score FROM (
                SELECT ticket_id, MAX(doc) + MAX(thread) AS score FROM (
                    SELECT tw.ticket_id, CASE WHEN NOT (SELECT common FROM c) THEN tw.score
                        WHEN tw.ticket_id IN (
                            SELECT rowid FROM search_ticket_fts
                            WHERE search_ticket_fts MATCH %s
                                AND rowid >= (SELECT min(ticket_id) FROM tw)
                        ) THEN {STRONG_SCORE} ELSE {BODY_SCORE} END AS doc,
                        0.0 AS thread
                    FROM tw
                    UNION ALL
                    SELECT ew.ticket_id, 0.0,
                        CASE WHEN (SELECT common FROM c) THEN {THREAD_SCORE} ELSE ew.score END
                    FROM ew
                ) GROUP BY ticket_id
            ) h
            WHERE {excluded}
            ORDER BY h.score DESC, h.ticket_id DESC
            LIMIT %s OFFSET %s"""
        ticket_arm = [*ticket_params[0], match, *ticket_params[1], window]
        entry_arm = [*entry_params[0], match, *kinds, *entry_params[1], window]
        strong = _in_columns(STRONG_COLUMNS, match)
        cursor.execute(
            sql,
            [
                *common_params,
                *ticket_arm,
                *entry_arm,
                strong,
                *excluded_params,
                limit,
                offset,
            ],
        )
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
        # Every matching entry of the rest is quoted (they are few: a page's tickets), and each
        # ticket keeps the quote with the most matches in it, the newest of equals. Ordering
        # by bm25() instead would count every matching entry of the whole index.
        cursor.execute(
            f"""
            SELECT e.ticket_id, e.id, snippet(search_entry_fts, 0, %s, %s, '…', {SNIPPET_WORDS})
            FROM tickets_threadentry e CROSS JOIN search_entry_fts
                ON search_entry_fts.rowid = e.id
            WHERE e.ticket_id IN ({placeholders(rest)}) AND e.kind IN ({placeholders(kinds)})
                AND search_entry_fts MATCH %s""",
            [START_MARK, STOP_MARK, *rest, *kinds, match],
        )
        best: dict[int, tuple[int, int, str]] = {}
        for ticket_id, entry_id, text in cursor.fetchall():
            candidate = (text.count(START_MARK), entry_id, text)
            if ticket_id not in best or candidate[:2] > best[ticket_id][:2]:
                best[ticket_id] = candidate
        for ticket_id, (_, entry_id, text) in best.items():
            found[ticket_id] = Snippet(text, entry_id)
        return found

    # Rebuild --------------------------------------------------------------------------------

    def start_rebuild(self, cursor: Any, *, from_id: int | None, fresh: bool) -> int:
        if from_id is None or fresh:
            chosen = wanted_tokenizer()
            if table_tokenizer(cursor, "search_ticket_fts") != chosen:
                # The tokenizer is part of an FTS5 table: a new language, new tables (empty
                # until the rebuild reaches their tickets), and the articles' index with them.
                cursor.execute("DROP TABLE IF EXISTS search_ticket_fts")
                cursor.execute("DROP TABLE IF EXISTS search_entry_fts")
                for statement in _tables(chosen):
                    cursor.execute(statement)
                from helpline.kb import fulltext

                fulltext.retokenize(cursor, chosen)
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


def _visible(
    ticket_id_sql: str,
    scope: TicketScope | None,
    tickets_sql: str | None,
    tickets_params: Sequence[Any],
) -> tuple[str, str, tuple[list[Any], list[Any]]]:
    """The joins and the WHERE condition that keep the matches whose ticket (its id is
    ``ticket_id_sql``) is in ``scope`` and among ``tickets_sql``, with the parameters of
    each: (joins, condition, (join parameters, condition parameters))."""
    joins: list[str] = []
    join_params: list[Any] = []
    condition = "1"
    condition_params: list[Any] = []
    if scope is not None:
        tests = []
        if scope.departments:
            # The department from the (id, department) index, never from the ticket's row.
            joins.append(
                f"JOIN tickets_ticket s INDEXED BY search_ticket_scope ON s.id = {ticket_id_sql}"
            )
            tests.append(f"s.department_id IN ({placeholders(scope.departments)})")
            condition_params += scope.departments
        if scope.tickets:
            tests.append(f"{ticket_id_sql} IN ({placeholders(scope.tickets)})")
            condition_params += scope.tickets
        condition = f"({' OR '.join(tests)})" if tests else "0"
    if tickets_sql is not None:
        joins.append(f"JOIN ({tickets_sql}) v ON v.id = {ticket_id_sql}")
        join_params += tickets_params
    return " ".join(joins), condition, (join_params, condition_params)


def _common_test(match: str) -> tuple[str, list[Any]]:
    """SQL true when a phrase of ``match`` is in COMMON_ROWS rows of either index or more,
    with its parameters; it reads at most that many rows of each phrase's list."""
    probes, params = [], []
    for table in ("search_ticket_fts", "search_entry_fts"):
        for phrase in _phrases(match):
            probes.append(
                f"EXISTS (SELECT 1 FROM {table} WHERE {table} MATCH %s LIMIT 1 OFFSET %s)"
            )
            params += [phrase, COMMON_ROWS - 1]
    return (" OR ".join(probes) or "0"), params


# A phrase of this backend's match expressions: an FTS5 string, maybe a prefix.
_PHRASE = re.compile(r'"(?:[^"]|"")*"\*?')


def _phrases(match: str) -> list[str]:
    """The phrases of ``match`` (an expression from ``match_expression``), each on its own."""
    return _PHRASE.findall(match)


def _in_columns(columns: Sequence[str], match: str) -> str:
    """``match`` with every phrase restricted to ``columns``."""
    return f"{{{' '.join(columns)}}} : ({match})"


def _language_of(chosen: str) -> str:
    return "english" if chosen == ENGLISH_TOKENIZER else "simple"
