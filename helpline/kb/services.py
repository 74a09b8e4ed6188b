"""The only writers of knowledge base rows. Every change: permission check, row lock,
transition check, a revision where the text changes, and an audit event."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import InvalidTransition, NotFound, ValidationFailed
from helpline.core.html import render_markdown
from helpline.kb import access
from helpline.kb.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleTicketLink,
    KbCategory,
    KbSettings,
    LinkKind,
    PublishPermission,
    Visibility,
)
from helpline.kb.selectors import settings_get
from helpline.kb.states import ArticleAction, next_status

TEXT_FIELDS = ("title", "body", "keywords", "category", "visibility")


def _clean(value: Any, *, field: str, max_length: int, required: bool = True) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationFailed(f"{field} is required", fields={field: "required"})
    if len(text) > max_length:
        raise ValidationFailed(
            f"{field} is longer than {max_length} characters",
            fields={field: f"at most {max_length} characters"},
        )
    return text


def _keywords(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    words = [w.strip().lower() for w in str(value or "").split(",")]
    seen: list[str] = []
    for word in words:
        if word and word not in seen:
            seen.append(word)
    return _clean(", ".join(seen), field="keywords", max_length=300, required=False)


def _visibility(value: Any) -> str:
    if value not in Visibility.values:
        raise ValidationFailed(
            "visibility must be internal or public", fields={"visibility": "invalid"}
        )
    return str(value)


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(title) or "article")[:200]
    slug, n = base, 1
    taken = Article.objects.exclude(pk=exclude_pk) if exclude_pk else Article.objects.all()
    existing = set(taken.filter(slug__startswith=base).values_list("slug", flat=True))
    while slug in existing:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _snapshot(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "keywords": article.keywords,
        "category": article.category,
        "visibility": article.visibility,
        "status": article.status,
        "body_length": len(article.body),
    }


def _add_revision(article: Article, *, actor: Any, note: str = "") -> ArticleRevision:
    """Call while holding the article's row lock (or right after creating it)."""
    article.revision_count += 1
    Article.objects.filter(pk=article.pk).update(revision_count=article.revision_count)
    return ArticleRevision.objects.create(
        article=article,
        number=article.revision_count,
        title=article.title,
        body=article.body,
        keywords=article.keywords,
        category=article.category,
        visibility=article.visibility,
        author=actor if getattr(actor, "pk", None) else None,
        note=note[:300],
    )


def _lock(article: Article) -> Article:
    locked = Article.objects.select_for_update().filter(pk=article.pk).first()
    if locked is None:
        raise NotFound("no such article")
    return locked


def article_create(
    *,
    actor: Any,
    title: str,
    body: str,
    keywords: Any = "",
    category: KbCategory | None = None,
    visibility: str = Visibility.INTERNAL,
    note: str = "",
) -> Article:
    """A new draft article, owned by ``actor``, with its first revision."""
    access.check_can_edit(actor)
    title = _clean(title, field="title", max_length=200)
    body = _clean(body, field="body", max_length=200_000)
    visibility = _visibility(visibility)
    keywords = _keywords(keywords)
    now = clock.now()
    with transaction.atomic():
        article = Article.objects.create(
            title=title,
            slug=_unique_slug(title),
            body=body,
            body_html=render_markdown(body),
            keywords=keywords,
            category=category,
            visibility=visibility,
            status=ArticleStatus.DRAFT,
            owner=actor,
            created_at=now,
            updated_at=now,
        )
        _add_revision(article, actor=actor, note=note or "Created")
        audit_record(actor=actor, action="kb.article.create", obj=article, after=_snapshot(article))
    return article


_UNSET: Any = object()


def article_update(
    *,
    actor: Any,
    article: Article,
    title: Any = _UNSET,
    body: Any = _UNSET,
    keywords: Any = _UNSET,
    category: Any = _UNSET,
    visibility: Any = _UNSET,
    note: str = "",
) -> Article:
    """Change an article's text or metadata: one new revision when anything changed."""
    access.check_can_edit(actor)
    with transaction.atomic():
        article = _lock(article)
        before = _snapshot(article)
        old_body = article.body
        if title is not _UNSET:
            article.title = _clean(title, field="title", max_length=200)
        if body is not _UNSET:
            article.body = _clean(body, field="body", max_length=200_000)
            article.body_html = render_markdown(article.body)
        if keywords is not _UNSET:
            article.keywords = _keywords(keywords)
        if category is not _UNSET:
            article.category = category
        if visibility is not _UNSET:
            article.visibility = _visibility(visibility)
        after = _snapshot(article)
        if before == after and old_body == article.body:
            return article
        article.updated_at = clock.now()
        article.save()
        _add_revision(article, actor=actor, note=note or "Edited")
        audit_record(
            actor=actor, action="kb.article.update", obj=article, before=before, after=after
        )
    return article


def article_transition(*, actor: Any, article: Article, action: str) -> Article:
    """Publish, unpublish, archive or unarchive. Publishing may need a manager (settings)."""
    access.check_can_edit(actor)
    kb_settings = settings_get()
    if action == ArticleAction.PUBLISH:
        access.check_can_publish(actor, kb_settings)
    with transaction.atomic():
        article = _lock(article)
        target = next_status(article.status, action)
        if target is None:
            raise InvalidTransition(f"cannot {action} an article that is {article.status}")
        before = {"status": article.status}
        article.status = target
        article.updated_at = clock.now()
        if target == ArticleStatus.PUBLISHED:
            article.published_at = article.updated_at
        article.save(update_fields=["status", "updated_at", "published_at"])
        audit_record(
            actor=actor,
            action=f"kb.article.{action}",
            obj=article,
            before=before,
            after={"status": target},
        )
    return article


def article_restore_revision(*, actor: Any, article: Article, number: int) -> Article:
    """Make revision ``number``'s text current again, as a new revision."""
    access.check_can_edit(actor)
    revision = ArticleRevision.objects.filter(article=article, number=number).first()
    if revision is None:
        raise NotFound("no such revision")
    return article_update(
        actor=actor,
        article=article,
        title=revision.title,
        body=revision.body,
        keywords=revision.keywords,
        category=revision.category,
        visibility=revision.visibility,
        note=f"Restored revision {number}",
    )


def article_feedback(*, user: Any, article: Article, helpful: bool) -> None:
    """Count one "was this helpful?" answer. ``article`` must be readable by ``user``."""
    access.check_can_read(user, article)
    column = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{column: F(column) + 1})


def article_link_ticket(
    *, actor: Any, article: Article, ticket: Any, kind: str = LinkKind.RESOLVED
) -> ArticleTicketLink:
    """Record that ``article`` resolved ``ticket`` (or was written from it). Idempotent."""
    from helpline.tickets.access import can_see

    access.check_can_edit(actor)
    if kind not in LinkKind.values:
        raise ValidationFailed("unknown link kind", fields={"kind": "invalid"})
    if not can_see(actor, ticket):
        raise NotFound("no such ticket")
    with transaction.atomic():
        link, created = ArticleTicketLink.objects.get_or_create(
            article=article, ticket=ticket, kind=kind, defaults={"created_by": actor}
        )
        if created:
            audit_record(
                actor=actor,
                action="kb.article.link",
                obj=article,
                ticket=ticket,
                after={"article": article, "kind": kind},
                note=f"Knowledge base article: {article.title}",
            )
    return link


def resolution_markdown(ticket: Any) -> str:
    """A draft article body from a ticket's structured resolution."""
    parts = [
        ("Problem", ticket.resolution_problem),
        ("Solution", ticket.resolution_action),
        ("How to confirm it worked", ticket.resolution_confirmation),
        ("Next steps", ticket.resolution_next_steps),
    ]
    sections = [f"## {heading}\n\n{text.strip()}" for heading, text in parts if text.strip()]
    sections.append(f"_Written from the resolution of ticket #{ticket.number}._")
    return "\n\n".join(sections)


def article_from_resolution(*, actor: Any, ticket: Any) -> Article:
    """A draft internal article pre-filled from ``ticket``'s resolution, linked back to it."""
    from helpline.tickets.access import can_see

    access.check_can_edit(actor)
    if not can_see(actor, ticket):
        raise NotFound("no such ticket")
    if not (ticket.resolution_problem.strip() or ticket.resolution_action.strip()):
        raise ValidationFailed(
            "this ticket has no resolution to write up yet", fields={"resolution": "missing"}
        )
    title = ticket.subject[:200]
    with transaction.atomic():
        article = article_create(
            actor=actor,
            title=title,
            body=resolution_markdown(ticket),
            keywords=ticket.category.name if ticket.category_id and ticket.category else "",
            visibility=Visibility.INTERNAL,
            note=f"Written from ticket #{ticket.number}",
        )
        article_link_ticket(actor=actor, article=article, ticket=ticket, kind=LinkKind.SOURCE)
    return article


def category_create(
    *, actor: Any, name: str, parent: KbCategory | None = None, description: str = ""
) -> KbCategory:
    access.check_can_edit(actor)
    name = _clean(name, field="name", max_length=120)
    base = slugify(name) or "category"
    slug, n = base, 1
    while KbCategory.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    try:
        with transaction.atomic():
            category = KbCategory.objects.create(
                name=name, slug=slug, parent=parent, description=description[:300]
            )
            audit_record(
                actor=actor, action="kb.category.create", obj=category, after={"name": name}
            )
    except IntegrityError:
        raise ValidationFailed(
            "a category of that name exists here", fields={"name": "taken"}
        ) from None
    return category


def settings_update(*, actor: Any, **changes: Any) -> KbSettings:
    """Change the portal knowledge settings (admins only)."""
    from helpline.core.errors import PermissionDenied

    if not (access.is_agent(actor) and actor.is_admin):
        raise PermissionDenied("only admins can change the knowledge base settings")
    allowed = {
        "publish_permission",
        "anonymous_reading",
        "sla_article",
        "catalog_article",
        "refuse_outside_catalog",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(f"unknown settings: {', '.join(sorted(unknown))}")
    if (
        "publish_permission" in changes
        and changes["publish_permission"] not in PublishPermission.values
    ):
        raise ValidationFailed(
            "unknown publish permission", fields={"publish_permission": "invalid"}
        )
    with transaction.atomic():
        settings_get()
        kb_settings = KbSettings.objects.select_for_update().get(pk=1)
        before = {key: getattr(kb_settings, key) for key in changes}
        for key, value in changes.items():
            setattr(kb_settings, key, value)
        kb_settings.save()
        audit_record(
            actor=actor, action="kb.settings.update", obj=kb_settings, before=before, after=changes
        )
    return kb_settings
