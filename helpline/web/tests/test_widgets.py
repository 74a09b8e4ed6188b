"""QuickSelect and FormRenderer write the HTML Django's widgets write from their templates, byte
for byte."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from helpline.web.widgets import _INPUTS, FormRenderer, QuickSelect

CHOICES = [("", 'Pick <one> & "go"'), (1, "Alice"), (2, "Bob's")]
GROUPED = [("Level <2>", [(1, "Alice"), (2, "Bob")]), (3, "Carol")]
NONES = [(None, "Nobody"), ("Group", [(None, "Inner none"), (4, gettext_lazy("Dan"))])]
ATTRS = {"id": "id_agent", "required": True, "disabled": False, "data-note": 'a"b<c'}


@pytest.mark.parametrize("value", [None, "", 1, "2", 3, 4, "None", [1, 2]])
@pytest.mark.parametrize("attrs", [None, ATTRS])
@pytest.mark.parametrize("choices", [CHOICES, GROUPED, NONES, []])
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


INPUT_WIDGETS = [
    forms.TextInput,
    forms.HiddenInput,
    forms.EmailInput,
    forms.NumberInput,
    lambda: forms.PasswordInput(render_value=True),
    forms.URLInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.FileInput,
    forms.CheckboxInput,
    forms.Textarea,
    *(
        getattr(forms, name)
        for name in ("SearchInput", "TelInput", "ColorInput")
        if hasattr(forms, name)
    ),
]
VALUES = [
    None,
    "",
    'a<b & "c"\nline',
    mark_safe("<b>bold</b>"),
    5,
    0,
    1.5,
    ("x", 1),
    gettext_lazy("Yes"),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
@pytest.mark.parametrize("attrs", [None, ATTRS])
@pytest.mark.parametrize("make", INPUT_WIDGETS)
def test_the_form_renderer_writes_what_djangos_widget_templates_write(
    make: Any, attrs: dict[str, Any] | None, value: Any
) -> None:
    widget = make()
    expected = widget.render("body", value, attrs, renderer=DjangoTemplates())
    # A textarea with a value other than text is left to Django's template.
    written = not isinstance(widget, forms.Textarea) or isinstance(value, str | None)

    renderer = _WrittenOnly() if written else FormRenderer()
    assert widget.render("body", value, attrs, renderer=renderer) == expected


class _WrittenOnly(FormRenderer):
    """Fails on any template read: what it renders was written in Python."""

    def get_template(self, template_name: str) -> Any:
        raise AssertionError(f"{template_name} was read as a template")


def test_every_template_the_form_renderer_writes_is_one_of_djangos() -> None:
    templates = DjangoTemplates()
    for name in sorted(_INPUTS):
        assert templates.get_template(name) is not None


def test_the_site_renders_forms_with_the_form_renderer() -> None:
    assert isinstance(get_default_renderer(), FormRenderer)
