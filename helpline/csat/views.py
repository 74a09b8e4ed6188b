"""The rating pages: the mailed link (no login) and the portal's rating form.

The link's GET only shows a confirm form with the clicked rating chosen; the POST records it,
so mail scanners that follow links change nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from helpline.core.errors import Conflict, DomainError, NotFound
from helpline.csat import selectors, services
from helpline.csat.forms import RatingForm, preselected
from helpline.csat.models import Channel
from helpline.web.forms import add_domain_error
from helpline.web.views.common import as_sentence, request_user, ticket_or_404

# How each refusal of a link reads, and its status.
REFUSALS: dict[str, tuple[int, str]] = {
    "invalid_link": (404, "This rating link is not valid"),
    "already_rated": (409, "This ticket has already been rated"),
    "expired": (410, "This rating link has expired"),
    "superseded": (410, "This rating link was replaced"),
    "reopened": (409, "This ticket was reopened"),
}


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    status, title = REFUSALS.get(error.code, (error.status, "This link cannot be used"))
    context = {"title": title, "message": as_sentence(error.message)}
    return _private(render(request, "web/csat/refused.html", context, status=status))


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: keep it out of Referer headers of links on the page.
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def rate_by_link(request: HttpRequest, token: str) -> HttpResponse:
    survey = selectors.survey_by_token(token)
    try:
        if survey is None:
            raise NotFound("the link may be mistyped or incomplete", code="invalid_link")
        services.check_answerable(survey, survey.ticket, by_link=True)
    except DomainError as error:
        return _refused(request, error)
    status = 200
    if request.method == "GET":
        form = RatingForm(
            initial=preselected(survey.scale, request.GET.get("rating")),
            survey_scale=survey.scale,
        )
    else:
        form = RatingForm(request.POST, survey_scale=survey.scale)
        if form.is_valid():
            try:
                survey = services.survey_rate_by_token(
                    token=token,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except (Conflict, NotFound) as error:
                return _refused(request, error)
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                return _private(render(request, "web/csat/thanks.html", {"survey": survey}))
        else:
            status = 400
    context: dict[str, Any] = {"survey": survey, "ticket": survey.ticket, "form": form}
    return _private(render(request, "web/csat/rate.html", context, status=status))


@login_required
@require_POST
def portal_rate(request: HttpRequest, number: int) -> HttpResponse:
    """The requester rates their resolved ticket from its portal page."""
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    survey = selectors.current_survey(ticket=ticket)
    if survey is None or ticket.requester_id != user.pk:
        raise Http404("no survey to answer")
    form = RatingForm(request.POST, survey_scale=survey.scale)
    status = 400
    if form.is_valid():
        try:
            services.survey_rate(
                actor=user,
                ticket=ticket,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                channel=Channel.PORTAL,
            )
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, "Thank you for your rating.")
            return redirect("portal_ticket", number=number)
    messages.error(request, "Your rating was not recorded.")
    context = {"survey": survey, "ticket": ticket, "form": form, "portal": True}
    return render(request, "web/csat/rate.html", context, status=status)
