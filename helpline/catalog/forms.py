"""Forms of the catalog request and the guide's final step, built from the request type's
extra fields and the guide's required fields. Required-ness is the service's to judge: the
fields only carry the HTML ``required`` hint."""

from __future__ import annotations

from typing import Any

from django import forms

from helpline.catalog.intake import ANSWERS, FIELD_LABELS
from helpline.catalog.models import Guide, RequestType


def _text(label: str, *, required: bool, rows: int = 0, max_length: int = 2000) -> forms.Field:
    attrs: dict[str, Any] = {"required": True} if required else {}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return forms.CharField(
        label=label, max_length=max_length, required=False, strip=True, widget=widget
    )


class IntakeTicketForm(forms.Form):
    """Subject and description, then the guide's and the request type's extra questions."""

    subject = _text("Subject", required=True, max_length=250)
    description = _text("Anything else we should know?", required=False, rows=4)

    def __init__(
        self,
        *args: Any,
        guide: Guide | None = None,
        request_type: RequestType | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.extra_names: list[str] = []
        required = list(guide.required_fields if guide else [])
        for name, label in FIELD_LABELS.items():
            if name in required:
                rows = 3 if name == "error_message" else 0
                self.fields[name] = _text(label, required=True, rows=rows)
                self.extra_names.append(name)
        for spec in (request_type.extra_fields if request_type else []) or []:
            name = str(spec.get("name", ""))
            if not name or name in self.fields:
                continue
            self.fields[name] = _text(
                str(spec.get("label") or name), required=bool(spec.get("required"))
            )
            self.extra_names.append(name)
        self.fields["trail"] = forms.CharField(required=False, widget=forms.HiddenInput)

    def collected(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in self.extra_names}


class AnswerForm(forms.Form):
    step = forms.IntegerField(min_value=1, max_value=2**62)
    answer = forms.ChoiceField(choices=[(a, a) for a in (*ANSWERS, "solved")])
    trail = forms.CharField(required=False, max_length=2000)
