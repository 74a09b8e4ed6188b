"""Forms of the web UI. They only parse input: the rules (what is required to resolve, who may
be assigned, how long a subject may be) live in the services, whose DomainError fields are
copied back onto these forms by ``add_domain_error``.

Text fields that a service requires are ``required=False`` here but carry the HTML
``required`` attribute, so a browser asks before sending and the service stays the one judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from helpline.accounts.models import User, language_choices
from helpline.core.errors import DomainError
from helpline.directory.models import Department, HelpTopic
from helpline.web.widgets import QuickSelect

# The customer is asked plain questions; the answers are the ticket's impact and urgency.
IMPACT_CHOICES = [
    ("low", "Just me"),
    ("medium", "My team"),
    ("high", "The whole organisation"),
]
URGENCY_CHOICES = [
    ("low", "It can wait: I can work around it"),
    ("medium", "Soon: it is slowing work down"),
    ("high", "Now: work has stopped"),
]
LEVEL_CHOICES = [("", "Keep the level"), ("1", "Level 1"), ("2", "Level 2"), ("3", "Level 3")]

# Service error field names that differ from the form field they belong to.
_FIELD_ALIASES = {"help_topic_id": "help_topic", "to_level": "level", "resolution": None}


def _text(*, label: str, max_length: int | None = None, rows: int = 0, required_hint: bool) -> Any:
    attrs: dict[str, Any] = {"required": True} if required_hint else {}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return forms.CharField(
        label=label, max_length=max_length, required=False, strip=True, widget=widget
    )


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's field errors on the matching form fields, the rest on the form."""
    placed = False
    for name, message in error.fields.items():
        field = _FIELD_ALIASES.get(name, name)
        if field in form.fields:
            form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (the limits are the service's); cleans to a list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class _ChoiceOfObjects(forms.TypedChoiceField):
    """A select over objects the view already loaded; cleans to the object (or None)."""

    def __init__(self, *, empty: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", QuickSelect)
        super().__init__(coerce=int, required=False, empty_value=None, **kwargs)
        self.empty = empty
        self.objects: dict[int, Any] = {}

    def set_objects(self, objects: Iterable[Any], label: Any = str) -> None:
        self.objects = {obj.pk: obj for obj in objects}
        self.choices = [("", self.empty)] + [(pk, label(o)) for pk, o in self.objects.items()]

    def clean(self, value: Any) -> Any:
        pk = super().clean(value)
        return None if pk is None else self.objects[pk]


class LoginForm(AuthenticationForm):
    """Email and password; the email is matched case-insensitively, as it is stored."""

    username = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class ProfileForm(forms.Form):
    """A person's own name and language; the service validates both again."""

    name = forms.CharField(label="Name", max_length=200, strip=True)
    language = forms.ChoiceField(
        label="Language", help_text="The language of the mail Helpline sends you."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()  # type: ignore[attr-defined]


class TicketNewForm(forms.Form):
    help_topic = _ChoiceOfObjects(label="What do you need help with?", empty="Choose a topic…")
    subject = _text(label="Subject", max_length=250, required_hint=True)
    description = _text(label="Describe the problem", rows=6, required_hint=True)
    impact = forms.ChoiceField(
        label="How many people are affected?",
        choices=IMPACT_CHOICES,
        initial="low",
        widget=forms.RadioSelect,
    )
    urgency = forms.ChoiceField(
        label="How urgent is it?",
        choices=URGENCY_CHOICES,
        initial="medium",
        widget=forms.RadioSelect,
    )
    device = _text(label="Device (optional)", max_length=200, required_hint=False)
    location = _text(label="Where are you? (optional)", max_length=200, required_hint=False)
    attachments = MultipleFileField(label="Attachments (optional)")

    def __init__(self, *args: Any, topics: Sequence[HelpTopic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["help_topic"].set_objects(  # type: ignore[attr-defined]
            topics, lambda t: f"{t.name}: {t.description}" if t.description else t.name
        )
        self.fields["device"].widget.attrs["placeholder"] = "e.g. laptop LT-0423, office printer"
        self.fields["location"].widget.attrs["placeholder"] = "e.g. Building B, room 2.14"


class ReplyForm(forms.Form):
    body = _text(label="Your reply", rows=5, required_hint=True)
    attachments = MultipleFileField(label="Attachments")


class NoteForm(forms.Form):
    body = _text(label="Internal note", rows=4, required_hint=True)


class ReasonForm(forms.Form):
    """Reopen (reason required by the service), pend and hold (reason optional)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = _text(label="Reason", rows=2, required_hint=False)

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reason_required:
            self.fields["reason"].widget.attrs["required"] = True


class VersionForm(forms.Form):
    """Actions without input (close, resume): only the version the user was looking at."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ResolveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    problem_identified = _text(label="Problem identified", rows=2, required_hint=True)
    action_taken = _text(label="Action taken", rows=2, required_hint=True)
    confirmation = _text(label="Confirmation", rows=2, required_hint=False)
    next_steps = _text(label="Next steps", rows=2, required_hint=False)


def _agent_label(agent: User) -> str:
    level = f"L{agent.support_level}" if agent.support_level else "admin"
    return f"{agent.display_name} ({level})"


class AssignForm(forms.Form):
    assignee = _ChoiceOfObjects(label="Assign to", empty="Nobody (back to the queue)")

    def __init__(self, *args: Any, agents: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].set_objects(agents, _agent_label)  # type: ignore[attr-defined]


class EscalateForm(forms.Form):
    level = forms.TypedChoiceField(
        label="To support level",
        choices=LEVEL_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        widget=QuickSelect,
    )
    department = _ChoiceOfObjects(label="To department", empty="Keep the department")
    agent = _ChoiceOfObjects(label="To agent", empty="Pick automatically")
    note = _text(label="Why? (internal note)", rows=3, required_hint=True)

    def __init__(
        self,
        *args: Any,
        departments: Sequence[Department],
        agents: Sequence[User],
        departments_of: Mapping[int, Sequence[Department]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``departments_of``: each agent's departments by agent id, if the caller has them
        at hand; else read from ``agent.departments``."""
        super().__init__(*args, **kwargs)
        self.fields["department"].set_objects(departments)  # type: ignore[attr-defined]
        if departments_of is None:
            departments_of = {agent.pk: list(agent.departments.all()) for agent in agents}
        self.fields["agent"].set_objects(  # type: ignore[attr-defined]
            agents,
            lambda a: f"{_agent_label(a)}: {', '.join(d.name for d in departments_of[a.pk])}",
        )
