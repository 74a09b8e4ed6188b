"""Ticket search: the query language over the full-text index and the ticket filters.

Text terms match a ticket's own document (number, subject, description, resolution) or any
one of its thread entries the user may read; each document must hold every positive term and
phrase. Excluded text drops a ticket if its document or any readable entry has it. Everything
is intersected with ``visible_tickets_filter``: a search can never reach past what the user
may see, and a customer's search never reads an internal note, to match or to quote.

With text, hits are ranked among the newest RANK_WINDOW matches of each index the user may
see (all of them for any but the commonest words); without, they come newest first. A page
costs the same few queries whatever it holds: the ranked ids, the tickets with their related
rows, their tags, and at most two snippet queries. Nothing is counted.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString

from helpline.accounts.models import User
from helpline.core.errors import NotFound, PermissionDenied, ValidationFailed
from helpline.core.rows import RowReader
from helpline.search.backends import SearchBackend, backend_for
from helpline.search.criteria import SORTS, read_columns, read_criteria
from helpline.search.filters import structured_filter, unknown_names
from helpline.search.models import SavedView
from helpline.search.ordering import decode_sorted_cursor, sorted_ids
from helpline.search.query import Filter, ParsedQuery, QuerySyntaxError, parse_query_lenient
from helpline.search.snippets import highlight_html
from helpline.tickets.access import (
    TicketScope,
    can_see_internal,
    ticket_scope,
    visible_tickets_filter,
)
from helpline.tickets.models import EntryKind, Ticket
from helpline.tickets.selectors import queue_filter, tickets_by_ids

MAX_LIMIT = 100
# Ranked results are paged by offset, and each page ranks the matches again: past this many,
# the answer is a better query, not another page.
MAX_RANKED_RESULTS = 1000
# Only the newest this-many matches of each index (tickets, thread entries) that the user may
# see are ranked. A rare word's matches all fit; a word in half the tickets is ranked among
# the recent ones, which keeps a search at a million tickets as cheap as one at ten thousand.
# The cost of a search is about proportional to it (each candidate is checked for visibility
# and scored): 300 per index keeps a common word well inside the 100 ms budget and still
# ranks up to 600 tickets, a dozen pages more than anyone reads.
RANK_WINDOW = 300
MAX_VIEWS = 500

AGENT_ENTRY_KINDS = (EntryKind.CUSTOMER_MESSAGE.value, EntryKind.REPLY.value, EntryKind.NOTE.value)
CUSTOMER_ENTRY_KINDS = (EntryKind.CUSTOMER_MESSAGE.value, EntryKind.REPLY.value)


@dataclass(frozen=True, slots=True)
class Hit:
    ticket: Ticket
    rank: float | None  # higher is better; None when the search had no text
    snippet: SafeString | None  # escaped text with <mark> around the matches
    entry_id: int | None = None  # the thread entry the snippet quotes, if not the ticket


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[Hit]
    errors: list[QuerySyntaxError] = field(default_factory=list)
    next_cursor: str | None = None
    query: ParsedQuery = field(default_factory=ParsedQuery)  # what was searched for
    ranked: bool = False
    # For agents: the departments, teams and categories the filters name that do not exist.
    unknown_names: list[str] = field(default_factory=list)


def search_tickets(
    *,
    user: User,
    query: str | ParsedQuery = "",
    filters: Sequence[Filter] = (),
    queue: str | None = None,
    limit: int = 25,
    cursor: str | None = None,
    sort: str = "created",
) -> SearchPage:
    """One page of the tickets ``user`` may see that match ``query`` and ``filters``.

    ``query`` is the search box language (``helpline.search.query``); the parts of it that
    cannot be read are left out and returned in ``errors``, never raised. ``filters`` are more
    field filters from other inputs (API parameters), with the same meaning as in the query;
    ``queue`` is an agent queue name (``tickets.selectors.QUEUES``). With text the hits are
    ranked, best first; without, in ``sort`` order (``criteria.SORTS``, keyset-paged).
    ``cursor`` is the ``next_cursor`` of the previous page of the same search.
    """
    if sort not in SORTS:
        raise ValidationFailed(f"unknown sort {sort[:40]!r}", fields={"sort": "unknown"})
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be 1 to {MAX_LIMIT}", fields={"limit": "out of range"})
    if isinstance(query, str):
        parsed, errors = parse_query_lenient(query)
    else:
        parsed, errors = query, []
    text = _searchable_text(parsed)
    kinds = AGENT_ENTRY_KINDS if can_see_internal(user) else CUSTOMER_ENTRY_KINDS
    backend = backend_for(connection)

    narrowing = structured_filter(parsed, user=user, extra=filters)
    tickets = Ticket.objects.filter(visible_tickets_filter(user)).filter(narrowing)
    if queue:
        if not user.is_agent:
            raise PermissionDenied("queues are for the support team")
        tickets = tickets.filter(queue_filter(user, queue))
    exclusion = backend.exclusion_expression(text)
    match = backend.match_expression(text)
    if match is None:
        if exclusion is not None:
            table = connection.ops.quote_name(Ticket._meta.db_table)
            sql, params = backend.exclusion_condition(exclusion, kinds, f"{table}.id")
            tickets = tickets.filter(RawSQL(sql, params, output_field=BooleanField()))
        hits, next_cursor = _sorted(tickets, sort=sort, limit=limit, cursor=cursor)
    else:
        hits, next_cursor = _ranked(
            backend,
            tickets,
            scope=ticket_scope(user) if backend.uses_scope else None,
            filtered=bool(narrowing) or bool(queue),
            match=match,
            exclusion=exclusion,
            kinds=kinds,
            limit=limit,
            cursor=cursor,
        )
    return SearchPage(
        hits=hits,
        errors=errors,
        next_cursor=next_cursor,
        query=parsed,
        ranked=match is not None,
        unknown_names=unknown_names([*parsed.filters, *filters]) if user.is_agent else [],
    )


def _searchable_text(parsed: ParsedQuery) -> ParsedQuery:
    """The terms and phrases that hold a word: punctuation alone matches nothing anywhere,
    and an empty FTS5 phrase would make the whole query match nothing."""
    return ParsedQuery(
        terms=tuple(term for term in parsed.terms if _has_word(term.text)),
        phrases=tuple(phrase for phrase in parsed.phrases if _has_word(phrase.text)),
    )


def _has_word(text: str) -> bool:
    return any(char.isalnum() for char in text)


def _sorted(
    tickets: QuerySet[Ticket], *, sort: str, limit: int, cursor: str | None
) -> tuple[list[Hit], str | None]:
    if sort == "created":
        # The page's ids from the newest-first scan, then their rows.
        if cursor:
            tickets = tickets.filter(id__lt=_decode_created_cursor(cursor))
        rows = tickets_by_ids(tickets.order_by("-id").values_list("id", flat=True)[: limit + 1])
        next_cursor = _encode_cursor("id", rows[limit - 1].pk) if len(rows) > limit else None
        rows = rows[:limit]
    else:
        ids, next_cursor = sorted_ids(tickets, sort=sort, limit=limit, cursor=cursor)
        rows = tickets_by_ids(ids)
    return [Hit(ticket=ticket, rank=None, snippet=None) for ticket in rows], next_cursor


def _decode_created_cursor(cursor: str) -> int:
    """The id in a newest-first cursor: this module's ``id:N`` or ``ordering``'s form."""
    try:
        return _decode_cursor(cursor, "id")
    except ValidationFailed:
        return decode_sorted_cursor(cursor, "created")[1]


def _ranked(
    backend: SearchBackend,
    tickets: QuerySet[Ticket],
    *,
    scope: TicketScope | None,
    filtered: bool,
    match: str,
    exclusion: str | None,
    kinds: Sequence[str],
    limit: int,
    cursor: str | None,
) -> tuple[list[Hit], str | None]:
    offset = _decode_cursor(cursor, "at") if cursor else 0
    limit = min(limit, MAX_RANKED_RESULTS - offset)
    if limit <= 0:
        return [], None
    tickets_sql: str | None
    try:
        tickets_sql, tickets_params = tickets.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:
        return [], None  # the filters exclude every ticket (an inactive user, say)
    if scope is not None and not filtered:
        # A scope is exactly the tickets the user may see (ticket_scope); with no other
        # filter it is the whole condition, which the index tests without a ticket lookup.
        tickets_sql, tickets_params = None, ()
    with connection.cursor() as db:
        ranked = backend.ranked_ticket_ids(
            db,
            match=match,
            kinds=kinds,
            tickets_sql=tickets_sql,
            tickets_params=tickets_params,
            exclusion=exclusion,
            window=RANK_WINDOW,
            limit=limit + 1,
            offset=offset,
            scope=scope,
        )
        page = ranked[:limit]
        ids = [ticket_id for ticket_id, _ in page]
        by_id = {ticket.pk: ticket for ticket in tickets_by_ids(ids)}
        snippets = backend.snippets(db, match=match, kinds=kinds, ticket_ids=ids)
    hits = []
    for ticket_id, score in page:
        if ticket_id not in by_id:
            continue  # deleted since the first query
        snippet = snippets.get(ticket_id)
        hits.append(
            Hit(
                ticket=by_id[ticket_id],
                rank=score,
                snippet=highlight_html(snippet.marked_text) if snippet else None,
                entry_id=snippet.entry_id if snippet else None,
            )
        )
    more = len(ranked) > limit and offset + limit < MAX_RANKED_RESULTS
    return hits, _encode_cursor("at", offset + limit) if more else None


def _encode_cursor(kind: str, value: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, kind: str) -> int:
    """The number in a cursor of ``kind``: "id" pages newest first, "at" pages ranked hits."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        found, _, value = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        number = int(value)
        if found != kind or number < 0:
            raise ValueError(cursor)
        return number
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("invalid cursor", fields={"cursor": "invalid"}) from None


# Saved views ------------------------------------------------------------------------------


def view_list(*, user: User) -> list[SavedView]:
    """The agent's own views and every shared view, by name, with their owners (one query).

    Read by SQL written once, the views first: the ORM's INNER JOIN let SQLite scan every
    user (a customer per 25 tickets) and look up their views, 2-3 ms a queue page at 1M."""
    if not user.is_agent:
        return []
    return _VIEWS_READ.all(user.pk, True, limit=MAX_VIEWS)


_VIEWS_READ = RowReader(
    SavedView, "(t.owner_id = %s OR t.shared = %s)", related=("owner",), order="t.name, t.id"
)


def view_get(*, user: User, view_id: int) -> SavedView:
    """A view ``user`` may use: their own or a shared one; NotFound otherwise."""
    if not user.is_agent:
        raise NotFound("no such view")
    view = (
        SavedView.objects.filter(Q(owner=user) | Q(shared=True), pk=view_id)
        .select_related("owner")
        .first()
    )
    if view is None:
        raise NotFound("no such view")
    return view


def view_tickets(
    *, user: User, view: SavedView, limit: int = 25, cursor: str | None = None
) -> SearchPage:
    """A page of the view's tickets, as ``user`` may see them (a shared view shows each
    agent only their own visible tickets)."""
    criteria = read_criteria(view.filters)
    return search_tickets(
        user=user,
        query=view.query,
        filters=criteria.filters,
        limit=limit,
        cursor=cursor,
        sort=view.sort,
    )


def view_columns(view: SavedView) -> tuple[str, ...]:
    return read_columns(view.columns)
