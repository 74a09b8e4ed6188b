"""Search: ranked tickets or knowledge base articles with highlighted snippets.

Snippets are HTML whose only markup is ``<mark>`` around the matched words; everything else
in them is escaped text, so a client may insert them as HTML as they are.
"""

from __future__ import annotations

import html
import importlib
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from helpline.accounts.models import User
from helpline.api.v1.auth import caller
from helpline.api.v1.schemas import ERRORS
from helpline.api.v1.tickets import parse_q, refuse_unknown_names
from helpline.core.errors import ValidationFailed
from helpline.search.query import MAX_QUERY_LENGTH
from helpline.search.selectors import MAX_LIMIT, search_tickets
from helpline.search.snippets import highlight_html

router = Router(tags=["search"])

ARTICLES_UNAVAILABLE = "article search is not available yet"


class TicketHitOut(Schema):
    number: int
    subject: str
    status: str
    priority: str
    department: str
    updated_at: Any
    rank: float | None = Field(description="Higher is better; null when q has no words.")
    snippet: str | None = Field(description="HTML: escaped text, <mark> around matches.")
    entry_id: int | None = Field(description="The thread entry quoted, if not the ticket.")


class ArticleHitOut(Schema):
    id: int
    slug: str
    title: str
    visibility: str
    rank: float | None
    snippet: str | None = Field(description="HTML: escaped text, <mark> around matches.")


class SearchOut(Schema):
    type: Literal["ticket", "article"]
    tickets: list[TicketHitOut] = []
    articles: list[ArticleHitOut] = []
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for more.")


@router.get("/search", response={200: SearchOut, **ERRORS})
def search(
    request: HttpRequest,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description='The search box language: `vpn -"split tunnel" status:open tag:vpn`.',
        ),
    ] = "",
    type: Annotated[Literal["ticket", "article"], Query(description="ticket or article")] = (
        "ticket"
    ),
    limit: Annotated[int, Query(description=f"1 to {MAX_LIMIT}")] = 25,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> SearchOut:
    """Tickets (best match first) or articles the caller may read that match ``q``."""
    user = caller(request)
    parsed = parse_q(q)
    if type == "article":
        return SearchOut(type="article", articles=_articles(user, q, limit))
    page = search_tickets(user=user, query=parsed, limit=limit, cursor=cursor)
    refuse_unknown_names(page)
    return SearchOut(
        type="ticket",
        tickets=[
            TicketHitOut(
                number=hit.ticket.number,
                subject=hit.ticket.subject,
                status=hit.ticket.status,
                priority=hit.ticket.priority,
                department=hit.ticket.department.name,
                updated_at=hit.ticket.updated_at,
                rank=hit.rank,
                snippet=str(hit.snippet) if hit.snippet is not None else None,
                entry_id=hit.entry_id,
            )
            for hit in page.hits
        ],
        next_cursor=page.next_cursor,
    )


def _articles(user: User, q: str, limit: int) -> list[ArticleHitOut]:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be 1 to {MAX_LIMIT}", fields={"limit": "out of range"})
    try:
        kb = importlib.import_module("helpline.kb.selectors")
        search_articles = kb.search_articles
    except (ImportError, AttributeError):
        raise ValidationFailed(ARTICLES_UNAVAILABLE, fields={"type": "unavailable"}) from None
    return [
        ArticleHitOut(
            id=article.id,
            slug=article.slug,
            title=article.title,
            visibility=str(article.visibility),
            rank=article.rank,
            snippet=_safe_snippet(article.snippet),
        )
        for article in search_articles(user=user, query=q, limit=limit)
    ]


def _safe_snippet(snippet: object) -> str | None:
    """Article snippets are trusted only as far as ours are: anything but our own marks is
    escaped, whatever the KB module returns."""
    if snippet is None:
        return None
    from helpline.search.backends import START_MARK, STOP_MARK

    # Unescaped first, so an already-escaped snippet is not escaped twice.
    text = html.unescape(str(snippet).replace("<mark>", START_MARK).replace("</mark>", STOP_MARK))
    return str(highlight_html(text))
