"""Forms of the knowledge base pages. They parse input; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms

from helpline.kb.models import KbCategory, Visibility


class ArticleForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"required": True}),
    )
    body = forms.CharField(
        label="Body (Markdown)",
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 16, "required": True}),
    )
    keywords = forms.CharField(
        label="Keywords", max_length=300, required=False, help_text="Comma-separated."
    )
    category = forms.ModelChoiceField(
        label="Category", queryset=KbCategory.objects.all(), required=False, empty_label="None"
    )
    visibility = forms.ChoiceField(label="Visibility", choices=Visibility.choices)
    note = forms.CharField(label="What changed? (for the history)", max_length=300, required=False)

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("note", None)
        return data


class HelpfulForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")], coerce=lambda value: value == "yes"
    )
