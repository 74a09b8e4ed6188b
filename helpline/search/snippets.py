"""Snippets as HTML: the matched text escaped, only the highlight tags left as markup."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpline.search.backends import START_MARK, STOP_MARK

_PIECES = re.compile(f"([{START_MARK}{STOP_MARK}])")
_SPACES = re.compile(r"\s+")


def highlight_html(marked_text: str) -> SafeString:
    """Escape ``marked_text`` and turn its markers into balanced ``<mark>`` tags.

    The markers are private-use characters, so the text being searched could contain them
    too; treating each as "open" or "close" only when that makes sense keeps the tags balanced
    whatever the text holds.
    """
    html: list[str] = []
    inside = False
    for piece in _PIECES.split(_SPACES.sub(" ", marked_text).strip()):
        if piece == START_MARK:
            if not inside:
                html.append("<mark>")
                inside = True
        elif piece == STOP_MARK:
            if inside:
                html.append("</mark>")
                inside = False
        elif piece:
            html.append(escape(piece))
    if inside:
        html.append("</mark>")
    return mark_safe("".join(html))  # every piece of text in it went through escape()
