"""An article's lifecycle: draft → published → archived, and back. Pure: no ORM."""

from __future__ import annotations

from enum import StrEnum


class ArticleAction(StrEnum):
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    ARCHIVE = "archive"
    RESTORE = "unarchive"


# (from status, action) → to status
TRANSITIONS: dict[tuple[str, ArticleAction], str] = {
    ("draft", ArticleAction.PUBLISH): "published",
    ("draft", ArticleAction.ARCHIVE): "archived",
    ("published", ArticleAction.UNPUBLISH): "draft",
    ("published", ArticleAction.ARCHIVE): "archived",
    ("archived", ArticleAction.RESTORE): "draft",
}


def next_status(status: str, action: ArticleAction | str) -> str | None:
    """The status after ``action``, or None when it cannot be taken from ``status``."""
    try:
        action = ArticleAction(action)
    except ValueError:
        return None
    return TRANSITIONS.get((status, action))


def actions_from(status: str) -> list[str]:
    return [action.value for (source, action) in TRANSITIONS if source == status]
