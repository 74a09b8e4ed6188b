"""The knowledge base: articles (list with filters and search, read, write with revisions,
publish) and categories. A customer only ever sees published public articles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from helpline.api.v1.auth import caller
from helpline.api.v1.schemas import ERRORS
from helpline.core.errors import NotFound, ValidationFailed
from helpline.kb import access, selectors, services
from helpline.kb.models import Article, KbCategory

router = Router(tags=["knowledge base"])

MAX_LIMIT = 100


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    parent_id: int | None
    description: str


class CategoryList(Schema):
    items: list[CategoryOut]


class ArticleSummary(Schema):
    id: int
    slug: str
    title: str
    visibility: str
    status: str
    category_id: int | None
    keywords: list[str]
    updated_at: datetime
    snippet: str | None = Field(None, description="With `q`: escaped text, <mark> around hits.")
    rank: float | None = None


class ArticleOut(ArticleSummary):
    body: str
    body_html: str
    owner: str
    revision: int
    helpful_yes: int
    helpful_no: int
    tickets_resolved: int | None = Field(None, description="Agents only.")
    published_at: datetime | None


class ArticleList(Schema):
    items: list[ArticleSummary]


class ArticleIn(Schema):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=200_000)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    category_id: int | None = None
    visibility: Literal["internal", "public"] = "internal"
    note: str = Field("", max_length=300)


class ArticlePatch(Schema):
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=200_000)
    keywords: list[str] | None = Field(None, max_length=50)
    category_id: int | None = None
    visibility: Literal["internal", "public"] | None = None
    note: str = Field("", max_length=300)


class RevisionOut(Schema):
    number: int
    title: str
    author: str | None
    created_at: datetime
    note: str


class RevisionList(Schema):
    items: list[RevisionOut]


class ArticleFilters(Schema):
    q: str = Field("", max_length=200)
    status: Literal["draft", "published", "archived"] | None = None
    visibility: Literal["internal", "public"] | None = None
    category_id: int | None = Field(None, ge=1, le=2**62)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


def _keywords(article: Article) -> list[str]:
    return [word.strip() for word in article.keywords.split(",") if word.strip()]


def _summary(article: Article, **extra: Any) -> ArticleSummary:
    return ArticleSummary(
        id=article.pk,
        slug=article.slug,
        title=article.title,
        visibility=article.visibility,
        status=article.status,
        category_id=article.category_id,
        keywords=_keywords(article),
        updated_at=article.updated_at,
        **extra,
    )


def _article_out(user: Any, article: Article) -> ArticleOut:
    resolved = (
        selectors.resolved_counts([article.pk]).get(article.pk, 0)
        if access.is_agent(user)
        else None
    )
    return ArticleOut(
        **_summary(article).dict(),
        body=article.body,
        body_html=article.body_html,
        owner=article.owner.display_name,
        revision=article.revision_count,
        helpful_yes=article.helpful_yes,
        helpful_no=article.helpful_no,
        tickets_resolved=resolved,
        published_at=article.published_at,
    )


def _category(category_id: int | None) -> KbCategory | None:
    if category_id is None:
        return None
    found = KbCategory.objects.filter(pk=category_id).first()
    if found is None:
        raise ValidationFailed("unknown category", fields={"category_id": "unknown"})
    return found


def _editable(user: Any, article_id: int) -> Article:
    article = selectors.article_get(user=user, pk=article_id)
    access.check_can_edit(user)
    return article


@router.get("/kb/articles", response={200: ArticleList, **ERRORS})
def article_list(request: HttpRequest, filters: Annotated[ArticleFilters, Query()]) -> ArticleList:
    """Articles you may read, newest first; with `q`, the best matches first (the search box
    language: words, "phrases", -excluded)."""
    user = caller(request)
    articles = selectors.articles_for(
        user=user,
        status=filters.status,
        visibility=filters.visibility,
        category=_category(filters.category_id),
    )
    if not filters.q.strip():
        page = articles.order_by("-updated_at", "-id")[: filters.limit]
        return ArticleList(items=[_summary(article) for article in page])
    hits = selectors.search_articles(user=user, query=filters.q, limit=filters.limit)
    by_id = articles.in_bulk([hit.id for hit in hits])
    return ArticleList(
        items=[
            _summary(by_id[hit.id], snippet=str(hit.snippet), rank=hit.rank)
            for hit in hits
            if hit.id in by_id
        ]
    )


@router.get("/kb/articles/{int:article_id}", response={200: ArticleOut, **ERRORS})
def article_get(request: HttpRequest, article_id: int) -> ArticleOut:
    user = caller(request)
    return _article_out(user, selectors.article_get(user=user, pk=article_id))


@router.post("/kb/articles", response={201: ArticleOut, **ERRORS})
def article_create(request: HttpRequest, payload: ArticleIn) -> Status[ArticleOut]:
    """A new draft (agents and admins)."""
    user = caller(request)
    access.check_can_edit(user)
    article = services.article_create(
        actor=user,
        title=payload.title,
        body=payload.body,
        keywords=payload.keywords,
        category=_category(payload.category_id),
        visibility=payload.visibility,
        note=payload.note,
    )
    return Status(201, _article_out(user, article))


@router.patch("/kb/articles/{int:article_id}", response={200: ArticleOut, **ERRORS})
def article_update(request: HttpRequest, article_id: int, payload: ArticlePatch) -> ArticleOut:
    """Change the fields sent; a change adds a revision."""
    user = caller(request)
    article = _editable(user, article_id)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    note = changes.pop("note", "")
    if "category_id" in changes:
        changes["category"] = _category(changes.pop("category_id"))
    for key in ("title", "body", "visibility"):
        if key in changes and changes[key] is None:
            raise ValidationFailed(f"{key} cannot be null", fields={key: "required"})
    article = services.article_update(actor=user, article=article, note=note, **changes)
    return _article_out(user, selectors.article_get(user=user, pk=article.pk))


@router.get("/kb/articles/{int:article_id}/revisions", response={200: RevisionList, **ERRORS})
def revision_list(request: HttpRequest, article_id: int) -> RevisionList:
    """The revision history (agents and admins)."""
    user = caller(request)
    article = selectors.article_get(user=user, pk=article_id)
    if not access.is_agent(user):
        raise NotFound("no such article")
    return RevisionList(
        items=[
            RevisionOut(
                number=rev.number,
                title=rev.title,
                author=rev.author.display_name if rev.author else None,
                created_at=rev.created_at,
                note=rev.note,
            )
            for rev in selectors.revisions(article=article)
        ]
    )


@router.post(
    "/kb/articles/{int:article_id}/{action}",
    response={200: ArticleOut, **ERRORS},
)
def article_action(
    request: HttpRequest,
    article_id: int,
    action: Literal["publish", "unpublish", "archive", "unarchive"],
) -> ArticleOut:
    """Publish (may need an admin or department manager), unpublish, archive, unarchive."""
    user = caller(request)
    article = _editable(user, article_id)
    services.article_transition(actor=user, article=article, action=action)
    return _article_out(user, selectors.article_get(user=user, pk=article.pk))


@router.get("/kb/categories", response={200: CategoryList, **ERRORS})
def category_list(request: HttpRequest) -> CategoryList:
    caller(request)
    return CategoryList(
        items=[
            CategoryOut(
                id=c.pk,
                name=c.name,
                slug=c.slug,
                parent_id=c.parent_id,
                description=c.description,
            )
            for c in selectors.categories()
        ]
    )
