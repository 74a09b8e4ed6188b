"""Form widgets written in Python where Django's templates cost too much.

Django renders a ``<select>`` through one template include per ``<option>``; the agent's
ticket page has about a hundred options across its assign and escalate forms, and those
includes cost about a tenth of the page's CPU. ``QuickSelect`` writes the same HTML (the tests
compare it with Django's, byte for byte) from the same widget context.

``FormRenderer`` (settings.FORM_RENDERER) does the same for every ``<input>`` and
``<textarea>``: each went through two or three template includes, ~0.1 ms a field, and the
agent's ticket page has sixteen of them. It writes Django's own widget templates' HTML; a
project that overrides those templates must drop it (Helpline overrides none).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import escape
from django.utils.safestring import SafeData, SafeString, mark_safe

from helpline.web.markup import conditional_escape, format_html


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """As django/forms/widgets/attrs.html: ``False`` leaves the attribute out, ``True`` writes
    it bare."""
    return mark_safe(  # each part went through format_html
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


class QuickSelect(forms.Select):
    """``forms.Select`` with the HTML of Django's select.html and select_option.html, written
    without a template include per option, and from the choices themselves: Django's
    ``optgroups`` builds a dict of eleven keys per option (``create_option``), which cost more
    than writing the option."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        # What ChoiceWidget.get_context and optgroups give a Select: its options inherit no
        # attributes, a selected one gets checked_attribute, and only the first match is
        # selected unless the widget allows several.
        assert not self.option_inherits_attrs
        select_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            select_attrs["multiple"] = True
        values = self.format_value(value)
        selected_attrs = _attrs(self.checked_attribute)
        parts: list[str] = [format_html('<select name="{}"{}>', name, _attrs(select_attrs))]
        has_selected = False
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            if isinstance(option_label, (list, tuple)):
                group_name, choices = option_value, option_label
            else:
                group_name, choices = None, [(option_value, option_label)]
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for subvalue, sublabel in choices:
                selected = str(subvalue) in values and (
                    not has_selected or self.allow_multiple_selected
                )
                has_selected |= selected
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',  # as the option template
                        str(subvalue),
                        selected_attrs if selected else "",
                        sublabel,
                    )
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every value above went through format_html


_WIDGETS = "django/forms/widgets/"
# Django's templates that are input.html alone (as text.html is).
_INPUTS = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in (
        "text", "hidden", "email", "number", "password", "url", "search", "tel", "date",
        "datetime", "time", "file", "checkbox", "color",
    )
)  # fmt: skip


def _text(value: Any) -> str:
    """As ``{{ value|stringformat:'s' }}`` in Django's widget templates."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 - the filter's own formatting
    except (ValueError, TypeError):
        return ""
    return text if isinstance(value, SafeData) else escape(text)


def _input(widget: dict[str, Any]) -> str:
    """As django/forms/widgets/input.html."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict[str, Any]) -> str:
    """As django/forms/widgets/textarea.html, for a text value (or none)."""
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


class FormRenderer(DjangoTemplates):
    """Django's default form renderer, with ``<input>`` and ``<textarea>`` widgets written in
    Python (the same HTML as their templates, stripped as ``render`` strips it: see the module
    docstring)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if widget is not None:
            if template_name in _INPUTS or template_name == f"{_WIDGETS}input.html":
                return _input(widget)
            if template_name == f"{_WIDGETS}textarea.html" and isinstance(
                widget["value"], str | None
            ):
                return _textarea(widget)
        return super().render(template_name, context, request)
