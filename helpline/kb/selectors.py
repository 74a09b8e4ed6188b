"""Reads of the knowledge base, every one filtered by what the user may read.

``search_articles`` is the search entry point other apps call (the search API, the portal's
suggestions, the agent's ticket page). It takes the search box language of
``helpline.search.query``: words, "phrases", -excluded words; field filters are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpline.kb import access, fulltext
from helpline.kb.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleTicketLink,
    KbCategory,
    KbSettings,
)
from helpline.search.query import ParsedQuery, parse_query_lenient, to_fts5_match, to_pg_tsquery
from helpline.search.snippets import highlight_html

MAX_LIMIT = 50
SNIPPET_CHARS = 180


@dataclass(frozen=True, slots=True)
class ArticleHit:
    id: int
    slug: str
    title: str
    snippet: SafeString  # escaped text; the only markup is <mark> around the matches
    rank: float  # higher is better
    visibility: str
    status: str


def settings_get() -> KbSettings:
    """The one settings row (created with the defaults on first use)."""
    kb_settings, _ = KbSettings.objects.get_or_create(pk=1)
    return kb_settings


def search_articles(
    *, user: Any, query: str | ParsedQuery, limit: int = 10, prefix: bool = False
) -> list[ArticleHit]:
    """The articles ``user`` (maybe anonymous) may read that match ``query``, best first.

    Anonymous visitors and customers get published public articles only; agents published
    articles of either visibility and drafts. ``prefix`` matches the last word as a prefix
    (search as you type). Unreadable parts of the query are ignored; never raises on input.
    Two queries whatever the number of hits.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    parsed = parse_query_lenient(query)[0] if isinstance(query, str) else query
    parsed = ParsedQuery(terms=parsed.terms, phrases=parsed.phrases)
    if prefix:
        parsed = parsed.with_last_term_as_prefix()
    if not any(not t.negated for t in parsed.terms) and not any(
        not p.negated for p in parsed.phrases
    ):
        return []
    if not fulltext.supported(connection):
        return _search_fallback(user=user, parsed=parsed, limit=limit)
    match = to_fts5_match(parsed) if connection.vendor == "sqlite" else to_pg_tsquery(parsed)
    if not match:
        return []
    where_sql, where_params = access.searchable_sql(user)
    rows = fulltext.ranked(
        connection, match=match, where_sql=where_sql, where_params=where_params, limit=limit
    )
    articles = Article.objects.only("id", "slug", "title", "visibility", "status").in_bulk(
        [row[0] for row in rows]
    )
    hits = []
    for article_id, score, marked in rows:
        article = articles.get(article_id)
        if article is None:  # deleted between the two queries
            continue
        hits.append(
            ArticleHit(
                id=article.pk,
                slug=article.slug,
                title=article.title,
                snippet=highlight_html(marked),
                rank=score,
                visibility=article.visibility,
                status=article.status,
            )
        )
    return hits


def _search_fallback(*, user: Any, parsed: ParsedQuery, limit: int) -> list[ArticleHit]:
    """Databases without a full-text index: every word somewhere, title matches first."""
    condition = access.searchable_filter(user)
    words = [t.text for t in parsed.terms if not t.negated] + [
        p.text for p in parsed.phrases if not p.negated
    ]
    for word in words:
        condition &= (
            Q(title__icontains=word) | Q(keywords__icontains=word) | Q(body__icontains=word)
        )
    for word in [t.text for t in parsed.terms if t.negated]:
        condition &= ~(Q(title__icontains=word) | Q(body__icontains=word))
    found = list(Article.objects.filter(condition).order_by("-updated_at")[: limit * 3])

    def score(article: Article) -> float:
        title = article.title.lower()
        return sum(3.0 if w.lower() in title else 1.0 for w in words)

    found.sort(key=score, reverse=True)
    return [
        ArticleHit(
            id=a.pk,
            slug=a.slug,
            title=a.title,
            snippet=mark_safe(escape(a.body[:SNIPPET_CHARS])),  # escaped just now
            rank=score(a),
            visibility=a.visibility,
            status=a.status,
        )
        for a in found[:limit]
    ]


def articles_for(
    *,
    user: Any,
    category: KbCategory | None = None,
    status: str | None = None,
    visibility: str | None = None,
) -> QuerySet[Article]:
    """The articles ``user`` may read, with their category and owner; archived ones only
    when asked for by ``status``."""
    articles = Article.objects.filter(access.readable_filter(user)).select_related(
        "category", "owner"
    )
    if status:
        articles = articles.filter(status=status)
    elif not access.is_agent(user):
        articles = articles.filter(status=ArticleStatus.PUBLISHED)
    if visibility:
        articles = articles.filter(visibility=visibility)
    if category is not None:
        articles = articles.filter(category=category)
    return articles


def article_get(*, user: Any, slug: str | None = None, pk: int | None = None) -> Article:
    """The article by slug or id if ``user`` may read it; NotFound otherwise."""
    from helpline.core.errors import NotFound

    lookup = Q(slug=slug) if slug is not None else Q(pk=pk)
    article = (
        Article.objects.filter(lookup, access.readable_filter(user))
        .select_related("category", "owner")
        .first()
    )
    if article is None:
        raise NotFound("no such article")
    return article


def categories() -> list[KbCategory]:
    return list(KbCategory.objects.all())


def category_tree(*, user: Any) -> list[tuple[KbCategory, int, int]]:
    """(category, depth, readable published articles) in tree order. Two queries."""
    counts = dict(
        articles_for(user=user, status=ArticleStatus.PUBLISHED)
        .values_list("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    )
    nodes = categories()
    children: dict[int | None, list[KbCategory]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    ordered: list[tuple[KbCategory, int, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for node in children.get(parent, []):
            ordered.append((node, depth, counts.get(node.pk, 0)))
            if depth < 10:
                walk(node.pk, depth + 1)

    walk(None, 0)
    return ordered


def revisions(*, article: Article) -> list[ArticleRevision]:
    return list(article.revisions.select_related("author").order_by("-number"))


def revision_get(*, article: Article, number: int) -> ArticleRevision:
    from helpline.core.errors import NotFound

    revision = article.revisions.select_related("author").filter(number=number).first()
    if revision is None:
        raise NotFound("no such revision")
    return revision


def resolved_counts(article_ids: list[int]) -> dict[int, int]:
    """How many distinct tickets each article resolved (or was written from). One query."""
    rows = (
        ArticleTicketLink.objects.filter(article_id__in=article_ids)
        .values("article_id")
        .annotate(n=Count("ticket_id", distinct=True))
    )
    return {row["article_id"]: row["n"] for row in rows}


def ticket_links(*, ticket_id: int) -> list[ArticleTicketLink]:
    return list(ArticleTicketLink.objects.filter(ticket_id=ticket_id).select_related("article"))


def article_tickets(*, user: Any, article: Article, limit: int = 20) -> list[Any]:
    """The tickets linked to ``article`` that ``user`` may see (agents only)."""
    from helpline.tickets.access import visible_tickets_filter
    from helpline.tickets.models import Ticket

    if not access.is_agent(user):
        return []
    ids = ArticleTicketLink.objects.filter(article=article).values("ticket_id")
    return list(
        Ticket.objects.filter(visible_tickets_filter(user), pk__in=ids).order_by("-id")[:limit]
    )
