"""Who may read, edit and publish knowledge base articles. The one place these rules live.

- Anonymous visitors (when the admin allows it) and customers read published public articles.
- Agents and admins read published articles of either visibility, and every draft and
  archived article: any agent may edit any article, so they see what they may edit.
- Publishing is for any agent, or only for admins and department managers (KbSettings).

An article a user may not read does not exist for them (NotFound), so slugs cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from helpline.core.errors import NotFound, PermissionDenied
from helpline.kb.models import Article, ArticleStatus, KbSettings, PublishPermission, Visibility


def is_agent(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_agent)


def readable_filter(user: Any) -> Q:
    """A Q (on Article) selecting the articles ``user`` (maybe anonymous) may read."""
    if is_agent(user):
        return Q()
    return Q(status=ArticleStatus.PUBLISHED, visibility=Visibility.PUBLIC)


def searchable_filter(user: Any) -> Q:
    """What a search may return: what the user may read, archived articles left out."""
    if is_agent(user):
        return Q(status__in=[ArticleStatus.PUBLISHED, ArticleStatus.DRAFT])
    return readable_filter(user)


def searchable_sql(user: Any) -> tuple[str, list[Any]]:
    """``searchable_filter`` as SQL over the alias ``a`` of ``kb_article``."""
    if is_agent(user):
        return "a.status IN (%s, %s)", [ArticleStatus.PUBLISHED.value, ArticleStatus.DRAFT.value]
    return "a.status = %s AND a.visibility = %s", [
        ArticleStatus.PUBLISHED.value,
        Visibility.PUBLIC.value,
    ]


def may_read_portal(user: Any, kb_settings: KbSettings) -> bool:
    """Whether ``user`` may read the portal's knowledge pages at all."""
    if user is not None and user.is_authenticated:
        return bool(user.is_active)
    return kb_settings.anonymous_reading


def check_can_read(user: Any, article: Article) -> None:
    if is_agent(user):
        return
    if not article.is_public_published:
        raise NotFound("no such article")


def check_can_edit(user: Any) -> None:
    if not is_agent(user):
        raise PermissionDenied("only the support team can write knowledge base articles")


def can_publish(user: Any, kb_settings: KbSettings) -> bool:
    if not is_agent(user):
        return False
    if kb_settings.publish_permission == PublishPermission.ANY_AGENT or user.is_admin:
        return True
    from helpline.directory.models import Department, DepartmentMembership

    return (
        DepartmentMembership.objects.filter(user=user, is_manager=True).exists()
        or Department.objects.filter(manager=user).exists()
    )


def check_can_publish(user: Any, kb_settings: KbSettings) -> None:
    check_can_edit(user)
    if not can_publish(user, kb_settings):
        raise PermissionDenied("only admins and department managers may publish articles")
