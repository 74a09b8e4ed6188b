"""Small display helpers for the web templates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from django import template
from django.forms import BoundField
from django.template.loader import get_template
from django.utils import dateformat, timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe

from helpline.web.markup import conditional_escape, format_html

register = template.Library()

_ACTION_LABELS = {
    "create": "Created",
    "reply": "Replied",
    "customer_message": "Customer wrote",
    "note": "Internal note",
    "take": "Taken",
    "assign": "Assigned",
    "escalate": "Escalated",
    "update": "Edited",
    "pend": "Pending",
    "hold": "On hold",
    "resume": "Resumed",
    "resolve": "Resolved",
    "reopen": "Reopened",
    "close": "Closed",
}


@register.filter
def audit_action(action: str) -> str:
    """'ticket.escalate' → 'Escalated'."""
    verb = action.rpartition(".")[2]
    return _ACTION_LABELS.get(verb, verb.replace("_", " ").capitalize())


@register.filter
def audit_value(value: Any) -> str:
    """A before/after value of the audit record, as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("name", value.get("id", "")))
    if isinstance(value, list):
        return ", ".join(audit_value(item) for item in value) or "—"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return dateformat.format(moment, "j M Y, H:i")
    return str(value).replace("_", " ")


@register.filter
def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _day_month_time(local: datetime) -> str:
    """``j M, H:i``."""
    return f"{local.day} {str(MONTHS_3[local.month]).title()}, {local.hour:02d}:{local.minute:02d}"


def _day_month_year_time(local: datetime) -> str:
    """``j M Y, H:i``."""
    month = str(MONTHS_3[local.month]).title()
    return f"{local.day} {month} {local.year}, {local.hour:02d}:{local.minute:02d}"


# Date formats written out: Django's dateformat took ~85 µs a <time>, ~30 µs these; a thread
# page has a hundred of them. Any other format goes through dateformat.
_WRITTEN_OUT = {"j M, H:i": _day_month_time, "j M Y, H:i": _day_month_year_time}


def time_element(moment: datetime, format: str) -> SafeString:
    """``<time datetime="{c}">{format}</time>`` for ``moment`` in the active time zone: what
    ``<time datetime="{{ m|date:'c' }}">{{ m|date:format }}</time>`` gives."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    written = _WRITTEN_OUT.get(format)
    text = written(local) if written else dateformat.format(local, format)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), text)


@register.simple_tag
def time_tag(moment: datetime, format: str) -> SafeString:
    """``{% time_tag entry.created_at "j M Y, H:i" %}``: see ``time_element``."""
    return time_element(moment, format)


@register.simple_tag
def field_row(field: BoundField) -> SafeString:
    """A form field with its label, help text and errors: the HTML of
    web/includes/field.html (its reference, held to it by the tests), written in Python
    because an include cost ~0.2 ms a field and the agent's ticket page has fourteen."""
    errors = field.errors
    fieldset = field.use_fieldset
    label = conditional_escape(field.label)
    auto_id = field.auto_id
    parts = [
        '<div class="field',
        " has-error" if errors else "",
        " field-choices" if fieldset else "",
        '">\n  \n',
    ]
    if fieldset:
        parts.append(
            f"    <fieldset>\n      <legend>{label}</legend>\n      {field}\n    </fieldset>\n"
        )
    else:
        parts.append(
            f'    <label for="{conditional_escape(field.id_for_label)}">{label}</label>\n'
            f"    {field}\n"
        )
    parts.append("  \n  ")
    if field.help_text:
        named = f' id="{conditional_escape(auto_id)}_helptext"' if auto_id else ""
        parts.append(f'<small class="help"{named}>{conditional_escape(field.help_text)}</small>')
    parts.append("\n  ")
    if errors:
        named = f' id="{conditional_escape(auto_id)}_error"' if auto_id else ""
        parts.append(f"<div{named}>")
        parts.extend(
            # An ErrorList iterates over its messages (the stubs say ValidationError too).
            f'<p class="field-error">{conditional_escape(cast(str, error))}</p>'
            for error in errors
        )
        parts.append("</div>")
    parts.append("\n</div>\n")
    return mark_safe("".join(parts))  # every value above went through conditional_escape


_ENTRY_LABELS = {
    "note": '<span class="label label-note">Internal note</span>',
    "reply": '<span class="label label-reply">Support</span>',
}


@register.simple_tag(takes_context=True)
def thread_items(context: template.Context, entries: Sequence[Any]) -> SafeString:
    """The ``<li>`` of each thread entry: the HTML of web/includes/entry.html (its reference,
    held to it by the tests) for each, written in Python because that template cost ~0.1 ms
    an entry. Needs ``ticket`` in the context (the attachments' links)."""
    parts = []
    for entry in entries:
        if entry.kind == "event":
            parts.append(
                format_html(
                    '<li class="entry-event" id="entry-{}">\n  <span>{}</span>\n  {}\n</li>\n',
                    entry.pk,
                    entry.body,
                    time_element(entry.created_at, "j M, H:i"),
                )
            )
            continue
        author = entry.author
        files = getattr(entry, "files", None)
        parts.append(
            format_html(
                '<li class="entry entry-{}" id="entry-{}">\n  <header class="entry-head">\n'
                "    {}\n    <strong>{}</strong>\n    {}\n  </header>\n"
                '  <div class="prose">{}</div>\n  {}\n</li>\n',
                entry.kind,
                entry.pk,
                mark_safe(_ENTRY_LABELS.get(entry.kind, "")),
                (author.display_name if author is not None else "") or "Helpline",
                time_element(entry.created_at, "j M Y, H:i"),
                mark_safe(entry.body_html),  # sanitized when it was stored
                _files(context, files) if files else "",
            )
        )
    return mark_safe("".join(parts))  # every value above went through format_html


def _files(context: template.Context, files: Sequence[Any]) -> SafeString:
    """web/includes/files.html for an entry's attachments (few entries have any)."""
    written = get_template("web/includes/files.html").render(
        {"files": files, "ticket": context.get("ticket")}
    )
    return mark_safe(written)  # a template's output, escaped by it
