"""The agent's in-app notifications: the bell's count, the list with mark-read (htmx), and the
preferences page. Thin: each view calls one selector or service."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpline.core.errors import DomainError, NotFound
from helpline.notifications import selectors, services
from helpline.notifications.forms import PreferencesForm
from helpline.web.views.common import agent_required, as_sentence, request_user


def _before(request: HttpRequest) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


@agent_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    unread_only = request.GET.get("unread") == "1"
    page = selectors.notification_list(user=user, before=_before(request), unread_only=unread_only)
    context = {"page": page, "unread_only": unread_only, "before": request.GET.get("before")}
    return render(request, "web/notifications/list.html", context)


@agent_required
def bell(request: HttpRequest) -> HttpResponse:
    """The header's unread count (htmx loads it; one capped, indexed query)."""
    count = selectors.unread_count(request_user(request))
    return render(
        request,
        "web/notifications/bell_count.html",
        {"count": count, "label": selectors.count_label(count)},
    )


@agent_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification = services.notification_mark_read(
            actor=request_user(request), notification_id=notification_id
        )
    except NotFound:
        raise Http404("no such notification") from None
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/notifications/row.html", {"notification": notification})
    return redirect("notifications")


@agent_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(actor=request_user(request))
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notifications")


@agent_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    status = 200
    form = PreferencesForm(request.POST or None, preferences=services.preferences_for(user))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.preferences_update(actor=user, changes=form.changes())
            except DomainError as error:
                messages.error(request, as_sentence(error.message))
                status = error.status
            else:
                messages.success(request, "Your notification preferences are saved.")
                return redirect("notification_preferences")
        else:
            status = 400
    return render(request, "web/notifications/preferences.html", {"form": form}, status=status)
