"""The customer portal: new ticket, my tickets, a ticket's public thread, reply, confirm or
reopen a resolution. Internal notes cannot reach these pages: the thread comes from
``selectors.ticket_entries``, which leaves them out for customers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpline.catalog import views as catalog_views
from helpline.core.errors import DomainError
from helpline.tickets import access, selectors, services
from helpline.tickets.models import Ticket
from helpline.tickets.states import Status
from helpline.web.forms import ReasonForm, ReplyForm, TicketNewForm, VersionForm
from helpline.web.views.common import (
    as_sentence,
    customer_required,
    distinct_ids,
    refuse,
    refuse_invalid_form,
    request_user,
    ticket_or_404,
    with_current_version,
)

# "open" is everything that still needs someone, including resolved tickets awaiting the
# customer's confirmation.
SHOW = {
    "open": [s.value for s in Status if s is not Status.CLOSED],
    "closed": [Status.CLOSED.value],
    "all": None,
}


@customer_required("desk_queue")
def ticket_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    show = request.GET.get("show", "open")
    status = 200
    page = selectors.Page(items=[], next_cursor=None)
    try:
        page = selectors.ticket_list(
            user=user, status=SHOW.get(show, SHOW["open"]), cursor=request.GET.get("cursor")
        )
    except DomainError as error:
        messages.error(request, as_sentence(error.message))
        status = error.status
    context = {
        "page": page,
        "show": show if show in SHOW else "open",
        "cursor": request.GET.get("cursor"),
        "refused": status != 200,
    }
    return render(request, "web/portal/ticket_list.html", context, status=status)


@customer_required("desk_queue")
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    refusal = catalog_views.refusal_response(request)  # admin: only catalog requests
    if refusal is not None:
        return refusal
    status = 200
    topics = selectors.help_topics_for(user=user)
    if request.method != "POST":
        form = TicketNewForm(topics=topics)
    else:
        form = TicketNewForm(request.POST, request.FILES, topics=topics)
        if not form.is_valid():
            status = refuse_invalid_form(request)
        else:
            data = form.cleaned_data
            try:
                ticket = services.ticket_create(
                    actor=user,
                    subject=data["subject"],
                    description=data["description"],
                    help_topic=data["help_topic"],
                    impact=data["impact"],
                    urgency=data["urgency"],
                    device=data["device"],
                    location=data["location"],
                    attachments=data["attachments"],
                )
            except DomainError as error:
                status = refuse(request, form, error)
            else:
                messages.success(
                    request,
                    f"Thank you: ticket #{ticket.number} is with our support team. "
                    "We will reply here and by email.",
                )
                return redirect("portal_ticket", number=ticket.number)
    return render(request, "web/portal/ticket_new.html", {"form": form}, status=status)


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request_user(request)
    version = {"version": ticket.version}
    page_forms: dict[str, forms.Form] = {
        "reply": ReplyForm(),
        "close": VersionForm(initial=version),
        "reopen": ReasonForm(initial=version, reason_required=True),
    }
    for name, form in (bound or {}).items():
        page_forms[name] = with_current_version(form, ticket)
    attachments = selectors.ticket_attachments(user=user, ticket=ticket)
    context: dict[str, Any] = {
        "ticket": ticket,
        "entries": selectors.ticket_entries(user=user, ticket=ticket),
        "ticket_attachments": [a for a in attachments if a.entry_id is None],
        "forms": distinct_ids(page_forms),
        "can_confirm": "close" in access.ticket_actions(user, ticket),
        "show_resolution": ticket.status in (Status.RESOLVED, Status.CLOSED)
        and bool(ticket.resolution_problem or ticket.resolution_action),
    }
    return render(request, "web/portal/ticket_detail.html", context, status=status)


@customer_required("desk_ticket")
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _render_ticket(request, ticket_or_404(request_user(request), number))


@customer_required("desk_ticket")
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        status = refuse_invalid_form(request)
    else:
        try:
            services.ticket_reply(
                actor=user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except DomainError as error:
            status = refuse(request, form, error)
        else:
            messages.success(request, "Your message was sent.")
            return redirect("portal_ticket", number=number)
    return _render_ticket(request, ticket, bound={"reply": form}, status=status)


@customer_required("desk_ticket")
@require_POST
def ticket_confirm(request: HttpRequest, number: int) -> HttpResponse:
    """ "Yes, it's fixed": the requester closes their resolved ticket."""
    return _transition(request, number, "close", VersionForm(request.POST))


@customer_required("desk_ticket")
@require_POST
def ticket_reopen(request: HttpRequest, number: int) -> HttpResponse:
    """ "No, reopen": back to the support team, with the customer's reason in the thread."""
    return _transition(request, number, "reopen", ReasonForm(request.POST, reason_required=True))


_DONE = {
    "close": "Thank you for confirming. The ticket is closed.",
    "reopen": "The ticket is open again; the support team will get back to you.",
}


def _transition(request: HttpRequest, number: int, action: str, form: forms.Form) -> HttpResponse:
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    if not form.is_valid():
        status = refuse_invalid_form(request)
    else:
        try:
            services.ticket_transition(
                actor=user,
                ticket=ticket,
                action=action,
                reason=form.cleaned_data.get("reason", ""),
                expected_version=form.cleaned_data.get("version"),
            )
        except DomainError as error:
            status = refuse(request, form, error)
        else:
            messages.success(request, _DONE[action])
            return redirect("portal_ticket", number=number)
    return _render_ticket(request, ticket, bound={action: form}, status=status)
