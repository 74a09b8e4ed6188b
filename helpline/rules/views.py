"""The macro picker of the agent's reply box (htmx): list the ticket's macros, and render one
into the reply textarea. Thin: the selectors and the rendering live in ``rules.macros``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from helpline.core.errors import DomainError
from helpline.rules import macros
from helpline.web.views.common import agent_required, request_user, ticket_or_404

MAX_BODY = 100_000


@agent_required
@require_GET
def macro_picker(request: HttpRequest, number: int) -> HttpResponse:
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    options = list(macros.macros_for(user=user, ticket=ticket).only("pk", "name"))
    return render(request, "web/rules/macro_picker.html", {"ticket": ticket, "macros": options})


@agent_required
@require_GET
def macro_insert(request: HttpRequest, number: int) -> HttpResponse:
    """The reply textarea with the chosen macro's text added after what is already typed."""
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    current = request.GET.get("body", "")[:MAX_BODY]
    text, error = "", ""
    macro_id = request.GET.get("macro", "")
    if macro_id.isdigit() and len(macro_id) <= 18:
        try:
            macro = macros.macro_for_ticket(user=user, ticket=ticket, macro_id=int(macro_id))
            text = macros.macro_render(user=user, ticket=ticket, macro=macro)
        except DomainError as problem:
            error = problem.message
    body = f"{current.rstrip()}\n\n{text}" if current.strip() and text else (text or current)
    return render(request, "web/rules/macro_textarea.html", {"body": body, "error": error})
