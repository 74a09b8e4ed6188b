"""Tickets: open, list, read, edit."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router

from helpline.accounts.models import User
from helpline.api.v1 import lookups, presenters
from helpline.api.v1.auth import caller
from helpline.api.v1.errors import PreconditionFailed
from helpline.api.v1.paths import TICKET
from helpline.api.v1.schemas import (
    ERRORS,
    QueryId,
    TicketCreateIn,
    TicketOut,
    TicketPage,
    TicketUpdateIn,
)
from helpline.core.errors import ValidationFailed
from helpline.search.query import (
    MAX_QUERY_LENGTH,
    Filter,
    ParsedQuery,
    QuerySyntaxError,
    parse_query,
    read_filter,
)
from helpline.search.selectors import SearchPage, search_tickets
from helpline.tickets import access, selectors, services
from helpline.tickets.models import Ticket
from helpline.tickets.states import Channel

router = Router(tags=["tickets"])

MAX_VERSION_DIGITS = 18


def ticket_out(user: User, ticket: Ticket, *, member_of: frozenset[int] | None = None) -> TicketOut:
    return presenters.ticket(
        ticket, allowed_actions=access.ticket_actions(user, ticket, member_of=member_of)
    )


def ticket_rendered(
    request: HttpRequest, user: User, ticket: Ticket, *, status: int = 200
) -> HttpResponse:
    """``ticket_out`` as the response, written from ``ticket_data`` without building the
    schema: the create and the detail validated ``TicketOut`` twice (the presenter, then
    django-ninja), a tenth of a create's time in Python. ``ticket_data`` is built to the
    schema's ``model_dump()``; a test holds both endpoints to it."""
    data = presenters.ticket_data(ticket, allowed_actions=access.ticket_actions(user, ticket))
    return presenters.rendered(request, data, status=status)


def with_etag(response: HttpResponse, ticket: Ticket) -> None:
    response["ETag"] = f'"{ticket.version}"'


def expected_version(if_match: str | None) -> int:
    """The version in an If-Match header: ``3``, ``"3"`` or ``W/"3"``."""
    if if_match is None or not if_match.strip():
        raise PreconditionFailed(
            "send the ticket's version as If-Match (see its ETag or version)",
            fields={"If-Match": "required"},
        )
    value = if_match.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_VERSION_DIGITS):
        raise ValidationFailed(
            'If-Match must be the ticket\'s version, e.g. "3"',
            fields={"If-Match": "not a version"},
        )
    return int(value)


@router.post("/tickets", response={201: TicketOut, **ERRORS})
def ticket_create(request: HttpRequest, payload: TicketCreateIn) -> HttpResponse:
    """Open a ticket. Agents may open it for someone else with ``requester_email``."""
    user = caller(request)
    ticket = services.ticket_create(
        actor=user,
        subject=payload.subject,
        description=payload.description,
        requester_email=payload.requester_email,
        help_topic=lookups.help_topic(payload.help_topic_id),
        type=payload.type,
        category=lookups.category(payload.category_id),
        impact=payload.impact,
        urgency=payload.urgency,
        tags=payload.tags,
        device=payload.device,
        location=payload.location,
        channel=Channel.API,
    )
    return ticket_rendered(request, user, ticket, status=201)


@router.get("/tickets", response={200: TicketPage, **ERRORS})
def ticket_list(
    request: HttpRequest,
    status: Annotated[
        list[str] | None,
        Query(description="Repeat or comma-separate: ?status=new,open&status=pending"),
    ] = None,
    department_id: QueryId | None = None,
    assignee: Annotated[
        str | None, Query(pattern=r"^(me|none|[0-9]{1,18})$", description="me, none or an id")
    ] = None,
    requester: Annotated[str | None, Query(description="me")] = None,
    queue: Annotated[
        str | None, Query(description="Agents: mine, unassigned, department or all")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(description=f"1 to {selectors.MAX_PAGE}")] = 25,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description='The search box language: `printer -toner "paper jam" tag:vpn`. '
            "With words or phrases the tickets come best match first.",
        ),
    ] = None,
) -> HttpResponse:
    """The tickets the caller may see, newest first (or best match first with ``q``), a page
    at a time."""
    user = caller(request)
    # A set: "?status=new,new,…" must not grow the SQL IN list with the query string.
    statuses = {part.strip() for value in status or [] for part in value.split(",")}
    if q is not None:
        hits = ticket_search(
            user,
            q,
            statuses=sorted(s for s in statuses if s),
            department_id=department_id,
            assignee=assignee,
            requester=requester,
            queue=queue,
            cursor=cursor,
            limit=limit,
        )
        return ticket_page(request, user, [hit.ticket for hit in hits.hits], hits.next_cursor)
    page = selectors.ticket_list(
        user=user,
        queue=queue,
        status=sorted(s for s in statuses if s) or None,
        department_id=department_id,
        assignee=assignee,
        requester=requester,
        cursor=cursor,
        limit=limit,
    )
    return ticket_page(request, user, page.items, page.next_cursor)


def ticket_page(
    request: HttpRequest, user: User, tickets: list[Ticket], next_cursor: str | None
) -> HttpResponse:
    """A ``TicketPage``, rendered from plain data (see ``presenters``)."""
    member_of = access.member_department_ids(user) if user.is_agent else frozenset()
    items = [
        presenters.ticket_data(
            ticket, allowed_actions=access.ticket_actions(user, ticket, member_of=member_of)
        )
        for ticket in tickets
    ]
    return presenters.rendered(request, {"items": items, "next_cursor": next_cursor})


def parse_q(q: str) -> ParsedQuery:
    """The query in ``q``, or a 400 naming the first problem in it."""
    try:
        return parse_query(q)
    except QuerySyntaxError as error:
        raise ValidationFailed(
            f"q: {error.message} (at character {error.position + 1})",
            fields={"q": error.message},
        ) from None


def ticket_search(
    user: User,
    q: str,
    *,
    statuses: list[str],
    department_id: int | None,
    assignee: str | None,
    requester: str | None,
    queue: str | None,
    cursor: str | None,
    limit: int,
) -> SearchPage:
    """``GET /tickets?q=``: the query, with the list's own parameters as more filters."""
    parsed = parse_q(q)
    extra: list[Filter] = []
    for name, values in (("status", statuses), ("assignee", [assignee] if assignee else [])):
        if values:
            try:
                extra.append(read_filter(name, values))
            except QuerySyntaxError as error:
                raise ValidationFailed(error.message, fields={name: "invalid"}) from None
    if department_id is not None:
        extra.append(Filter("dept", (str(department_id),)))
    if requester == "me":
        extra.append(Filter("requester", ("me",)))
    elif requester:
        raise ValidationFailed("requester must be me", fields={"requester": "invalid"})
    page = search_tickets(
        user=user, query=parsed, filters=extra, queue=queue or None, limit=limit, cursor=cursor
    )
    refuse_unknown_names(page)
    return page


def refuse_unknown_names(page: SearchPage) -> None:
    """A 400 when the query names a department, team or category that does not exist (for
    agents): an empty answer would hide the typo."""
    if page.unknown_names:
        raise ValidationFailed(f"q: {page.unknown_names[0]}", fields={"q": page.unknown_names[0]})


@router.get(f"/tickets/{TICKET}", response={200: TicketOut, **ERRORS})
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    user = caller(request)
    ticket = access.access_ticket(user, number)
    response = ticket_rendered(request, user, ticket)
    with_etag(response, ticket)
    return response


@router.patch(f"/tickets/{TICKET}", response={200: TicketOut, **ERRORS})
def ticket_update(
    request: HttpRequest,
    number: int,
    payload: TicketUpdateIn,
    response: HttpResponse,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> TicketOut:
    """Edit fields (agents). Send the version you last saw as ``If-Match``: 412 without it,
    409 ``stale_version`` if the ticket changed since."""
    user = caller(request)
    ticket = access.access_ticket(user, number)
    version = expected_version(if_match)
    sent = payload.model_dump(exclude_unset=True)
    if not sent:
        raise ValidationFailed("nothing to change: send at least one field")
    changes: dict[str, Any] = {
        name: value for name, value in sent.items() if not name.endswith("_id")
    }
    if "category_id" in sent:
        changes["category"] = lookups.category(sent["category_id"])
    if "team_id" in sent:
        changes["team"] = lookups.team(sent["team_id"])
    if "help_topic_id" in sent:
        changes["help_topic"] = lookups.help_topic(sent["help_topic_id"])
    ticket = services.ticket_update(
        actor=user, ticket=ticket, expected_version=version, changes=changes
    )
    with_etag(response, ticket)
    return ticket_out(user, ticket)
