"""The public SLA page, and an agent's change of a ticket's SLA policy."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpline.core.errors import DomainError
from helpline.sla import selectors
from helpline.sla.calendar import CalendarError
from helpline.sla.models import Policy
from helpline.sla.wording import describe_calendar
from helpline.tickets import services
from helpline.tickets.states import Priority
from helpline.web.views.common import agent_required, as_sentence, request_user, ticket_or_404


@dataclass(frozen=True)
class PolicyRow:
    priority: str
    first_response: int | None
    next_response: int | None
    resolution: int | None


def _rows(policy: Policy) -> list[PolicyRow]:
    targets = {target.priority: target for target in policy.targets.all()}
    return [
        PolicyRow(
            priority=priority.label,
            first_response=targets[priority.value].first_response_minutes,
            next_response=targets[priority.value].next_response_minutes,
            resolution=targets[priority.value].resolution_minutes,
        )
        for priority in Priority
        if priority.value in targets
    ]


def _calendar_words(policy: Policy) -> str:
    try:
        return describe_calendar(policy.calendar.to_business_calendar())
    except CalendarError:
        return "Working hours are being updated."


def sla_public(request: HttpRequest) -> HttpResponse:
    """Each public policy's targets per priority and its calendar in words; anyone may read."""
    policies = [
        {
            "policy": policy,
            "rows": _rows(policy),
            "calendar": _calendar_words(policy),
            "pauses": "on hold" if policy.pause_on_hold else "",
        }
        for policy in selectors.public_policy_list()
    ]
    return render(request, "web/sla.html", {"policies": policies})


class SlaPolicyForm(forms.Form):
    policy = forms.ModelChoiceField(queryset=Policy.objects.all())
    reason = forms.CharField(max_length=5000)
    version = forms.IntegerField(required=False, min_value=1)


@agent_required
@require_POST
def ticket_sla_policy(request: HttpRequest, number: int) -> HttpResponse:
    """Change the ticket's SLA policy; a refusal shows the ticket page again with a 4xx."""
    from helpline.web.views.desk import _render_ticket

    user = request_user(request)
    ticket = ticket_or_404(user, number)
    form = SlaPolicyForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()
        )
        messages.error(request, as_sentence(f"the policy was not changed ({problems})"))
        return _render_ticket(request, ticket, status=400)
    try:
        services.ticket_set_sla_policy(
            actor=user,
            ticket=ticket,
            policy=form.cleaned_data["policy"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as error:
        messages.error(request, as_sentence(error.message))
        return _render_ticket(request, ticket, status=error.status)
    messages.success(request, f"The ticket is under {form.cleaned_data['policy'].name} now.")
    return redirect("desk_ticket", number=number)
