"""What every web view shares: role gates, the 404 for tickets a user may not see, and how a
service's DomainError becomes a form error and a 4xx status."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect

from helpline.accounts.models import User
from helpline.core.errors import DomainError, NotFound
from helpline.tickets import access
from helpline.tickets.models import Ticket
from helpline.web.forms import add_domain_error

View = Callable[..., HttpResponse]


def request_user(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind login_required)."""
    user = request.user
    assert isinstance(user, User)
    return user


def agent_required(view: View) -> View:
    """Agents and admins only; to anyone else the workspace does not exist (404)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request_user(request).is_agent:
            raise Http404("no such page")
        return view(request, *args, **kwargs)

    return wrapper


def customer_required(agent_view: str) -> Callable[[View], View]:
    """Customers only; an agent is sent to ``agent_view`` (same URL arguments) instead."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request_user(request).is_agent:
                return redirect(agent_view, *args, **kwargs)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def ticket_or_404(user: User, number: int) -> Ticket:
    try:
        return access.access_ticket(user, number)
    except NotFound:
        raise Http404("no such ticket") from None


def refuse(request: HttpRequest, form: forms.Form, error: DomainError) -> int:
    """Report a service's refusal on ``form`` and as a message; returns the HTTP status."""
    if isinstance(error, NotFound):
        raise Http404(error.message)
    add_domain_error(form, error)
    messages.error(request, as_sentence(error.message))
    return error.status


def with_current_version(form: forms.Form, ticket: Ticket) -> forms.Form:
    """A bound form shown again after a refusal carries the version now on screen, so that
    submitting it again is judged against what the user has just seen (not a stale copy)."""
    if isinstance(form.data, QueryDict) and "version" in form.fields:
        data = form.data.copy()
        data["version"] = str(ticket.version)
        form.data = data
    return form


def distinct_ids(page_forms: dict[str, forms.Form]) -> dict[str, forms.Form]:
    """Several forms on one page share field names (body, reason, version); prefix their
    element ids with the form's name so every label points at its own field."""
    for name, form in page_forms.items():
        form.auto_id = f"{name}-%s"
    return page_forms


def refuse_invalid_form(request: HttpRequest) -> int:
    messages.error(request, "Please correct the fields marked below.")
    return 400


def as_sentence(message: str) -> str:
    message = message.strip()
    if not message:
        return "That did not work."
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."
