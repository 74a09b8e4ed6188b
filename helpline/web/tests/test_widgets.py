"""QuickSelect writes the HTML Django's Select writes from its templates, byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from helpline.web.widgets import QuickSelect

CHOICES = [("", 'Pick <one> & "go"'), (1, "Alice"), (2, "Bob's")]
GROUPED = [("Level <2>", [(1, "Alice"), (2, "Bob")]), (3, "Carol")]
ATTRS = {"id": "id_agent", "required": True, "disabled": False, "data-note": 'a"b<c'}


@pytest.mark.parametrize("value", [None, "", 1, "2", 3, [1, 2]])
@pytest.mark.parametrize("attrs", [None, ATTRS])
@pytest.mark.parametrize("choices", [CHOICES, GROUPED, []])
def test_quick_select_renders_what_django_select_renders(
    choices: list[Any], value: Any, attrs: dict[str, Any] | None
) -> None:
    expected = forms.Select(choices=choices).render("agent", value, attrs)

    assert QuickSelect(choices=choices).render("agent", value, attrs) == expected


def test_a_form_field_with_quick_select_escapes_labels_and_marks_the_choice() -> None:
    class Form(forms.Form):
        agent = forms.ChoiceField(choices=CHOICES, widget=QuickSelect)

    html = str(Form(initial={"agent": 2})["agent"])

    assert '<option value="2" selected>Bob&#x27;s</option>' in html
    assert "Pick &lt;one&gt; &amp; &quot;go&quot;" in html
    assert '<select name="agent" required id="id_agent">' in html
