"""Turn user-written text into HTML that is safe to show.

Bodies are written in Markdown (the reply box) or arrive as HTML (email, API). Either way the
result goes through nh3 with a small allow-list, so no script, style, event handler or
``javascript:`` URL ever reaches a page.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

_ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr",
    "th", "td", "img", "span", "div",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"align"}}

# "js-default" keeps Markdown's own features but refuses raw HTML inside Markdown; links are
# linkified so a pasted URL is clickable.
_markdown = MarkdownIt("js-default", {"linkify": False, "breaks": True, "html": False})


def sanitize_html(html: str) -> str:
    """Strip everything but a small allow-list of tags and attributes from HTML."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> str:
    """Render Markdown to sanitized HTML."""
    return sanitize_html(_markdown.render(text))


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def render_text(text: str) -> str:
    """Render plain text (an email body) as HTML: escaped, blank lines separate paragraphs,
    other line breaks kept. Nothing in it is markup, so a ``#`` or ``*`` in a customer's mail
    shows as written; no sanitizer is needed since every character is escaped."""
    paragraphs = _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").strip())
    return "\n".join(
        "<p>" + html.escape(paragraph).replace("\n", "<br>\n") + "</p>"
        for paragraph in paragraphs
        if paragraph
    )


def render(text: str, text_format: str = "markdown") -> str:
    """Sanitized HTML for ``text`` written in ``text_format`` ("markdown" or "text")."""
    if text_format == "text":
        return render_text(text)
    if text_format != "markdown":
        raise ValueError(f"unknown text format {text_format!r}")
    return render_markdown(text)
