"""Forms of the time panel. They parse; the services judge (minutes range, own entries)."""

from __future__ import annotations

from typing import Any

from django import forms

from helpline.timetrack.models import ActivityType


class _WithActivity(forms.Form):
    activity = forms.ModelChoiceField(
        label="Activity", queryset=ActivityType.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, activities: list[ActivityType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["activity"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ActivityType.objects.filter(is_active=True)
        # Render the choices from the list already read, not with another query.
        field.choices = [(a.pk, a.name) for a in activities]


class TimeEntryForm(_WithActivity):
    minutes = forms.IntegerField(label="Minutes", min_value=1, max_value=24 * 60)
    note = forms.CharField(label="Note", required=False, max_length=500)
    work_date = forms.DateField(
        label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    field_order = ["minutes", "activity", "note", "work_date"]


class ReplyTimeForm(_WithActivity):
    """Time spent on one of the agent's replies."""

    minutes = forms.IntegerField(label="Time spent (minutes)", min_value=1, max_value=24 * 60)
    entry = forms.IntegerField(widget=forms.HiddenInput)
    field_order = ["minutes", "activity", "entry"]


class TimerStopForm(_WithActivity):
    note = forms.CharField(label="Note", required=False, max_length=500)
