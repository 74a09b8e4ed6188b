"""The time panel's actions. Each parses one form and calls one service. With htmx the
answer is the refreshed panel (a refusal: the panel with the form's errors and a 4xx); without
JavaScript it redirects back to the ticket, or shows the panel alone with the errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from helpline.accounts.models import User
from helpline.core.errors import DomainError
from helpline.tickets.models import ThreadEntry, Ticket
from helpline.timetrack import selectors, services
from helpline.timetrack.forms import ReplyTimeForm, TimeEntryForm, TimerStopForm
from helpline.timetrack.models import TimeEntry
from helpline.timetrack.panel import panel_context
from helpline.web.forms import add_domain_error
from helpline.web.views.common import agent_required, as_sentence, request_user, ticket_or_404


def _panel(
    request: HttpRequest,
    ticket: Ticket,
    *,
    status: int = 200,
    bound: dict[str, forms.Form] | None = None,
    editing: int | None = None,
) -> HttpResponse:
    context = {
        "show": True,
        **panel_context(request_user(request), ticket, bound=bound, editing=editing),
    }
    template = "web/timetrack/_panel.html" if request.htmx else "web/timetrack/page.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


def _act(
    request: HttpRequest,
    number: int,
    name: str,
    make_form: Callable[[list[Any]], forms.Form],
    perform: Callable[[User, Ticket, dict[str, Any]], str],
    *,
    editing: int | None = None,
) -> HttpResponse:
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    form = make_form(selectors.activity_types())
    if form.is_valid():
        try:
            done = perform(user, ticket, form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            if request.htmx:  # type: ignore[attr-defined]
                return _panel(request, ticket)
            messages.success(request, done)
            return redirect("desk_ticket", number=number)
    else:
        status = 400
    if not request.htmx:  # type: ignore[attr-defined]
        messages.error(request, as_sentence(str(next(iter(form.errors.values()))[0])))
    return _panel(request, ticket, status=status, bound={name: form}, editing=editing)


@agent_required
@require_GET
def panel(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_or_404(request_user(request), number)
    editing = request.GET.get("edit", "")
    return _panel(request, ticket, editing=int(editing) if editing.isdigit() else None)


@agent_required
@require_POST
def log(request: HttpRequest, number: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        entry = services.time_entry_log(
            actor=user,
            ticket=ticket,
            minutes=data["minutes"],
            activity=data["activity"],
            note=data["note"],
            work_date=data["work_date"],
        )
        return f"Logged {entry.minutes} minutes."

    return _act(
        request, number, "log", lambda a: TimeEntryForm(request.POST, activities=a), perform
    )


@agent_required
@require_POST
def log_reply(request: HttpRequest, number: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        reply = ThreadEntry.objects.filter(pk=data["entry"], ticket=ticket).first()
        if reply is None:
            raise Http404("no such reply")
        entry = services.time_entry_log(
            actor=user,
            ticket=ticket,
            minutes=data["minutes"],
            activity=data["activity"],
            entry=reply,
        )
        return f"Logged {entry.minutes} minutes for your reply."

    return _act(
        request, number, "reply", lambda a: ReplyTimeForm(request.POST, activities=a), perform
    )


def _own_entry(ticket: Ticket, entry_id: int) -> TimeEntry:
    time_entry = TimeEntry.objects.filter(pk=entry_id, ticket=ticket).first()
    if time_entry is None:
        raise Http404("no such time entry")
    return time_entry


@agent_required
@require_POST
def edit(request: HttpRequest, number: int, entry_id: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        changes = {k: v for k, v in data.items() if not (k == "work_date" and v is None)}
        services.time_entry_update(
            actor=user, time_entry=_own_entry(ticket, entry_id), changes=changes
        )
        return "Time entry changed."

    return _act(
        request,
        number,
        "edit",
        lambda a: TimeEntryForm(request.POST, activities=a),
        perform,
        editing=entry_id,
    )


@agent_required
@require_POST
def delete(request: HttpRequest, number: int, entry_id: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        services.time_entry_delete(actor=user, time_entry=_own_entry(ticket, entry_id))
        return "Time entry deleted."

    return _act(request, number, "delete", lambda a: forms.Form(request.POST), perform)


@agent_required
@require_POST
def timer_start(request: HttpRequest, number: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        services.timer_start(actor=user, ticket=ticket)
        return "Timer started."

    return _act(request, number, "start", lambda a: forms.Form(request.POST), perform)


@agent_required
@require_POST
def timer_stop(request: HttpRequest, number: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        entry = services.timer_stop(
            actor=user, ticket=ticket, activity=data["activity"], note=data["note"]
        )
        return f"Timer stopped: logged {entry.minutes} minutes."

    return _act(
        request, number, "stop", lambda a: TimerStopForm(request.POST, activities=a), perform
    )


@agent_required
@require_POST
def timer_discard(request: HttpRequest, number: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        services.timer_discard(actor=user, ticket=ticket)
        return "Timer discarded."

    return _act(request, number, "discard", lambda a: forms.Form(request.POST), perform)
