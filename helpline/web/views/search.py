"""Search pages and saved views in the web UI.

The agent search page takes the search box language plus the filter panel (status,
department, assignee, priority, tags, date range), ranks when there are words, pages with a
cursor and shows what it could not read in the query as a message: whatever is typed, the
answer is a page, never a 500. Customers get the same search over their own visible tickets.
Saved views are created, changed and deleted here and picked on the queue page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from helpline.core.errors import DomainError
from helpline.search import services as search_services
from helpline.search.criteria import (
    FILTER_KEYS,
    SORTS,
    CriteriaError,
    read_criteria,
    read_sort,
)
from helpline.search.selectors import Hit, search_tickets
from helpline.tickets import selectors
from helpline.tickets.states import Priority, Status
from helpline.web.views.common import (
    agent_required,
    as_sentence,
    customer_required,
    request_user,
)

PAGE_SIZE = 25
FILTER_LABELS = {
    "status": "Status",
    "priority": "Priority",
    "department": "Department",
    "assignee": "Assignee",
    "tag": "Tags",
    "created_from": "Created from",
    "created_to": "Created to",
    "updated_from": "Updated from",
    "updated_to": "Updated to",
}


class DateInput(forms.DateInput):
    input_type = "date"


class SearchForm(forms.Form):
    """The filter panel. Only rendered: the values are read by ``criteria``, the same
    reader the API and saved views use, so a bad value is reported the same way everywhere."""

    q = forms.CharField(label="Search", required=False)
    status = forms.MultipleChoiceField(
        choices=[(s.value, s.label) for s in Status],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.MultipleChoiceField(
        choices=[(p.value, p.label) for p in Priority],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    department = forms.ChoiceField(required=False)
    assignee = forms.ChoiceField(required=False)
    tag = forms.CharField(label="Tags", required=False, help_text="Comma-separated: any of them")
    created_from = forms.DateField(required=False, widget=DateInput)
    created_to = forms.DateField(required=False, widget=DateInput)
    sort = forms.ChoiceField(choices=list(SORTS.items()), required=False)

    def __init__(self, *args: Any, departments: Any, agents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department_field = self.fields["department"]
        assignee_field = self.fields["assignee"]
        assert isinstance(department_field, forms.ChoiceField)
        assert isinstance(assignee_field, forms.ChoiceField)
        department_field.choices = [("", "Any")] + [(str(d.pk), d.name) for d in departments]
        assignee_field.choices = [("", "Anyone"), ("me", "Me"), ("none", "Unassigned")] + [
            (str(a.pk), a.display_name) for a in agents
        ]


def filter_data(params: QueryDict) -> dict[str, list[str]]:
    """The structured filters in a request's parameters, as ``criteria.read_criteria`` takes
    them (empty values dropped)."""
    return {key: params.getlist(key) for key in FILTER_KEYS if any(params.getlist(key))}


def query_problems(errors: list[Any]) -> list[str]:
    return [
        f"Left out of the search: {error.message} (at character {error.position + 1})."
        for error in errors
    ]


@agent_required
def desk_search(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    query = request.GET.get("q", "")
    cursor = request.GET.get("cursor") or None
    hits: list[Hit] = []
    next_cursor: str | None = None
    ranked = False
    status = 200
    problems: list[str] = []
    sort = "created"
    try:
        criteria = read_criteria(filter_data(request.GET))
        sort = read_sort(request.GET.get("sort"))
        page = search_tickets(
            user=user,
            query=query,
            filters=criteria.filters,
            sort=sort,
            cursor=cursor,
            limit=PAGE_SIZE,
        )
    except CriteriaError as error:
        problems.append(f"{FILTER_LABELS.get(error.field, error.field)}: {error.message}.")
        status = 400
    except DomainError as error:
        problems.append(as_sentence(error.message))
        status = error.status
    else:
        hits, next_cursor, ranked = page.hits, page.next_cursor, page.ranked
        problems += query_problems(page.errors)
        problems += [as_sentence(message) for message in page.unknown_names]
    form = SearchForm(
        request.GET,
        departments=selectors.departments_for(user=user),
        agents=selectors.agent_list(),
    )
    context = {
        "form": form,
        "query": query,
        "hits": hits,
        "next_cursor": next_cursor,
        "cursor": cursor,
        "ranked": ranked,
        "problems": problems,
        "searched": bool(request.GET),
        "filters": filter_data(request.GET),
        "sort": sort,
        "sort_label": SORTS[sort],
        "refused": status != 200,
    }
    return render(request, "web/desk/search.html", context, status=status)


@customer_required("desk_search")
def portal_search(request: HttpRequest) -> HttpResponse:
    """A customer's search over the tickets they may see; notes are never read or quoted."""
    user = request_user(request)
    query = request.GET.get("q", "")
    cursor = request.GET.get("cursor") or None
    hits: list[Hit] = []
    next_cursor: str | None = None
    status = 200
    problems: list[str] = []
    try:
        page = search_tickets(user=user, query=query, cursor=cursor, limit=PAGE_SIZE)
    except DomainError as error:
        problems.append(as_sentence(error.message))
        status = error.status
    else:
        hits, next_cursor = page.hits, page.next_cursor
        problems += query_problems(page.errors)
    context = {
        "query": query,
        "hits": hits,
        "next_cursor": next_cursor,
        "cursor": cursor,
        "problems": problems,
    }
    return render(request, "web/portal/search.html", context, status=status)


# Saved views ------------------------------------------------------------------------------


def _queue_url(view_id: int | None = None, params: QueryDict | None = None) -> str:
    url = reverse("desk_queue")
    if view_id is not None:
        return f"{url}?view={view_id}"
    return f"{url}?{params.urlencode()}" if params else url


def _view_fields(post: QueryDict) -> dict[str, Any]:
    return {
        "name": post.get("name", ""),
        "shared": post.get("shared") == "on",
        "query": post.get("q", ""),
        "filters": filter_data(post),
        "sort": post.get("sort") or "created",
        "columns": post.getlist("columns"),
    }


@agent_required
@require_POST
def view_save(request: HttpRequest) -> HttpResponse:
    """Save the list on screen (search text, filters, sort, columns) as a new view."""
    try:
        view = search_services.view_create(
            actor=request_user(request), **_view_fields(request.POST)
        )
    except DomainError as error:
        messages.error(request, as_sentence(f"The view was not saved: {error.message}"))
        return redirect(request.POST.get("back") or _queue_url())
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(_queue_url(view.pk))


@agent_required
@require_POST
def view_edit(request: HttpRequest, view_id: int) -> HttpResponse:
    """Rename a view, share or unshare it, and keep the sort and columns now on screen."""
    changes: dict[str, Any] = {
        "name": request.POST.get("name", ""),
        "shared": request.POST.get("shared") == "on",
    }
    if request.POST.get("sort"):
        changes["sort"] = request.POST["sort"]
    if request.POST.getlist("columns"):
        changes["columns"] = request.POST.getlist("columns")
    try:
        view = search_services.view_update(
            actor=request_user(request), view_id=view_id, changes=changes
        )
    except DomainError as error:
        messages.error(request, as_sentence(f"The view was not changed: {error.message}"))
        return redirect(_queue_url(view_id))
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(_queue_url(view.pk))


@agent_required
@require_POST
def view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        search_services.view_delete(actor=request_user(request), view_id=view_id)
    except DomainError as error:
        messages.error(request, as_sentence(f"The view was not deleted: {error.message}"))
        return redirect(_queue_url(view_id))
    messages.success(request, "View deleted.")
    return redirect(_queue_url())


urlpatterns = [
    path("desk/search/", desk_search, name="desk_search"),
    path("desk/views/", view_save, name="desk_view_save"),
    path("desk/views/<int:view_id>/", view_edit, name="desk_view_edit"),
    path("desk/views/<int:view_id>/delete/", view_delete, name="desk_view_delete"),
    path("tickets/search/", portal_search, name="portal_search"),
]
