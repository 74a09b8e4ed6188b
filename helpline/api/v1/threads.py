"""A ticket's thread (messages, internal notes) and its audit trail."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from helpline.api.v1 import presenters
from helpline.api.v1.auth import caller
from helpline.api.v1.paths import TICKET
from helpline.api.v1.schemas import ERRORS, EntryList, EntryOut, EventList, MessageIn, QueryId
from helpline.core.errors import NotFound
from helpline.tickets import access, selectors, services
from helpline.tickets.states import Channel

router = Router(tags=["tickets"])


@router.get(f"/tickets/{TICKET}/messages", response={200: EntryList, **ERRORS})
def message_list(
    request: HttpRequest,
    number: int,
    before: Annotated[
        QueryId | None, Query(description="Only entries older than this entry id.")
    ] = None,
    limit: Annotated[
        int | None,
        Query(description=f"The newest this-many entries (1 to {selectors.MAX_THREAD_PAGE})."),
    ] = None,
) -> HttpResponse:
    """The thread as the caller may see it, oldest first: customers never get internal notes.

    Without ``before`` and ``limit``, the whole thread. With them, the newest ``limit``
    entries (older than entry ``before``), and ``earlier``: how many older ones remain; the
    next page is ``?before=<id of the first item>``."""
    user = caller(request)
    ticket = access.access_ticket(user, number, related=False)
    # An EntryList, as plain data (see presenters.entry_data and thread_data).
    if before is None and limit is None:
        thread = selectors.ticket_thread_rows(user=user, ticket=ticket)
        return presenters.rendered(request, {"items": presenters.thread_data(thread), "earlier": 0})
    page = selectors.ticket_thread_page(
        user=user,
        ticket=ticket,
        before=before,
        limit=selectors.THREAD_PAGE if limit is None else limit,
    )
    items = [presenters.entry_data(entry) for entry in page.entries]
    return presenters.rendered(request, {"items": items, "earlier": page.earlier})


@router.post(f"/tickets/{TICKET}/messages", response={201: EntryOut, **ERRORS})
def message_create(request: HttpRequest, number: int, payload: MessageIn) -> Status[EntryOut]:
    """A public reply or customer message; ``internal: true`` writes a note (agents only)."""
    user = caller(request)
    ticket = access.access_ticket(user, number)
    if payload.internal:
        entry = services.ticket_note(actor=user, ticket=ticket, body=payload.body)
    else:
        entry = services.ticket_reply(
            actor=user, ticket=ticket, body=payload.body, channel=Channel.API
        )
    return Status(201, presenters.entry(entry))


@router.get(f"/tickets/{TICKET}/events", response={200: EventList, **ERRORS})
def event_list(request: HttpRequest, number: int) -> EventList:
    """The audit trail (agents and admins). To anyone else it does not exist: 404."""
    user = caller(request)
    if not access.can_see_internal(user):
        raise NotFound("no such ticket")
    ticket = access.access_ticket(user, number, related=False)
    events = selectors.ticket_events(user=user, ticket=ticket)
    return EventList(items=[presenters.event(event) for event in events])
