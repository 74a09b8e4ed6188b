"""highlight_html: escaped text, balanced <mark> tags, whatever the text holds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.search.backends import START_MARK as S
from helpline.search.backends import STOP_MARK as E
from helpline.search.snippets import highlight_html


@pytest.mark.parametrize(
    ("marked", "html"),
    [
        (f"the {S}printer{E} jams", "the <mark>printer</mark> jams"),
        (f"{S}a{E} & {S}b{E}", "<mark>a</mark> &amp; <mark>b</mark>"),
        (f"<b>{S}x{E}</b>", "&lt;b&gt;<mark>x</mark>&lt;/b&gt;"),
        (f"\"'{S}q{E}'\"", "&quot;&#x27;<mark>q</mark>&#x27;&quot;"),
        (f"line\n\n  {S}two{E}\t end ", "line <mark>two</mark> end"),
        (f"{S}{S}double{E}{E}", "<mark>double</mark>"),
        (f"{E}stray close {S}open", "stray close <mark>open</mark>"),
        ("no match at all", "no match at all"),
        ("", ""),
    ],
)
def test_highlight_html_escapes_text_and_marks_matches(marked, html):
    assert highlight_html(marked) == html


@given(st.text(alphabet=st.sampled_from(["<", ">", "&", '"', "'", "a", " ", S, E]), max_size=40))
def test_the_only_markup_is_balanced_mark_tags(marked):
    html = highlight_html(marked)
    tags = re.findall(r"<[^>]*>", html)
    assert set(tags) <= {"<mark>", "</mark>"}
    assert tags == ["<mark>", "</mark>"] * (len(tags) // 2)
    assert re.sub(r"</?mark>", "", html).count("<") == 0
