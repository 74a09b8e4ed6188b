"""Template tags for pages outside this app that show guides (the portal's new-ticket page)."""

from __future__ import annotations

from django import template

from helpline.catalog.models import Guide
from helpline.catalog.selectors import guides_by_topic

register = template.Library()


@register.simple_tag
def intake_guides() -> list[Guide]:
    """The active guides of public help topics (one query)."""
    return list(guides_by_topic().values())
