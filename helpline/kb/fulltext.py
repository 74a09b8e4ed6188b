"""Full-text search over articles: SQLite FTS5 or a PostgreSQL tsvector expression index.

The same pattern as the ticket index (``helpline.search.backends``), smaller: on SQLite an
external-content FTS5 table over ``kb_article`` kept current by triggers; on PostgreSQL a GIN
index on the weighted tsvector expression, which the query repeats so the planner uses it.
The title weighs over the keywords, which weigh over the body. Raw SQL only (no models), so
the migration can call ``install`` with the schema editor's connection. Other databases fall
back to a plain ``icontains`` search in the selector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from helpline.search.backends import SNIPPET_WORDS, START_MARK, STOP_MARK
from helpline.search.backends import postgres as search_postgres
from helpline.search.backends import sqlite as search_sqlite

COLUMNS = ("title", "keywords", "body")
SQLITE_WEIGHTS = (10.0, 5.0, 1.0)

_SQLITE_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS kb_article_fts USING fts5(
    title, keywords, body, content = 'kb_article', content_rowid = 'id',
    tokenize = '{tokenizer}', prefix = '2 3')"""
_SQLITE_TRIGGERS = {
    "kb_article_fts_insert": """CREATE TRIGGER kb_article_fts_insert AFTER INSERT ON kb_article
        BEGIN
            INSERT INTO kb_article_fts (rowid, title, keywords, body)
                VALUES (NEW.id, NEW.title, NEW.keywords, NEW.body);
        END""",
    "kb_article_fts_update": """CREATE TRIGGER kb_article_fts_update
        AFTER UPDATE OF title, keywords, body ON kb_article
        BEGIN
            INSERT INTO kb_article_fts (kb_article_fts, rowid, title, keywords, body)
                VALUES ('delete', OLD.id, OLD.title, OLD.keywords, OLD.body);
            INSERT INTO kb_article_fts (rowid, title, keywords, body)
                VALUES (NEW.id, NEW.title, NEW.keywords, NEW.body);
        END""",
    "kb_article_fts_delete": """CREATE TRIGGER kb_article_fts_delete AFTER DELETE ON kb_article
        BEGIN
            INSERT INTO kb_article_fts (kb_article_fts, rowid, title, keywords, body)
                VALUES ('delete', OLD.id, OLD.title, OLD.keywords, OLD.body);
        END""",
}

# The ticket search's configuration: the search language's stemmer (helpline.search.language),
# applied to this index too when the ticket index is rebuilt from the start.
PG_CONFIG = search_postgres.CONFIG
PG_DOCUMENT = (
    f"(setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(a.title, '')), 'A')"
    f" || setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(a.keywords, '')), 'B')"
    f" || setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(a.body, '')), 'C'))"
)
_PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS kb_article_search ON kb_article USING gin "
    f"(({PG_DOCUMENT.replace('a.', '')}))"
)
# The index of releases that matched words as written ("simple"), replaced by the one above.
_PG_OLD_INDEX = "DROP INDEX IF EXISTS kb_article_document"
_HEADLINE_OPTIONS = (
    f"StartSel={START_MARK}, StopSel={STOP_MARK}, MaxFragments=1, "
    f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, ShortWord=0, "
    "FragmentDelimiter=…"
)


def supported(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor in ("sqlite", "postgresql")


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the index objects that are missing (idempotent); fill a new SQLite index."""
    if not supported(connection):
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            search_postgres.PostgresBackend().ensure_configuration(cursor)
            cursor.execute(_PG_OLD_INDEX)
            cursor.execute(_PG_INDEX)
            return
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'kb_article_fts'")
        fresh = cursor.fetchone()[0] == 0
        # The tokenizer of the ticket index, or the configured language's for a new one.
        chosen = search_sqlite.table_tokenizer(cursor, "search_ticket_fts")
        cursor.execute(_SQLITE_TABLE.format(tokenizer=chosen or search_sqlite.wanted_tokenizer()))
        for name, statement in _SQLITE_TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(statement)
        if fresh:
            cursor.execute("INSERT INTO kb_article_fts (kb_article_fts) VALUES ('rebuild')")


def retokenize(cursor: Any, tokenizer: str) -> None:
    """Remake SQLite's article index with ``tokenizer`` (the ticket index's new one) and fill
    it, if it is there and has another."""
    if search_sqlite.table_tokenizer(cursor, "kb_article_fts") in (None, tokenizer):
        return
    cursor.execute("DROP TABLE kb_article_fts")
    cursor.execute(_SQLITE_TABLE.format(tokenizer=tokenizer))
    cursor.execute("INSERT INTO kb_article_fts (kb_article_fts) VALUES ('rebuild')")


def uninstall(connection: BaseDatabaseWrapper) -> None:
    if not supported(connection):
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS kb_article_search")
            cursor.execute(_PG_OLD_INDEX)
            return
        for name in _SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute("DROP TABLE IF EXISTS kb_article_fts")


def ranked(
    connection: BaseDatabaseWrapper,
    *,
    match: str,
    where_sql: str,
    where_params: Sequence[Any],
    limit: int,
) -> list[tuple[int, float, str]]:
    """(article id, score, marked snippet) of the articles matching ``match`` that satisfy
    ``where_sql`` (over the alias ``a`` of ``kb_article``), best first.

    ``match`` is an FTS5 MATCH expression on SQLite (``to_fts5_match``) and tsquery text on
    PostgreSQL (``to_pg_tsquery``); the caller builds it from the parsed query.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            weights = ", ".join(map(str, SQLITE_WEIGHTS))
            cursor.execute(
                f"""
                SELECT a.id, -bm25(kb_article_fts, {weights}) AS score,
                    snippet(kb_article_fts, 2, %s, %s, '…', {SNIPPET_WORDS})
                FROM kb_article_fts JOIN kb_article a ON a.id = kb_article_fts.rowid
                WHERE kb_article_fts MATCH %s AND {where_sql}
                ORDER BY score DESC, a.id DESC
                LIMIT %s""",
                [START_MARK, STOP_MARK, match, *where_params, limit],
            )
        else:
            cursor.execute(
                f"""
                SELECT a.id, ts_rank_cd({PG_DOCUMENT}, q) AS score,
                    ts_headline('{PG_CONFIG}', a.body, q, %s)
                FROM kb_article a, to_tsquery('{PG_CONFIG}', %s) q
                WHERE {PG_DOCUMENT} @@ q AND {where_sql}
                ORDER BY score DESC, a.id DESC
                LIMIT %s""",
                [_HEADLINE_OPTIONS, match, *where_params, limit],
            )
        return [(row[0], float(row[1]), row[2] or "") for row in cursor.fetchall()]
