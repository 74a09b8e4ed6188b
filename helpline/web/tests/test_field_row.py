"""{% field_row %} writes what web/includes/field.html writes, byte for byte, and the ids the
widget's aria-describedby names are on the page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from helpline.web.templatetags.helpline_web import field_row


class Every(forms.Form):
    text = forms.CharField(label='Name <&> "x"', help_text="Help <b>", max_length=5)
    note = forms.CharField(widget=forms.Textarea, required=False, label=gettext_lazy("Note"))
    choice = forms.ChoiceField(choices=[(1, "One"), (2, "Two <2>")], widget=forms.RadioSelect)
    many = forms.MultipleChoiceField(
        choices=[("a", "A")],
        widget=forms.CheckboxSelectMultiple,
        help_text=mark_safe("<i>safe</i>"),
    )
    pick = forms.ChoiceField(choices=[("", "—"), ("x", "X")], required=False)
    upload = forms.FileField(required=False)
    agree = forms.BooleanField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)


FORMS = {
    "unbound": lambda: Every(),
    "valid": lambda: Every(data={"text": "ok", "choice": "1", "many": ["a"]}),
    "invalid": lambda: Every(data={"text": "far too long <b>", "choice": "9"}),
    "no ids": lambda: Every(auto_id=False, data={"text": "far too long"}),
    "prefixed": lambda: Every(prefix="p", data={}),
}


@pytest.mark.parametrize("name", list(FORMS))
def test_field_row_writes_the_html_of_the_field_template(name: str) -> None:
    for field in FORMS[name]():
        expected = render_to_string("web/includes/field.html", {"field": field})
        assert field_row(field) == expected, field.name


@pytest.mark.parametrize("name", ["invalid", "prefixed"])
def test_every_id_a_widget_is_described_by_is_on_the_page(name: str) -> None:
    page = "".join(field_row(field) for field in FORMS[name]())
    described: set[Any] = set()
    for value in re.findall(r'aria-describedby="([^"]+)"', page):
        described.update(value.split())

    assert described  # the invalid and required fields name their help and errors
    assert {f"id_{'p-' if name == 'prefixed' else ''}text_helptext"} <= described
    for target in described:
        assert f'id="{target}"' in page
