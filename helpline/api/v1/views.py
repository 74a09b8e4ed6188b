"""Saved views (agents): named ticket lists with search text, filters, sort and columns.

A personal view is seen by its owner only; a shared one by every agent, and changed only by
its owner or an admin. ``GET /views/{id}/tickets`` lists the view's tickets as the caller may
see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool

from helpline.api.v1.auth import caller
from helpline.api.v1.schemas import ERRORS, In, PersonRef, QueryId, Text, TicketPage
from helpline.api.v1.tickets import ticket_page
from helpline.search import selectors, services
from helpline.search.criteria import COLUMNS, FILTER_KEYS, SORTS
from helpline.search.models import SavedView
from helpline.tickets.access import check_is_agent

router = Router(tags=["views"])

Filters = Annotated[
    dict[str, list[Text] | Text],
    Field(description=f"Any of {', '.join(FILTER_KEYS)}: a value or a list of values."),
]
Columns = Annotated[list[Text], Field(max_length=len(COLUMNS), description=", ".join(COLUMNS))]
SortName = Annotated[Text, Field(description=", ".join(SORTS))]


class ViewIn(In):
    name: Annotated[Text, Field(max_length=200)]
    shared: StrictBool = False
    query: Annotated[Text, Field(max_length=1000)] = ""
    filters: Filters = {}
    sort: SortName = "created"
    columns: Columns = []


class ViewPatchIn(In):
    name: Annotated[Text, Field(max_length=200)] | None = None
    shared: StrictBool | None = None
    query: Annotated[Text, Field(max_length=1000)] | None = None
    filters: Filters | None = None
    sort: SortName | None = None
    columns: Columns | None = None


class ViewOut(Schema):
    id: int
    name: str
    owner: PersonRef
    shared: bool
    query: str
    filters: dict[str, list[str]]
    sort: str
    columns: list[str] = Field(description="The columns to show, in display order.")
    can_edit: bool
    created_at: datetime
    updated_at: datetime


class ViewList(Schema):
    items: list[ViewOut]


def view_out(user: Any, view: SavedView) -> ViewOut:
    return ViewOut(
        id=view.pk,
        name=view.name,
        owner=PersonRef(id=view.owner.pk, name=view.owner.display_name, email=view.owner.email),
        shared=view.shared,
        query=view.query,
        filters=view.filters,
        sort=view.sort,
        columns=list(selectors.view_columns(view)),
        can_edit=view.owner_id == user.pk or user.is_admin,
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


@router.get("/views", response={200: ViewList, **ERRORS})
def view_list(request: HttpRequest) -> ViewList:
    """The caller's own views and every shared view, by name."""
    user = caller(request)
    check_is_agent(user, "use saved views")
    return ViewList(items=[view_out(user, view) for view in selectors.view_list(user=user)])


@router.post("/views", response={201: ViewOut, **ERRORS})
def view_create(request: HttpRequest, payload: ViewIn) -> Status[ViewOut]:
    user = caller(request)
    view = services.view_create(actor=user, **payload.model_dump())
    return Status(201, view_out(user, selectors.view_get(user=user, view_id=view.pk)))


@router.get("/views/{view_id}", response={200: ViewOut, **ERRORS})
def view_detail(request: HttpRequest, view_id: QueryId) -> ViewOut:
    user = caller(request)
    return view_out(user, selectors.view_get(user=user, view_id=view_id))


@router.patch("/views/{view_id}", response={200: ViewOut, **ERRORS})
def view_update(request: HttpRequest, view_id: QueryId, payload: ViewPatchIn) -> ViewOut:
    """Change some fields; only the owner or an admin may."""
    user = caller(request)
    changes = payload.model_dump(exclude_unset=True)
    services.view_update(actor=user, view_id=view_id, changes=changes)
    return view_out(user, selectors.view_get(user=user, view_id=view_id))


@router.delete("/views/{view_id}", response={204: None, **ERRORS})
def view_delete(request: HttpRequest, view_id: QueryId) -> Status[None]:
    user = caller(request)
    services.view_delete(actor=user, view_id=view_id)
    return Status(204, None)


@router.get("/views/{view_id}/tickets", response={200: TicketPage, **ERRORS})
def view_tickets(
    request: HttpRequest,
    view_id: QueryId,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(description="1 to 100")] = 25,
) -> HttpResponse:
    """The view's tickets in its sort (best match first when its query has words)."""
    user = caller(request)
    view = selectors.view_get(user=user, view_id=view_id)
    page = selectors.view_tickets(user=user, view=view, limit=limit, cursor=cursor)
    return ticket_page(request, user, [hit.ticket for hit in page.hits], page.next_cursor)
