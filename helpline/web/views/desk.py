"""The agent workspace: queues and the ticket page with its actions.

Each action view parses one form, calls one service and redirects back to the ticket (so a
reload never repeats it). A refusal re-renders the ticket page with that form bound, its
errors and the service's 4xx status. The reply and note boxes post with htmx and swap the
conversation in place; without JavaScript they are ordinary forms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpline.accounts.models import User
from helpline.core.errors import DomainError, NotFound
from helpline.search import selectors as search_selectors
from helpline.search.criteria import (
    COLUMNS,
    DEFAULT_COLUMNS,
    DEFAULT_SORT,
    SORTS,
    CriteriaError,
    read_columns,
    read_criteria,
    read_sort,
)
from helpline.search.models import SavedView
from helpline.search.selectors import Hit, search_tickets
from helpline.tickets import access, selectors, services
from helpline.tickets.models import Ticket
from helpline.tickets.states import Action, Status
from helpline.web.forms import (
    AssignForm,
    EscalateForm,
    NoteForm,
    ReasonForm,
    ReplyForm,
    ResolveForm,
    VersionForm,
)
from helpline.web.views.common import (
    agent_required,
    as_sentence,
    distinct_ids,
    refuse,
    refuse_invalid_form,
    request_user,
    ticket_or_404,
    with_current_version,
)

PAGE_SIZE = 25
TAB_LABELS = {"mine": "Mine", "unassigned": "Unassigned", "department": "Department", "all": "All"}


@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    """A queue tab or a saved view, in the chosen sort and columns, a keyset page at a time.

    ``?view=<id>`` shows a saved view (its search text, filters, sort and columns); ``sort``
    and ``columns`` in the URL override the view's or the defaults.
    """
    user = request_user(request)
    name = request.GET.get("queue", "mine")
    cursor = request.GET.get("cursor") or None
    status = 200
    hits: list[Hit] = []
    next_cursor: str | None = None
    views = search_selectors.view_list(user=user)
    view = _chosen_view(views, request.GET.get("view"))
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    sort = DEFAULT_SORT
    try:
        if request.GET.get("view") and view is None:
            raise NotFound("no such view")
        sort = read_sort(request.GET.get("sort") or (view.sort if view else None))
        columns = read_columns(request.GET.getlist("columns") or (view.columns if view else []))
        if view is not None:
            page = search_tickets(
                user=user,
                query=view.query,
                filters=read_criteria(view.filters).filters,
                sort=sort,
                cursor=cursor,
                limit=PAGE_SIZE,
            )
        else:
            page = search_tickets(user=user, queue=name, sort=sort, cursor=cursor, limit=PAGE_SIZE)
        hits, next_cursor = page.hits, page.next_cursor
        for message in page.unknown_names:  # a saved view naming what was renamed or removed
            messages.warning(request, as_sentence(message))
    except CriteriaError as error:
        messages.error(request, as_sentence(error.message))
        status = 400
    except DomainError as error:
        messages.error(request, as_sentence(error.message))
        status = error.status
    counts = selectors.queue_counts(user=user)
    tabs = [
        {
            "name": key,
            "label": TAB_LABELS.get(key, key),
            "title": title,
            "count": counts.get(key),
            "current": view is None and key == name,
        }
        for key, title in selectors.QUEUES.items()
    ]
    context = {
        "tabs": tabs,
        "queue": name,
        "queue_label": view.name if view else selectors.QUEUES.get(name, "Queue"),
        "tickets": [hit.ticket for hit in hits],
        "next_cursor": next_cursor,
        "cursor": cursor,
        "refused": status != 200,
        "views": views,
        "view": view,
        "can_edit_view": view is not None and (view.owner_id == user.pk or user.is_admin),
        "sort": sort,
        "sorts": SORTS,
        "columns": columns,
        "column_labels": COLUMNS,
        "column_headers": [(key, COLUMNS[key]) for key in columns],
    }
    return render(request, "web/desk/queue.html", context, status=status)


def _chosen_view(views: list[SavedView], value: str | None) -> SavedView | None:
    """The view picked in the URL among those the agent may use (already loaded)."""
    if not value or not value.isascii() or not value.isdigit():
        return None
    return next((view for view in views if view.pk == int(value)), None)


def agent_actions(
    user: User, ticket: Ticket, *, member_of: frozenset[int] | None = None
) -> set[str]:
    """The action forms to offer: ``access.ticket_actions`` (the rules the API shows too),
    plus "take" for the auto-assigned agent of a new ticket, which starts work on it."""
    actions = set(access.ticket_actions(user, ticket, member_of=member_of))
    if ticket.status == Status.NEW and ticket.assignee_id == user.pk:
        actions.add("take")
    return actions


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The agent's ticket page in a fixed number of queries: the newest THREAD_PAGE entries
    (older ones load on demand, ``ticket_thread``) and the support roster (kept per process)
    for both the assign and escalate forms, which also gives the agent's own departments."""
    user = request_user(request)
    version = {"version": ticket.version}
    roster = selectors.agent_roster()
    departments_of = roster.departments_of
    page_forms: dict[str, forms.Form] = {
        "reply": ReplyForm(),
        "note": NoteForm(),
        "take": forms.Form(),
        "assign": AssignForm(
            agents=roster.of_department(ticket.department_id),
            initial={"assignee": ticket.assignee_id},
        ),
        "escalate": EscalateForm(
            departments=selectors.departments_for(user=user),
            agents=roster.agents,
            departments_of=departments_of,
        ),
        "pend": ReasonForm(initial=version),
        "hold": ReasonForm(initial=version),
        "resume": VersionForm(initial=version),
        "resolve": ResolveForm(initial=version),
        "reopen": ReasonForm(initial=version, reason_required=True),
        "close": VersionForm(initial=version),
    }
    for name, form in (bound or {}).items():
        page_forms[name] = with_current_version(form, ticket)
    thread = selectors.ticket_thread_page(user=user, ticket=ticket)
    mine = departments_of.get(user.pk)
    member_of = frozenset(d.pk for d in mine) if mine is not None else None
    context: dict[str, Any] = {
        "ticket": ticket,
        "tags": list(ticket.tags.all()),
        "entries": thread.entries,
        "earlier": thread.earlier,
        "before": thread.entries[0].pk if thread.entries else None,
        "ticket_attachments": thread.ticket_files,
        "events": selectors.ticket_events(user=user, ticket=ticket),
        "forms": distinct_ids(page_forms),
        "actions": agent_actions(user, ticket, member_of=member_of),
        "failed": next(iter(bound or {}), None),
    }
    return render(request, "web/desk/ticket_detail.html", context, status=status)


@agent_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _render_ticket(request, ticket_or_404(request_user(request), number))


@agent_required
def ticket_thread(request: HttpRequest, number: int) -> HttpResponse:
    """Older thread entries (``?before=<entry id>``), as list items that take the place of
    the "Show earlier" button on the ticket page: two queries for the entries and files."""
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    before = request.GET.get("before", "")
    if not (before.isascii() and before.isdigit()):
        raise Http404("no such entry")
    thread = selectors.ticket_thread_page(user=user, ticket=ticket, before=int(before))
    context = {
        "ticket": ticket,
        "entries": thread.entries,
        "earlier": thread.earlier,
        "before": thread.entries[0].pk if thread.entries else None,
    }
    return render(request, "web/includes/thread_entries.html", context)


Perform = Callable[[User, Ticket, dict[str, Any]], str]


def _act(
    request: HttpRequest,
    number: int,
    name: str,
    make_form: Callable[[Ticket], forms.Form],
    perform: Perform,
) -> HttpResponse:
    """Parse the form, call the service, redirect; or show the refusal on the ticket page."""
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    form = make_form(ticket)
    if not form.is_valid():
        status = refuse_invalid_form(request)
    else:
        try:
            done = perform(user, ticket, form.cleaned_data)
        except DomainError as error:
            status = refuse(request, form, error)
        else:
            messages.success(request, done)
            return redirect("desk_ticket", number=number)
    return _render_ticket(request, ticket, bound={name: form}, status=status)


@agent_required
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        services.ticket_reply(
            actor=user, ticket=ticket, body=data["body"], attachments=data["attachments"]
        )
        return "Reply sent to the requester."

    return _act(request, number, "reply", lambda _: ReplyForm(request.POST, request.FILES), perform)


@agent_required
@require_POST
def ticket_note(request: HttpRequest, number: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        services.ticket_note(actor=user, ticket=ticket, body=data["body"])
        return "Internal note added."

    return _act(request, number, "note", lambda _: NoteForm(request.POST), perform)


@agent_required
@require_POST
def ticket_take(request: HttpRequest, number: int) -> HttpResponse:
    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        services.ticket_take(actor=user, ticket=ticket)
        return "The ticket is yours."

    return _act(request, number, "take", lambda _: forms.Form(request.POST), perform)


@agent_required
@require_POST
def ticket_assign(request: HttpRequest, number: int) -> HttpResponse:
    def make_form(ticket: Ticket) -> forms.Form:
        agents = selectors.agent_list(department_id=ticket.department_id)
        return AssignForm(request.POST, agents=agents)

    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        assignee = data["assignee"]
        services.ticket_assign(actor=user, ticket=ticket, assignee=assignee)
        return f"Assigned to {assignee.display_name}." if assignee else "Back in the queue."

    return _act(request, number, "assign", make_form, perform)


@agent_required
@require_POST
def ticket_escalate(request: HttpRequest, number: int) -> HttpResponse:
    def make_form(ticket: Ticket) -> forms.Form:
        user = request_user(request)
        return EscalateForm(
            request.POST,
            departments=selectors.departments_for(user=user),
            agents=selectors.agent_list(),
        )

    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        escalated = services.ticket_escalate(
            actor=user,
            ticket=ticket,
            note=data["note"],
            to_level=data["level"],
            department=data["department"],
            agent=data["agent"],
        )
        where = f"level {escalated.support_level} of {escalated.department}"
        who = escalated.assignee.display_name if escalated.assignee else "the queue"
        return f"Escalated to {where}, now with {who}."

    return _act(request, number, "escalate", make_form, perform)


# The lifecycle actions: the form each one reads and what the agent is told when it worked.
_TRANSITIONS: dict[Action, tuple[Callable[[Any], forms.Form], str]] = {
    Action.PEND: (lambda data: ReasonForm(data), "Waiting on the customer; the clock pauses."),
    Action.HOLD: (lambda data: ReasonForm(data), "On hold."),
    Action.RESUME: (lambda data: VersionForm(data), "Work resumed."),
    Action.RESOLVE: (
        lambda data: ResolveForm(data),
        "Resolved. The requester is asked to confirm the fix.",
    ),
    Action.REOPEN: (lambda data: ReasonForm(data, reason_required=True), "Reopened."),
    Action.CLOSE: (lambda data: VersionForm(data), "Closed."),
}


@agent_required
@require_POST
def ticket_transition(request: HttpRequest, number: int, action: str) -> HttpResponse:
    try:
        make_form, done = _TRANSITIONS[Action(action)]
    except (ValueError, KeyError):
        raise Http404("no such action") from None

    def perform(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
        services.ticket_transition(
            actor=user,
            ticket=ticket,
            action=action,
            resolution=_resolution(data) if action == Action.RESOLVE else None,
            reason=data.get("reason", ""),
            expected_version=data.get("version"),
        )
        return done

    return _act(request, number, action, lambda _: make_form(request.POST), perform)


def _resolution(data: dict[str, Any]) -> services.Resolution:
    return services.Resolution(
        problem_identified=data["problem_identified"],
        action_taken=data["action_taken"],
        confirmation=data["confirmation"],
        next_steps=data["next_steps"],
    )
