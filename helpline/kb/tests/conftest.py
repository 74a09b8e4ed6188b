from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def articles(desk: Any) -> dict[str, Any]:
    """One article in each reading state, all about printers: public, internal, draft
    (public visibility, unpublished) and archived (public, no longer published)."""
    from helpline.kb.tests.factories import article

    return {
        "public": article(author=desk.l1, title="Printer offline public fix", visibility="public"),
        "internal": article(
            author=desk.l1, title="Printer driver internal notes", visibility="internal"
        ),
        "draft": article(
            author=desk.l1, title="Printer draft guide", visibility="public", status="draft"
        ),
        "archived": article(
            author=desk.l1, title="Printer archived page", visibility="public", status="archived"
        ),
    }
