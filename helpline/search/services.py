"""Writes of the search app: rebuilding the index, and saved views.

Ticket writes never call in here: database triggers keep the index current inside the writing
transaction. ``search_reindex`` is for rebuilding it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from helpline.accounts.models import User
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.search import index
from helpline.search.criteria import (
    DEFAULT_SORT,
    CriteriaError,
    read_columns,
    read_criteria,
    read_sort,
)
from helpline.search.index import RebuildProgress
from helpline.search.models import SavedView
from helpline.search.query import QuerySyntaxError, parse_query
from helpline.tickets.access import check_is_agent


def search_reindex(
    *,
    from_id: int | None = None,
    batch_size: int = index.DEFAULT_BATCH_SIZE,
    progress: Callable[[RebuildProgress], None] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> RebuildProgress:
    """Rebuild the index from the ticket tables in committed batches, creating any index
    object that is missing (a dropped table, index or trigger).

    Without ``from_id`` every ticket is indexed again; with it, tickets from that id on, so
    an interrupted run resumes where its last progress report left off.
    """
    return index.rebuild(
        connections[using], from_id=from_id, batch_size=batch_size, progress=progress
    )


# Saved views ------------------------------------------------------------------------------

VIEW_FIELDS = ("name", "shared", "query", "filters", "sort", "columns")
MAX_VIEW_NAME = 100


def view_create(
    *,
    actor: User,
    name: str,
    shared: bool = False,
    query: str = "",
    filters: Mapping[str, object] | None = None,
    sort: str = DEFAULT_SORT,
    columns: Sequence[str] = (),
) -> SavedView:
    """A new saved view owned by ``actor`` (an agent or admin)."""
    check_is_agent(actor, "save views")
    values = _checked_view_values(
        {
            "name": name,
            "shared": shared,
            "query": query,
            "filters": filters or {},
            "sort": sort,
            "columns": list(columns),
        }
    )
    with transaction.atomic():
        if SavedView.objects.filter(owner=actor, name=values["name"]).exists():
            raise Conflict("you already have a view with that name", fields={"name": "taken"})
        now = clock.now()
        view = SavedView.objects.create(owner=actor, created_at=now, updated_at=now, **values)
        audit_record(actor=actor, action="view.create", obj=view, after=values)
    return view


def view_update(*, actor: User, view_id: int, changes: Mapping[str, object]) -> SavedView:
    """Change some of VIEW_FIELDS of a view; only its owner or an admin may."""
    unknown = sorted(set(changes) - set(VIEW_FIELDS))
    if unknown:
        raise ValidationFailed(
            f"unknown field {unknown[0][:40]!r}", fields={unknown[0][:40]: "unknown"}
        )
    with transaction.atomic():
        view = _view_for_change(actor, view_id)
        before = {name: getattr(view, name) for name in VIEW_FIELDS}
        values = _checked_view_values({**before, **changes})
        if (
            values["name"] != view.name
            and SavedView.objects.filter(owner=view.owner_id, name=values["name"])
            .exclude(pk=view.pk)
            .exists()
        ):
            raise Conflict("the owner already has a view with that name", fields={"name": "taken"})
        for name, value in values.items():
            setattr(view, name, value)
        view.updated_at = clock.now()
        view.save()
        audit_record(actor=actor, action="view.update", obj=view, before=before, after=values)
    return view


def view_delete(*, actor: User, view_id: int) -> None:
    with transaction.atomic():
        view = _view_for_change(actor, view_id)
        before = {name: getattr(view, name) for name in VIEW_FIELDS}
        audit_record(actor=actor, action="view.delete", obj=view, before=before)
        view.delete()


def _view_for_change(actor: User, view_id: int) -> SavedView:
    """The view, locked; NotFound if ``actor`` cannot see it, PermissionDenied if they may
    see but not change it."""
    check_is_agent(actor, "change views")
    view = SavedView.objects.select_for_update().filter(pk=view_id).first()
    if view is None or not (view.shared or view.owner_id == actor.pk or actor.is_admin):
        raise NotFound("no such view")
    if view.owner_id != actor.pk and not actor.is_admin:
        raise PermissionDenied("only the owner or an admin can change this view")
    return view


def _checked_view_values(values: Mapping[str, object]) -> dict[str, Any]:
    name = values["name"]
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("a view needs a name", fields={"name": "required"})
    name = " ".join(name.split())
    if len(name) > MAX_VIEW_NAME:
        raise ValidationFailed(
            f"the name is longer than {MAX_VIEW_NAME} characters", fields={"name": "too long"}
        )
    shared = values["shared"]
    if not isinstance(shared, bool):
        raise ValidationFailed("shared must be true or false", fields={"shared": "invalid"})
    query = values["query"]
    if not isinstance(query, str):
        raise ValidationFailed("query must be text", fields={"query": "invalid"})
    try:
        parse_query(query)
    except QuerySyntaxError as error:
        raise ValidationFailed(f"query: {error.message}", fields={"query": error.message}) from None
    filters = values["filters"]
    try:
        if not isinstance(filters, Mapping):
            raise CriteriaError("filters", "must be an object")
        criteria = read_criteria(filters)
        sort = read_sort(values["sort"] if isinstance(values["sort"], str) else "?")
        columns = list(read_columns(values["columns"])) if values["columns"] else []
    except CriteriaError as error:
        raise ValidationFailed(
            f"{error.field}: {error.message}", fields={error.field: error.message}
        ) from None
    return {
        "name": name,
        "shared": shared,
        "query": query.strip(),
        "filters": criteria.data,
        "sort": sort,
        "columns": columns,
    }
