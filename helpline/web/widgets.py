"""Form widgets written in Python where Django's templates cost too much.

Django renders a ``<select>`` through one template include per ``<option>``; the agent's
ticket page has about a hundred options across its assign and escalate forms, and those
includes cost about a tenth of the page's CPU. ``QuickSelect`` writes the same HTML (the tests
compare it with Django's, byte for byte) from the same widget context.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


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
    without a template include per option."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',  # as the option template
                    str(option["value"]),
                    _attrs(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every value above went through format_html
