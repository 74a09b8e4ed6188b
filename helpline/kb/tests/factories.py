"""Factories for knowledge base tests: articles are made through the services."""

from __future__ import annotations

import itertools
from typing import Any

from helpline.kb import services
from helpline.kb.models import Article

_seq = itertools.count(1)


def article(
    *,
    author: Any,
    status: str = "published",
    visibility: str = "public",
    **fields: Any,
) -> Article:
    """An article by ``author`` (an agent), moved to ``status`` through the services."""
    fields.setdefault("title", f"Article {next(_seq)}")
    fields.setdefault("body", "Some helpful text.")
    made = services.article_create(actor=author, visibility=visibility, **fields)
    if status in ("published", "archived"):
        made = services.article_transition(actor=author, article=made, action="publish")
    if status == "archived":
        made = services.article_transition(actor=author, article=made, action="archive")
    return made
