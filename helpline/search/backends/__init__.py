"""The search index behind one interface: SQLite FTS5 or PostgreSQL full text.

The index lives in tables of its own, kept current by database triggers on ``tickets_ticket``
and ``tickets_threadentry``: a write and its index update commit or roll back together, and no
application code sits in the write path. Nothing here imports a model, so migrations can call
it with the schema editor's connection.

A ticket is indexed as one document (number and subject, weighted over the description and the
resolution record); each thread entry except system events as another, carrying its kind so
internal notes can be left out for customers at query time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

from helpline.search import language
from helpline.search.query import ParsedQuery

if TYPE_CHECKING:
    from helpline.tickets.access import TicketScope

# Snippet highlight markers: private-use characters, which no tokenizer treats as a word
# character worth keeping and which are turned into <mark> tags after escaping.
START_MARK = "\ue000"
STOP_MARK = "\ue001"
SNIPPET_WORDS = 24


def configured_language() -> str:
    """The search language the settings ask for (``SEARCH_LANGUAGE``, else the instance's);
    each backend stems by it as far as it can (``index_language``)."""
    return language.search_language(settings.HELPLINE_SEARCH_LANGUAGE, settings.LANGUAGE_CODE)


@dataclass(frozen=True, slots=True)
class Snippet:
    marked_text: str  # source text with START_MARK/STOP_MARK around matches, not escaped
    entry_id: int | None  # the thread entry it comes from; None for the ticket itself


class SearchBackend(Protocol):
    vendor: str
    uses_scope: bool  # whether ranked_ticket_ids makes use of a TicketScope

    def install(self, cursor: Any) -> bool:
        """Create the index objects that are missing; True if the index tables were new."""

    def uninstall(self, cursor: Any) -> None: ...

    def missing_triggers(self, cursor: Any) -> list[str]: ...

    def index_language(self, cursor: Any) -> str | None:
        """The language the index stems words by (``simple`` for none); None for an index
        that cannot stem."""

    def wanted_language(self, cursor: Any) -> str | None:
        """The language a rebuild from the start would stem by; None as above."""

    def match_expression(self, text: ParsedQuery) -> str | None:
        """The backend's query for the positive terms and phrases of ``text``."""

    def exclusion_expression(self, text: ParsedQuery) -> str | None:
        """The backend's query matching any negated term or phrase of ``text``."""

    def exclusion_condition(
        self, exclusion: str, kinds: Sequence[str], ticket_id_sql: str
    ) -> tuple[str, list[Any]]:
        """SQL true for a ticket (its id column is ``ticket_id_sql``) whose document and
        readable entries all miss ``exclusion``; checked per ticket, through the index."""

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
        """(ticket id, score) of matching tickets among ``tickets_sql`` that miss
        ``exclusion``, best first, scoring only the newest ``window`` matches of the tickets
        index and of the entries index.

        ``scope`` (only for a backend that ``uses_scope``) holds the tickets ``tickets_sql``
        selects and maybe more; the index scan reads only those. ``tickets_sql`` None: the
        tickets in ``scope``, all of them (the scope is then required)."""

    def snippets(
        self, cursor: Any, *, match: str, kinds: Sequence[str], ticket_ids: Sequence[int]
    ) -> dict[int, Snippet]:
        """The best snippet of each ticket: from its own text if that matches, else from its
        best matching visible entry."""

    def start_rebuild(self, cursor: Any, *, from_id: int | None, fresh: bool) -> int:
        """Prepare to index tickets after the returned id (and their entries)."""

    def index_range(self, cursor: Any, after: int, upto: int) -> tuple[int, int]:
        """Index tickets with ``after < id <= upto`` and their entries; (tickets, entries)."""

    def finish_rebuild(self, cursor: Any, after: int) -> None:
        """Every ticket up to ``after`` is indexed and none is above it: back to normal."""


def backend_for(connection: BaseDatabaseWrapper) -> SearchBackend:
    if connection.vendor == "sqlite":
        from helpline.search.backends.sqlite import SqliteBackend

        return SqliteBackend()
    if connection.vendor == "postgresql":
        from helpline.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    raise NotImplementedError(f"search supports SQLite and PostgreSQL, not {connection.vendor}")


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))
