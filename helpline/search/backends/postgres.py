"""PostgreSQL full text: a weighted tsvector per ticket and per thread entry, GIN-indexed.

``search_ticketdoc`` holds one document per ticket: number and subject at weight A, the
description and the resolution record at B. ``search_entrydoc`` holds one per thread entry
(system events left out) at weight C, with the entry's ticket and kind so internal notes can be
filtered without touching the thread table. PL/pgSQL triggers upsert and delete documents in
the writing transaction; statement triggers empty them when the ticket tables are truncated.

Both keep the ticket's department too (a trigger follows a transfer), and where the
``btree_gin`` extension can be had their GIN index covers (department, document): an agent's
search then reads from the index only the matches in their departments (``TicketScope``).
Without it the index is on the document alone and the department is tested per match. A
phrase common in the whole desk but in one department of six read six times the rows it
returns: 190 of its 200 ms at 100k tickets.

Text goes through the ``helpline_search`` configuration: the words of the search language
(``helpline.search.language``; English by default) go through its Snowball stemmer, which also
drops its stop words, so "printers" finds "printer"; ``simple`` stems nothing. ``unaccent``
comes first when the extension can be installed, so "cafe" finds "café" and ``ts_headline``
still marks "café". The language is applied when the index is built or rebuilt from the start
(``start_rebuild``): documents and queries must go through the same dictionaries, so it is
never changed under an index without re-indexing it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction

from helpline.search import language
from helpline.search.backends import (
    SNIPPET_WORDS,
    START_MARK,
    STOP_MARK,
    Snippet,
    configured_language,
)
from helpline.search.query import ParsedQuery, Phrase, to_pg_tsquery
from helpline.tickets.models import EntryKind

if TYPE_CHECKING:
    from helpline.tickets.access import TicketScope

logger = logging.getLogger(__name__)

CONFIG = "helpline_search"
TICKET_COLUMNS = (
    "number",
    "subject",
    "description",
    "resolution_problem",
    "resolution_action",
    "resolution_confirmation",
    "resolution_next_steps",
)
_ARGS = ", ".join(f"{{p}}{c}" for c in TICKET_COLUMNS)
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in TICKET_COLUMNS)
_HEADLINE_OPTIONS = (
    f"StartSel={START_MARK}, StopSel={STOP_MARK}, MaxFragments=1, "
    f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, ShortWord=0, "
    "FragmentDelimiter=…"
)

CONFIGURATION = f"""
DO $$ BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_ts_config WHERE cfgname = '{CONFIG}'
            AND cfgnamespace = current_schema()::regnamespace
    ) THEN
        CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.simple);
    END IF;
END $$"""
# The token types the stemmer reads (as PostgreSQL's language configurations map them);
# numbers, emails, URLs and the rest stay as the simple dictionary writes them.
ASCII_WORDS = "asciiword, asciihword, hword_asciipart"
WORDS = "word, hword, hword_part"

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS search_ticketdoc (
        ticket_id bigint PRIMARY KEY,
        department_id bigint,
        document tsvector NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS search_entrydoc (
        entry_id bigint PRIMARY KEY,
        ticket_id bigint NOT NULL,
        department_id bigint,
        kind varchar(20) NOT NULL,
        document tsvector NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS search_entrydoc_ticket ON search_entrydoc (ticket_id, kind)",
    f"""CREATE OR REPLACE FUNCTION search_ticket_document(
        number bigint, subject text, description text, problem text, action text,
        confirmation text, next_steps text
    ) RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('{CONFIG}', number::text || ' ' || subject), 'A')
            || setweight(to_tsvector('{CONFIG}',
                concat_ws(' ', description, problem, action, confirmation, next_steps)), 'B')
    $$""",
    f"""CREATE OR REPLACE FUNCTION search_entry_document(body text)
    RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('{CONFIG}', body), 'C')
    $$""",
    f"""CREATE OR REPLACE FUNCTION search_ticket_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM search_ticketdoc WHERE ticket_id = OLD.id;
        ELSE
            INSERT INTO search_ticketdoc (ticket_id, department_id, document)
            VALUES (NEW.id, NEW.department_id, search_ticket_document({_ARGS.format(p="NEW.")}))
            ON CONFLICT (ticket_id) DO UPDATE SET department_id = EXCLUDED.department_id,
                document = EXCLUDED.document;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION search_entry_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR NEW.kind = 'event' THEN
            DELETE FROM search_entrydoc WHERE entry_id = OLD.id;
        ELSE
            INSERT INTO search_entrydoc (entry_id, ticket_id, department_id, kind, document)
            VALUES (NEW.id, NEW.ticket_id,
                (SELECT department_id FROM tickets_ticket WHERE id = NEW.ticket_id),
                NEW.kind, search_entry_document(NEW.body))
            ON CONFLICT (entry_id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id,
                department_id = EXCLUDED.department_id, kind = EXCLUDED.kind,
                document = EXCLUDED.document;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION search_ticket_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE search_ticketdoc SET department_id = NEW.department_id WHERE ticket_id = NEW.id;
        UPDATE search_entrydoc SET department_id = NEW.department_id WHERE ticket_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION search_ticket_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE search_ticketdoc;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION search_entry_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE search_entrydoc;
        RETURN NULL;
    END $$""",
]

TRIGGERS = {
    "search_ticket_insert": """CREATE OR REPLACE TRIGGER search_ticket_insert
        AFTER INSERT ON tickets_ticket
        FOR EACH ROW EXECUTE FUNCTION search_ticket_sync()""",
    "search_ticket_update": f"""CREATE OR REPLACE TRIGGER search_ticket_update
        AFTER UPDATE OF {", ".join(TICKET_COLUMNS)} ON tickets_ticket
        FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION search_ticket_sync()""",
    "search_ticket_moved": """CREATE OR REPLACE TRIGGER search_ticket_moved
        AFTER UPDATE OF department_id ON tickets_ticket
        FOR EACH ROW WHEN (OLD.department_id IS DISTINCT FROM NEW.department_id)
        EXECUTE FUNCTION search_ticket_moved()""",
    "search_ticket_delete": """CREATE OR REPLACE TRIGGER search_ticket_delete
        AFTER DELETE ON tickets_ticket
        FOR EACH ROW EXECUTE FUNCTION search_ticket_sync()""",
    "search_ticket_truncate": """CREATE OR REPLACE TRIGGER search_ticket_truncate
        AFTER TRUNCATE ON tickets_ticket
        FOR EACH STATEMENT EXECUTE FUNCTION search_ticket_truncate()""",
    "search_entry_insert": """CREATE OR REPLACE TRIGGER search_entry_insert
        AFTER INSERT ON tickets_threadentry
        FOR EACH ROW WHEN (NEW.kind <> 'event') EXECUTE FUNCTION search_entry_sync()""",
    "search_entry_update": """CREATE OR REPLACE TRIGGER search_entry_update
        AFTER UPDATE OF body, kind, ticket_id ON tickets_threadentry
        FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body
            OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id)
        EXECUTE FUNCTION search_entry_sync()""",
    "search_entry_delete": """CREATE OR REPLACE TRIGGER search_entry_delete
        AFTER DELETE ON tickets_threadentry
        FOR EACH ROW WHEN (OLD.kind <> 'event') EXECUTE FUNCTION search_entry_sync()""",
    "search_entry_truncate": """CREATE OR REPLACE TRIGGER search_entry_truncate
        AFTER TRUNCATE ON tickets_threadentry
        FOR EACH STATEMENT EXECUTE FUNCTION search_entry_truncate()""",
}


class PostgresBackend:
    vendor = "postgresql"
    uses_scope = True

    # Schema ---------------------------------------------------------------------------------

    def install(self, cursor: Any) -> bool:
        cursor.execute(
            "SELECT to_regclass('search_ticketdoc') IS NULL "
            "OR to_regclass('search_entrydoc') IS NULL"
        )
        fresh = bool(cursor.fetchone()[0])
        self.ensure_configuration(cursor)
        for statement in SCHEMA:
            cursor.execute(statement)
        self._add_departments(cursor)
        self._create_gin_indexes(cursor)
        for statement in TRIGGERS.values():
            cursor.execute(statement)
        return fresh

    def _add_departments(self, cursor: Any) -> None:
        """Give documents written before they kept it (tables of an earlier release) their
        ticket's department: one UPDATE of each table, once."""
        for table in ("search_ticketdoc", "search_entrydoc"):
            cursor.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s AND column_name = 'department_id'",
                [table],
            )
            if cursor.fetchone() is not None:
                continue
            cursor.execute(f"ALTER TABLE {table} ADD COLUMN department_id bigint")
            cursor.execute(
                f"""UPDATE {table} d SET department_id = t.department_id
                FROM tickets_ticket t WHERE t.id = d.ticket_id"""
            )

    def _create_gin_indexes(self, cursor: Any) -> None:
        """The GIN index of each table: on (department, document) with btree_gin, which lets
        it hold a plain column (a trusted extension: a database owner may create it), else on
        the document alone. Each switch is made once; a present index is left as it is."""
        try:
            with transaction.atomic(using=cursor.db.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
            scoped = True
        except DatabaseError as error:
            logger.warning(
                "search: btree_gin is not available, department scoping is a filter (%s)", error
            )
            scoped = False
        for table in ("search_ticketdoc", "search_entrydoc"):
            if scoped:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {table}_scoped "
                    f"ON {table} USING gin (department_id, document)"
                )
                cursor.execute(f"DROP INDEX IF EXISTS {table}_document")
            else:
                cursor.execute(f"SELECT to_regclass('{table}_scoped') IS NULL")
                if cursor.fetchone()[0]:
                    cursor.execute(
                        f"CREATE INDEX IF NOT EXISTS {table}_document "
                        f"ON {table} USING gin (document)"
                    )

    def ensure_configuration(self, cursor: Any) -> None:
        """Create the text search configuration if it is missing (for the knowledge base's
        index, which may be created before this one), keeping the language it has."""
        cursor.execute(CONFIGURATION)
        self._map_words(cursor, self._stemmer(cursor))

    def _use_unaccent(self, cursor: Any) -> bool:
        """Whether the unaccent extension is there or could be created; CREATE EXTENSION
        needs a privileged role, so failing is not an error."""
        try:
            with transaction.atomic(using=cursor.db.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        except DatabaseError as error:
            logger.warning("search: unaccent is not available, accents must match (%s)", error)
            return False
        return True

    def _map_words(self, cursor: Any, stemmer: str) -> None:
        """Send the configuration's words through ``stemmer`` (a dictionary known to exist),
        after unaccent where there is one."""
        accented = f"unaccent, {stemmer}" if self._use_unaccent(cursor) else stemmer
        alter = f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR"
        cursor.execute(f"{alter} {ASCII_WORDS} WITH {stemmer}")
        cursor.execute(f"{alter} {WORDS} WITH {accented}")

    def _use_stemmer(self, cursor: Any, stemmer: str) -> None:
        """Stem by ``stemmer`` from now on. The indexes that other tables write through the
        configuration (the knowledge base's expression index) are rebuilt at once when it
        changes; this index's documents are rewritten by the rebuild that asked for it."""
        changed = stemmer != self._stemmer(cursor)
        self._map_words(cursor, stemmer)
        if not changed:
            return
        cursor.execute(
            """SELECT d.objid::regclass::text FROM pg_depend d
            JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'i'
            WHERE d.classid = 'pg_class'::regclass
                AND d.refclassid = 'pg_ts_config'::regclass AND d.refobjid = %s::regconfig""",
            [CONFIG],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"REINDEX INDEX {name}")

    def _stemmer(self, cursor: Any) -> str:
        """The dictionary that stems the configuration's words now (``simple`` for none)."""
        cursor.execute(
            """SELECT d.dictname FROM pg_ts_config_map m
                JOIN pg_ts_config c ON c.oid = m.mapcfg
                JOIN pg_ts_dict d ON d.oid = m.mapdict
            WHERE c.cfgname = %s AND c.cfgnamespace = current_schema()::regnamespace
                AND m.maptokentype = (
                    SELECT tokid FROM ts_token_type('default') WHERE alias = 'asciiword'
                )
            ORDER BY m.mapseqno DESC LIMIT 1""",
            [CONFIG],
        )
        row = cursor.fetchone()
        return row[0] if row else language.SIMPLE

    def index_language(self, cursor: Any) -> str:
        """The language the index stems by now (``simple`` for none)."""
        return _language_of(self._stemmer(cursor))

    def wanted_language(self, cursor: Any) -> str:
        """The language a rebuild from the start would stem by: the configured one
        (``configured_language``), or none when PostgreSQL has no stemmer of that name."""
        return _language_of(self._wanted_stemmer(cursor, warn=False))

    def _wanted_stemmer(self, cursor: Any, *, warn: bool) -> str:
        wanted = configured_language()
        stemmer = language.dictionary(wanted)
        cursor.execute(
            "SELECT 1 FROM pg_ts_dict WHERE dictname = %s AND pg_ts_dict_is_visible(oid)",
            [stemmer],
        )
        if cursor.fetchone() is not None:
            return stemmer
        if warn:
            logger.warning(
                "search: PostgreSQL has no stemmer for %r; words are not stemmed", wanted
            )
        return language.SIMPLE

    def uninstall(self, cursor: Any) -> None:
        for name in TRIGGERS:
            table = "tickets_ticket" if name.startswith("search_ticket") else "tickets_threadentry"
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        cursor.execute("DROP TABLE IF EXISTS search_ticketdoc, search_entrydoc")
        for function in (
            "search_ticket_sync()",
            "search_entry_sync()",
            "search_ticket_moved()",
            "search_ticket_truncate()",
            "search_entry_truncate()",
            "search_ticket_document(bigint, text, text, text, text, text, text)",
            "search_entry_document(text)",
        ):
            cursor.execute(f"DROP FUNCTION IF EXISTS {function}")
        # The configuration stays while another index is written through it (the knowledge
        # base's).
        cursor.execute(
            """SELECT NOT EXISTS (
                SELECT 1 FROM pg_depend d JOIN pg_ts_config c ON c.oid = d.refobjid
                WHERE d.refclassid = 'pg_ts_config'::regclass AND d.classid = 'pg_class'::regclass
                    AND c.cfgname = %s AND c.cfgnamespace = current_schema()::regnamespace
            )""",
            [CONFIG],
        )
        if cursor.fetchone()[0]:
            cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")

    def missing_triggers(self, cursor: Any) -> list[str]:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s) AND NOT tgisinternal",
            [list(TRIGGERS)],
        )
        present = {row[0] for row in cursor.fetchall()}
        return [name for name in TRIGGERS if name not in present]

    # Queries --------------------------------------------------------------------------------

    def match_expression(self, text: ParsedQuery) -> str | None:
        return to_pg_tsquery(text.positive())

    def exclusion_expression(self, text: ParsedQuery) -> str | None:
        # to_pg_tsquery ANDs its items; an exclusion drops a ticket matching any of them.
        items: list[ParsedQuery] = [
            ParsedQuery(terms=(dataclasses.replace(term, negated=False),))
            for term in text.terms
            if term.negated
        ]
        items += [
            ParsedQuery(phrases=(Phrase(phrase.text),)) for phrase in text.phrases if phrase.negated
        ]
        parts = [to_pg_tsquery(item) for item in items]
        return " | ".join(f"({part})" for part in parts if part) or None

    def exclusion_condition(
        self, exclusion: str, kinds: Sequence[str], ticket_id_sql: str
    ) -> tuple[str, list[Any]]:
        sql = f"""
            NOT EXISTS (
                SELECT 1 FROM search_ticketdoc xt
                WHERE xt.ticket_id = {ticket_id_sql}
                    AND xt.document @@ to_tsquery('{CONFIG}', %s)
            ) AND NOT EXISTS (
                SELECT 1 FROM search_entrydoc xe
                WHERE xe.ticket_id = {ticket_id_sql} AND xe.kind = ANY(%s)
                    AND xe.document @@ to_tsquery('{CONFIG}', %s)
            )"""
        return sql, [exclusion, list(kinds), exclusion]

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
        # Weights do the ranking: a subject (A) match counts 1.0, a thread (C) match 0.2.
        # Each index yields its newest `window` matches that pass the visibility and filters,
        # and only those are ranked, so the cost stays bounded however common the words are;
        # excluded words are checked last, on those candidates only.
        # The check is a per-candidate primary-key probe: OFFSET 0 keeps the planner from
        # turning it into a join, which it would cost from a poor estimate of the customer
        # visibility filter (an OR with EXISTS) and answer with a whole-table scan.
        if tickets_sql is None:
            if scope is None:
                raise ValueError("ranked_ticket_ids needs tickets_sql or a scope")
            visible = "TRUE"
        else:
            visible = f"EXISTS (SELECT 1 FROM ({tickets_sql}) v WHERE v.id = d.ticket_id OFFSET 0)"
        excluded, excluded_params = (
            self.exclusion_condition(exclusion, kinds, "h.ticket_id") if exclusion else ("TRUE", [])
        )
        # Agents read every kind of entry the index holds: no kind test then, or the planner
        # may AND the matches with the (ticket, kind) index, a bitmap of every entry.
        kind_test, kind_params = _kind_test(kinds)
        # The scope is tested first: with the (department, document) index, in the index scan.
        in_scope, scope_params = _scope_test(scope)
        sql = f"""
            SELECT h.ticket_id, h.score FROM (
            SELECT u.ticket_id, MAX(u.doc) + MAX(u.thread) AS score FROM (
                (SELECT d.ticket_id, ts_rank_cd(d.document, q) AS doc, 0::real AS thread
                FROM search_ticketdoc d, to_tsquery('{CONFIG}', %s) q
                WHERE d.document @@ q AND {in_scope} AND {visible}
                ORDER BY d.ticket_id DESC LIMIT %s)
                UNION ALL
                (SELECT d.ticket_id, 0::real, ts_rank_cd(d.document, q)
                FROM search_entrydoc d, to_tsquery('{CONFIG}', %s) q
                WHERE d.document @@ q AND {kind_test} AND {in_scope} AND {visible}
                ORDER BY d.ticket_id DESC LIMIT %s)
            ) u
            GROUP BY u.ticket_id
            ) h
            WHERE {excluded}
            ORDER BY h.score DESC, h.ticket_id DESC
            LIMIT %s OFFSET %s"""
        ticket_arm = [match, *scope_params, *tickets_params, window]
        entry_arm = [match, *kind_params, *scope_params, *tickets_params, window]
        cursor.execute(sql, [*ticket_arm, *entry_arm, *excluded_params, limit, offset])
        return [(row[0], float(row[1])) for row in cursor.fetchall()]

    def snippets(
        self, cursor: Any, *, match: str, kinds: Sequence[str], ticket_ids: Sequence[int]
    ) -> dict[int, Snippet]:
        if not ticket_ids:
            return {}
        # Quote the description and resolution when they match (the subject is shown anyway),
        # the number and subject otherwise.
        cursor.execute(
            f"""
            SELECT t.id, CASE WHEN ts_filter(d.document, '{{b}}') @@ q
                THEN ts_headline('{CONFIG}', concat_ws(E'\\n', t.description,
                    t.resolution_problem, t.resolution_action, t.resolution_confirmation,
                    t.resolution_next_steps), q, %s)
                ELSE ts_headline('{CONFIG}', t.number::text || ' ' || t.subject, q, %s) END
            FROM search_ticketdoc d JOIN tickets_ticket t ON t.id = d.ticket_id,
                to_tsquery('{CONFIG}', %s) q
            WHERE d.ticket_id = ANY(%s) AND d.document @@ q""",
            [_HEADLINE_OPTIONS, _HEADLINE_OPTIONS, match, list(ticket_ids)],
        )
        found = {row[0]: Snippet(row[1], None) for row in cursor.fetchall()}
        rest = [ticket_id for ticket_id in ticket_ids if ticket_id not in found]
        if not rest:
            return found
        # ts_headline reads the whole text, so only the best entry of each ticket gets one.
        kind_test, kind_params = _kind_test(kinds)
        cursor.execute(
            f"""
            SELECT best.ticket_id, best.entry_id, ts_headline('{CONFIG}', e.body, best.q, %s)
            FROM (
                SELECT DISTINCT ON (d.ticket_id) d.ticket_id, d.entry_id, q
                FROM search_entrydoc d, to_tsquery('{CONFIG}', %s) q
                WHERE d.ticket_id = ANY(%s) AND {kind_test} AND d.document @@ q
                ORDER BY d.ticket_id, ts_rank_cd(d.document, q) DESC, d.entry_id DESC
            ) best JOIN tickets_threadentry e ON e.id = best.entry_id""",
            [_HEADLINE_OPTIONS, match, rest, *kind_params],
        )
        for ticket_id, entry_id, text in cursor.fetchall():
            found[ticket_id] = Snippet(text, entry_id)
        return found

    # Rebuild --------------------------------------------------------------------------------

    def start_rebuild(self, cursor: Any, *, from_id: int | None, fresh: bool) -> int:
        # Documents are upserted, so any range can be redone at any time; the old documents
        # keep answering searches until their batch replaces them. A rebuild from the start
        # takes up the configured language: until it has passed them, older documents hold
        # the words as the previous language wrote them.
        if from_id is None:
            self._use_stemmer(cursor, self._wanted_stemmer(cursor, warn=True))
            return 0
        return max(from_id - 1, 0)

    def index_range(self, cursor: Any, after: int, upto: int) -> tuple[int, int]:
        # FOR SHARE waits for a concurrent writer of these rows and reads its committed text,
        # so a batch never overwrites a newer document with an older one.
        cursor.execute(
            f"""
            INSERT INTO search_ticketdoc (ticket_id, department_id, document)
            SELECT id, department_id, search_ticket_document({_ARGS.format(p="")}) FROM (
                SELECT * FROM tickets_ticket WHERE id > %s AND id <= %s FOR SHARE
            ) t
            ON CONFLICT (ticket_id) DO UPDATE SET department_id = EXCLUDED.department_id,
                document = EXCLUDED.document""",
            [after, upto],
        )
        tickets = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO search_entrydoc (entry_id, ticket_id, department_id, kind, document)
            SELECT e.id, e.ticket_id, t.department_id, e.kind, search_entry_document(e.body)
            FROM (
                SELECT * FROM tickets_threadentry
                WHERE ticket_id > %s AND ticket_id <= %s AND kind <> 'event' FOR SHARE
            ) e JOIN tickets_ticket t ON t.id = e.ticket_id
            ON CONFLICT (entry_id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id,
                department_id = EXCLUDED.department_id, kind = EXCLUDED.kind,
                document = EXCLUDED.document""",
            [after, upto],
        )
        entries = cursor.rowcount
        self._delete_orphans(cursor, after, upto)
        return tickets, entries

    def finish_rebuild(self, cursor: Any, after: int) -> None:
        self._delete_orphans(cursor, after, None)

    def _delete_orphans(self, cursor: Any, after: int, upto: int | None) -> None:
        """Drop documents in the range whose ticket or entry is gone."""
        bound = "" if upto is None else "AND d.ticket_id <= %s"
        params = [after] if upto is None else [after, upto]
        cursor.execute(
            f"""DELETE FROM search_ticketdoc d WHERE d.ticket_id > %s {bound}
            AND NOT EXISTS (SELECT 1 FROM tickets_ticket t WHERE t.id = d.ticket_id)""",
            params,
        )
        cursor.execute(
            f"""DELETE FROM search_entrydoc d WHERE d.ticket_id > %s {bound}
            AND NOT EXISTS (SELECT 1 FROM tickets_threadentry e WHERE e.id = d.entry_id
                AND e.ticket_id = d.ticket_id AND e.kind <> 'event')""",
            params,
        )


# The kinds of entry search_entrydoc holds (system events are left out).
INDEXED_KINDS = frozenset(kind.value for kind in EntryKind if kind != EntryKind.EVENT)


def _scope_test(scope: TicketScope | None) -> tuple[str, list[Any]]:
    """The SQL test that keeps the documents (alias ``d``) in ``scope``, with its parameters."""
    if scope is None:
        return "TRUE", []
    tests, params = [], []
    if scope.departments:
        tests.append("d.department_id = ANY(%s::bigint[])")
        params.append(list(scope.departments))
    if scope.tickets:
        tests.append("d.ticket_id = ANY(%s::bigint[])")
        params.append(list(scope.tickets))
    if not tests:
        return "FALSE", []
    return f"({' OR '.join(tests)})", params


def _kind_test(kinds: Sequence[str]) -> tuple[str, list[Any]]:
    """The SQL test that keeps the entries of ``kinds`` (alias ``d``), with its parameters:
    none when ``kinds`` covers every indexed kind."""
    if set(kinds) >= INDEXED_KINDS:
        return "TRUE", []
    return "d.kind = ANY(%s)", [list(kinds)]


def _language_of(stemmer: str) -> str:
    return stemmer if stemmer == language.SIMPLE else stemmer.removesuffix("_stem")
