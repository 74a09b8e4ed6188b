"""The only writers of time entries and timers.

Agents who work a ticket (its department's members, its assignee, admins) log time on it;
they edit and delete their own entries, admins any. An entry's rate and cost are fixed when it
is logged: editing the minutes recomputes the cost at the entry's own rate. Closed tickets
take no more time.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from helpline.accounts.models import User
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.tickets import access
from helpline.tickets.models import EntryKind, ThreadEntry, Ticket
from helpline.tickets.states import Action
from helpline.timetrack import cost
from helpline.timetrack.models import ActivityType, TimeEntry, Timer
from helpline.timetrack.selectors import hourly_rate

MAX_NOTE = 500
EDITABLE = ("minutes", "activity", "note", "work_date")


def check_can_log(actor: User, ticket: Ticket) -> None:
    """Raise unless ``actor`` may log time on ``ticket`` now."""
    access.check_is_agent(actor, "log time")
    try:
        access.check_can_act(actor, ticket, Action.OPEN)
    except PermissionDenied:
        raise PermissionDenied(
            "only agents of the ticket's department can log time on it"
        ) from None
    if ticket.is_closed:
        raise Conflict("the ticket is closed; its time can no longer change", code="closed")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Check the editable values given; raise ValidationFailed naming every bad one."""
    errors: dict[str, str] = {}
    if "minutes" in values and (why := cost.check_minutes(values["minutes"])):
        errors["minutes"] = why
    if "activity" in values:
        activity = values["activity"]
        if not isinstance(activity, ActivityType) or not activity.is_active:
            errors["activity"] = "pick an active activity type"
    if "note" in values:
        values["note"] = (values["note"] or "").replace("\x00", "").strip()
        if len(values["note"]) > MAX_NOTE:
            errors["note"] = f"at most {MAX_NOTE} characters"
    if "work_date" in values:
        work_date = values["work_date"]
        today = clock.now().date()
        if not isinstance(work_date, date):
            errors["work_date"] = "a date"
        elif work_date > today + timedelta(days=1):
            errors["work_date"] = "not in the future"
        elif work_date < today - timedelta(days=366):
            errors["work_date"] = "within the last year"
    if errors:
        raise ValidationFailed("the time entry is not valid", fields=errors)
    return values


def _lock_ticket(ticket: Ticket) -> Ticket:
    Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk").get()
    return Ticket.objects.select_related("department", "assignee").get(pk=ticket.pk)


def time_entry_log(
    *,
    actor: User,
    ticket: Ticket,
    minutes: object,
    activity: ActivityType | None,
    note: str = "",
    work_date: date | None = None,
    entry: ThreadEntry | None = None,
) -> TimeEntry:
    """Log ``minutes`` of ``actor``'s work on ``ticket``, at ``actor``'s current rate.
    ``entry`` ties the time to one of the actor's replies on this ticket."""
    values = _clean(
        {
            "minutes": minutes,
            "activity": activity,
            "note": note,
            "work_date": work_date or clock.now().date(),
        }
    )
    with transaction.atomic():
        ticket = _lock_ticket(ticket)
        check_can_log(actor, ticket)
        if entry is not None:
            _check_reply(actor, ticket, entry)
        rate = hourly_rate(actor)
        time_entry = TimeEntry.objects.create(
            ticket=ticket,
            department=ticket.department,
            agent=actor,
            hourly_rate=rate,
            cost=cost.entry_cost(values["minutes"], rate),
            entry=entry,
            **values,
        )
        audit_record(
            actor=actor,
            action="time.logged",
            obj=time_entry,
            ticket=ticket,
            after=_snapshot(time_entry),
        )
    return time_entry


def _check_reply(actor: User, ticket: Ticket, entry: ThreadEntry) -> None:
    if entry.ticket_id != ticket.pk or entry.kind != EntryKind.REPLY or entry.author_id != actor.pk:
        raise ValidationFailed(
            "time can only be added to one of your own replies on this ticket",
            fields={"entry_id": "not your reply on this ticket"},
        )
    if TimeEntry.objects.filter(entry=entry).exists():
        raise Conflict("time was already logged for this reply", code="already_logged")


def _snapshot(time_entry: TimeEntry) -> dict[str, Any]:
    return {
        "minutes": time_entry.minutes,
        "activity": time_entry.activity,
        "note": time_entry.note,
        "work_date": time_entry.work_date,
        "cost": time_entry.cost,
    }


def _lock_entry(actor: User, time_entry: TimeEntry) -> TimeEntry:
    locked = (
        TimeEntry.objects.select_for_update()
        .filter(pk=time_entry.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if locked is None:
        raise NotFound("no such time entry")
    time_entry = TimeEntry.objects.select_related("ticket", "activity").get(pk=locked)
    if not (actor.is_admin or time_entry.agent_id == actor.pk):
        raise PermissionDenied("you can only change your own time entries")
    check_can_log(actor, time_entry.ticket)
    return time_entry


def time_entry_update(*, actor: User, time_entry: TimeEntry, changes: dict[str, Any]) -> TimeEntry:
    """Change minutes, activity, note or work date of an entry (own entries; admins any).
    The cost follows the minutes at the entry's own rate."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}")
    changes = _clean(dict(changes))
    with transaction.atomic():
        time_entry = _lock_entry(actor, time_entry)
        before = _snapshot(time_entry)
        for name, value in changes.items():
            setattr(time_entry, name, value)
        time_entry.cost = cost.entry_cost(time_entry.minutes, time_entry.hourly_rate)
        time_entry.updated_at = clock.now()
        time_entry.save()
        audit_record(
            actor=actor,
            action="time.updated",
            obj=time_entry,
            ticket=time_entry.ticket,
            before=before,
            after=_snapshot(time_entry),
        )
    return time_entry


def time_entry_delete(*, actor: User, time_entry: TimeEntry) -> None:
    with transaction.atomic():
        time_entry = _lock_entry(actor, time_entry)
        audit_record(
            actor=actor,
            action="time.deleted",
            obj=time_entry,
            ticket=time_entry.ticket,
            before=_snapshot(time_entry),
        )
        time_entry.delete()


def timer_start(*, actor: User, ticket: Ticket) -> Timer:
    """Start the actor's timer on the ticket; a running one keeps running."""
    check_can_log(actor, ticket)
    try:
        with transaction.atomic():
            timer, _ = Timer.objects.get_or_create(agent=actor, ticket=ticket)
    except IntegrityError:  # started twice at once: the other request's timer stands
        timer = Timer.objects.get(agent=actor, ticket=ticket)
    return timer


def timer_stop(
    *, actor: User, ticket: Ticket, activity: ActivityType | None, note: str = ""
) -> TimeEntry:
    """Stop the actor's timer and log the whole minutes it ran (at least one)."""
    with transaction.atomic():
        timer = Timer.objects.select_for_update().filter(agent=actor, ticket=ticket).first()
        if timer is None:
            raise Conflict("no timer is running on this ticket", code="no_timer")
        elapsed = (clock.now() - timer.started_at).total_seconds()
        minutes = cost.minutes_between(elapsed)
        if minutes > cost.MAX_MINUTES:
            raise ValidationFailed(
                "the timer ran for more than 24 hours; discard it and log the time by hand",
                fields={"minutes": "more than 24 hours"},
            )
        time_entry = time_entry_log(
            actor=actor, ticket=ticket, minutes=minutes, activity=activity, note=note
        )
        timer.delete()
    return time_entry


def timer_discard(*, actor: User, ticket: Ticket) -> None:
    Timer.objects.filter(agent=actor, ticket=ticket).delete()
