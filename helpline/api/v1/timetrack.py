"""Time entries of a ticket: agents who work it list, log, change and delete them. To a
customer they do not exist (404)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictInt

from helpline.accounts.models import User
from helpline.api.v1.auth import caller
from helpline.api.v1.paths import TICKET
from helpline.api.v1.schemas import ERRORS, Id, In, QueryId, Ref, Text
from helpline.core.errors import NotFound, ValidationFailed
from helpline.tickets import access
from helpline.tickets.models import ThreadEntry, Ticket
from helpline.timetrack import selectors, services
from helpline.timetrack.models import ActivityType, TimeEntry

router = Router(tags=["time"])

Minutes = Annotated[StrictInt, Field(description="1 to 1440 (24 hours).")]
Note = Annotated[Text, Field(max_length=services.MAX_NOTE)]


class TimeEntryIn(In):
    minutes: Minutes
    activity_id: Id
    note: Note = ""
    work_date: date | None = Field(default=None, description="Defaults to today.")
    entry_id: Id | None = Field(default=None, description="One of your replies on the ticket.")


class TimeEntryPatch(In):
    minutes: Minutes | None = None
    activity_id: Id | None = None
    note: Note | None = None
    work_date: date | None = None


class TimeEntryOut(Schema):
    id: int
    agent: Ref
    activity: Ref
    minutes: int
    note: str
    work_date: date
    hourly_rate: Decimal
    cost: Decimal
    entry_id: int | None
    created_at: datetime
    updated_at: datetime


class TimeEntryList(Schema):
    items: list[TimeEntryOut]
    total_minutes: int
    total_cost: Decimal = Field(description="The ticket's cost: the sum of its entries' costs.")


def _out(e: TimeEntry) -> TimeEntryOut:
    return TimeEntryOut(
        id=e.pk,
        agent=Ref(id=e.agent.pk, name=e.agent.display_name),
        activity=Ref(id=e.activity.pk, name=e.activity.name),
        minutes=e.minutes,
        note=e.note,
        work_date=e.work_date,
        hourly_rate=e.hourly_rate,
        cost=e.cost,
        entry_id=e.entry_id,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


def _ticket(user: User, number: int) -> Ticket:
    if not access.can_see_internal(user):
        raise NotFound("no such ticket")
    return access.access_ticket(user, number, related=False)


def _activity(pk: int) -> ActivityType:
    activity = ActivityType.objects.filter(pk=pk).first()
    if activity is None:
        raise ValidationFailed(
            f"there is no activity type {pk}", fields={"activity_id": "unknown activity type"}
        )
    return activity


def _entry(ticket: Ticket, entry_id: int) -> TimeEntry:
    entry = (
        TimeEntry.objects.select_related("agent", "activity")
        .filter(pk=entry_id, ticket=ticket)
        .first()
    )
    if entry is None:
        raise NotFound("no such time entry")
    return entry


@router.get(f"/tickets/{TICKET}/time-entries", response={200: TimeEntryList, **ERRORS})
def time_entry_list(request: HttpRequest, number: int) -> TimeEntryList:
    """The ticket's time entries with its total time and cost (agents and admins)."""
    ticket = _ticket(caller(request), number)
    entries = selectors.time_entries(ticket=ticket)
    totals = selectors.totals(entries)
    return TimeEntryList(
        items=[_out(e) for e in entries], total_minutes=totals.minutes, total_cost=totals.cost
    )


@router.post(f"/tickets/{TICKET}/time-entries", response={201: TimeEntryOut, **ERRORS})
def time_entry_create(
    request: HttpRequest, number: int, payload: TimeEntryIn
) -> Status[TimeEntryOut]:
    """Log time (agents of the ticket's department, its assignee, admins), at the caller's
    hourly rate now; ``entry_id`` ties it to one of the caller's replies."""
    user = caller(request)
    ticket = _ticket(user, number)
    reply = None
    if payload.entry_id is not None:
        reply = ThreadEntry.objects.filter(pk=payload.entry_id, ticket=ticket).first()
        if reply is None:
            raise ValidationFailed(
                "no such reply on this ticket", fields={"entry_id": "not a reply on this ticket"}
            )
    entry = services.time_entry_log(
        actor=user,
        ticket=ticket,
        minutes=payload.minutes,
        activity=_activity(payload.activity_id),
        note=payload.note,
        work_date=payload.work_date,
        entry=reply,
    )
    return Status(201, _out(_entry(ticket, entry.pk)))


@router.patch(
    f"/tickets/{TICKET}/time-entries/{{entry_id}}", response={200: TimeEntryOut, **ERRORS}
)
def time_entry_update(
    request: HttpRequest, number: int, entry_id: QueryId, payload: TimeEntryPatch
) -> TimeEntryOut:
    """Change your entry (admins: any). Its cost follows the minutes at its own rate."""
    user = caller(request)
    ticket = _ticket(user, number)
    sent = payload.model_dump(exclude_unset=True)
    if not sent:
        raise ValidationFailed("nothing to change: send at least one field")
    null = [name for name, value in sent.items() if value is None]
    if null:
        raise ValidationFailed(
            "these fields cannot be cleared", fields={name: "must not be null" for name in null}
        )
    changes: dict[str, Any] = {k: v for k, v in sent.items() if k != "activity_id"}
    if "activity_id" in sent:
        changes["activity"] = _activity(sent["activity_id"])
    entry = services.time_entry_update(
        actor=user, time_entry=_entry(ticket, entry_id), changes=changes
    )
    return _out(_entry(ticket, entry.pk))


@router.delete(f"/tickets/{TICKET}/time-entries/{{entry_id}}", response={204: None, **ERRORS})
def time_entry_delete(request: HttpRequest, number: int, entry_id: QueryId) -> Status[None]:
    user = caller(request)
    ticket = _ticket(user, number)
    services.time_entry_delete(actor=user, time_entry=_entry(ticket, entry_id))
    return Status(204, None)
