"""The rating form: one choice on the survey's scale and an optional comment."""

from __future__ import annotations

from typing import Any

from django import forms

from helpline.csat import scale
from helpline.csat.services import MAX_COMMENT


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Your rating", coerce=int, widget=forms.RadioSelect, choices=()
    )
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, survey_scale: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["rating"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (str(rating), scale.label(survey_scale, rating))
            for rating in scale.ratings(survey_scale)
        ]


def preselected(survey_scale: str, value: str | None) -> dict[str, str]:
    """Initial data for the confirm page from ``?rating=``; nothing for a value off the scale."""
    try:
        rating = int(value or "")
    except ValueError:
        return {}
    return {"rating": str(rating)} if scale.is_valid(survey_scale, rating) else {}
