"""Forms for email templates (admin) and notification preferences (agent workspace)."""

from __future__ import annotations

from typing import Any

from django import forms

from helpline.notifications.models import EmailTemplate
from helpline.notifications.registry import EVENTS
from helpline.notifications.templating import template_errors

EVENT_CHOICES = [(key, f"{event.label} ({key})") for key, event in EVENTS.items()]


class EmailTemplateForm(forms.ModelForm):
    """Refuses a template that does not parse, uses a variable its event does not offer, or
    fails to render with the event's example context."""

    event = forms.ChoiceField(choices=EVENT_CHOICES)

    class Meta:
        model = EmailTemplate
        fields = ["event", "language", "subject", "text", "html"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        event = cleaned.get("event")
        if event and all(name in cleaned for name in ("subject", "text")):
            errors = template_errors(
                event,
                subject=cleaned["subject"],
                text=cleaned["text"],
                html=cleaned.get("html") or "",
            )
            for name, message in errors.items():
                self.add_error(name if name in self.fields else None, message)
        return cleaned


class PreferencesForm(forms.Form):
    """One email and one in-app checkbox per agent event: ``<event>__email``,
    ``<event>__in_app``."""

    def __init__(self, *args: Any, preferences: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = []
        for pref in preferences:
            email = forms.BooleanField(required=False, initial=pref.email, label="Email")
            in_app = forms.BooleanField(required=False, initial=pref.in_app, label="In the app")
            self.fields[f"{pref.event}__email"] = email
            self.fields[f"{pref.event}__in_app"] = in_app
            self.rows.append((pref, self[f"{pref.event}__email"], self[f"{pref.event}__in_app"]))

    def changes(self) -> dict[str, dict[str, bool]]:
        result: dict[str, dict[str, bool]] = {}
        for name, value in self.cleaned_data.items():
            event, channel = name.split("__")
            result.setdefault(event, {})[channel] = bool(value)
        return result
