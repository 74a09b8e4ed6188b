"""helpline.web.markup gives what django.utils.html gives."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import html as django_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from helpline.web import markup

VALUES: list[Any] = [
    "plain",
    "<script>alert(\"x\") & 'y'</script>",
    mark_safe("<b>already safe</b>"),
    gettext_lazy("Open"),
    42,
    3.5,
    None,
    date(2026, 11, 27),
    "",
    "ünïcode — ✓",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_conditional_escape_is_djangos(value: Any) -> None:
    assert markup.conditional_escape(value) == django_html.conditional_escape(value)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_format_html_is_djangos_and_safe(value: Any) -> None:
    template = '<td data-label="{}">{} {}</td>'

    written = markup.format_html(template, value, value, "<&>")

    assert written == django_html.format_html(template, value, value, "<&>")
    assert isinstance(written, SafeString)
