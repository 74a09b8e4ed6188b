"""The service catalog (the designated catalog document), starting a request, and walking an
intake guide to a deflection ("this solved it") or a ticket carrying what was collected."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpline.catalog import intake, selectors, services
from helpline.catalog.forms import AnswerForm, IntakeTicketForm
from helpline.catalog.models import Guide, GuideStep, RequestType
from helpline.core.errors import DomainError, NotFound
from helpline.kb import access as kb_access
from helpline.kb.views_portal import reader_required
from helpline.web.views.common import refuse, refuse_invalid_form, request_user


@reader_required
def catalog(request: HttpRequest) -> HttpResponse:
    kb_settings = request.kb_settings  # type: ignore[attr-defined]
    intro = kb_settings.catalog_article
    if intro is not None and not intro.is_public_published:
        intro = None
    context = {"services": selectors.catalog_for(user=request.user), "intro": intro}
    return render(request, "web/catalog/index.html", context)


def _request_type_or_404(request: HttpRequest, pk: int) -> RequestType:
    try:
        return selectors.request_type_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404("no such request type") from None


def _guide_or_404(pk: int) -> Guide:
    try:
        return selectors.guide_get(pk=pk)
    except NotFound:
        raise Http404("no such guide") from None


@login_required
def request_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a catalog request: its guide first if it has one, then the request form."""
    request_type = _request_type_or_404(request, pk)
    guide = Guide.objects.filter(request_type=request_type, is_active=True).first()
    if guide is not None and request.method != "POST" and "skip" not in request.GET:
        return redirect("guide", pk=guide.pk)
    code = 200
    form = IntakeTicketForm(
        request.POST or None, request_type=request_type, initial={"subject": request_type.name}
    )
    if request.method == "POST":
        if not form.is_valid():
            code = refuse_invalid_form(request)
        else:
            try:
                ticket = services.intake_ticket_create(
                    actor=request_user(request),
                    subject=form.cleaned_data["subject"],
                    description=form.cleaned_data["description"],
                    request_type=request_type,
                    fields=form.collected(),
                )
            except DomainError as error:
                code = refuse(request, form, error)
            else:
                return _created(request, ticket)
    context = {"form": form, "request_type": request_type, "action": request.path}
    return render(request, "web/catalog/request.html", context, status=code)


def _created(request: HttpRequest, ticket: Any) -> HttpResponse:
    messages.success(
        request,
        f"Thank you: ticket #{ticket.number} is with our support team. "
        "We will reply here and by email.",
    )
    return redirect("portal_ticket", number=ticket.number)


def _render_step(
    request: HttpRequest, guide: Guide, step: GuideStep, trail: str, status: int = 200
) -> HttpResponse:
    article = step.article
    if article is not None and not (
        article.is_public_published or kb_access.is_agent(request.user)
    ):
        article = None
    steps = guide.step_list  # type: ignore[attr-defined]
    context = {
        "guide": guide,
        "step": step,
        "article": article,
        "trail": trail,
        "number": steps.index(step) + 1,
        "done": intake.parse_trail(trail, selectors.step_nodes(guide)),
    }
    return render(request, "web/catalog/guide_step.html", context, status=status)


def _render_ticket_form(
    request: HttpRequest, guide: Guide, form: IntakeTicketForm, status: int = 200
) -> HttpResponse:
    trail = form.data.get("trail", "") if form.is_bound else form.initial.get("trail", "")
    context = {
        "guide": guide,
        "form": form,
        "done": intake.parse_trail(trail, selectors.step_nodes(guide)),
    }
    return render(request, "web/catalog/guide_ticket.html", context, status=status)


@login_required
def guide(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the first step. POST: an answer; the next step, the end (ticket form), or solved."""
    found = _guide_or_404(pk)
    steps = found.step_list  # type: ignore[attr-defined]
    if request.method != "POST":
        if not steps:
            return _render_ticket_form(request, found, _ticket_form(found))
        return _render_step(request, found, steps[0], "")
    form = AnswerForm(request.POST)
    by_id = {step.pk: step for step in steps}
    if not form.is_valid() or form.cleaned_data["step"] not in by_id:
        messages.error(request, "Please answer the question shown.")
        return (
            _render_step(request, found, steps[0], "", status=400)
            if steps
            else redirect("guide", pk=pk)
        )
    step = by_id[form.cleaned_data["step"]]
    answer = form.cleaned_data["answer"]
    nodes = selectors.step_nodes(found)
    node = next(n for n in nodes if n.id == step.pk)
    if answer == "solved":
        article = step.article
        if article is not None and not (
            article.is_public_published or kb_access.is_agent(request.user)
        ):
            article = None
        services.deflection_record(
            user=request.user, source="guide", guide=found, step=step, article=article
        )
        return render(request, "web/catalog/solved.html", {"guide": found, "article": article})
    trail = intake.extend_trail(form.cleaned_data["trail"], node, answer, nodes)
    following = intake.next_step(nodes, step.pk, answer)
    if following is not None:
        return _render_step(request, found, by_id[following.id], trail)
    return _render_ticket_form(request, found, _ticket_form(found, trail=trail))


def _ticket_form(guide: Guide, *, trail: str = "", data: Any = None) -> IntakeTicketForm:
    subject = guide.help_topic.name if guide.help_topic else guide.name
    if guide.request_type is not None:
        subject = guide.request_type.name
    return IntakeTicketForm(
        data,
        guide=guide,
        request_type=guide.request_type,
        initial={"trail": trail, "subject": subject},
    )


@login_required
@require_POST
def guide_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """The guide did not solve it: open the ticket with the answers and fields collected."""
    found = _guide_or_404(pk)
    form = _ticket_form(found, data=request.POST)
    if not form.is_valid():
        return _render_ticket_form(request, found, form, status=refuse_invalid_form(request))
    try:
        ticket = services.intake_ticket_create(
            actor=request_user(request),
            subject=form.cleaned_data["subject"],
            description=form.cleaned_data["description"],
            guide=found,
            trail=form.cleaned_data["trail"],
            fields=form.collected(),
        )
    except DomainError as error:
        code = refuse(request, form, error)
        return _render_ticket_form(request, found, form, status=code)
    return _created(request, ticket)


def refusal_response(request: HttpRequest) -> HttpResponse | None:
    """When the admin refuses requests outside the catalog, the polite refusal that replaces
    the portal's free-form new-ticket page (with the catalog and the guides); else None."""
    from helpline.kb.selectors import settings_get

    if not settings_get().refuse_outside_catalog:
        return None
    context = {
        "services": selectors.catalog_for(user=request.user),
        "guides": list(selectors.guides_by_topic().values()),
    }
    return render(request, "web/catalog/refused.html", context)
