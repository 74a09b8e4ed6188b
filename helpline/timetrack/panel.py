"""What the time panel on the agent's ticket page shows. Shared by the template tag (first
render) and the panel's own views (htmx refreshes). Four queries, whatever the entry count."""

from __future__ import annotations

from typing import Any

from django import forms

from helpline.accounts.models import User
from helpline.tickets.models import Ticket
from helpline.timetrack import selectors
from helpline.timetrack.forms import ReplyTimeForm, TimeEntryForm, TimerStopForm


def panel_context(
    user: User,
    ticket: Ticket,
    *,
    bound: dict[str, forms.Form] | None = None,
    editing: int | None = None,
) -> dict[str, Any]:
    """Call with a ticket ``user`` may see (read with ``access.access_ticket``)."""
    entries = selectors.time_entries(ticket=ticket)
    activities = selectors.activity_types()
    # The ticket came through access_ticket, so an agent sees it; seeing is what logging needs
    # (services.check_can_log still judges every write).
    can_log = user.is_agent and not ticket.is_closed
    timer = selectors.running_timer(agent=user, ticket=ticket) if can_log else None
    reply = selectors.untimed_reply(agent=user, ticket=ticket) if can_log else None
    bound = bound or {}
    edit_form = None
    for time_entry in entries:
        time_entry.editable = can_log and (user.is_admin or time_entry.agent_id == user.pk)  # type: ignore[attr-defined]
        if time_entry.pk == editing and time_entry.editable:  # type: ignore[attr-defined]
            edit_form = bound.get("edit") or TimeEntryForm(
                activities=activities,
                auto_id="time-edit-%s",
                initial={
                    "minutes": time_entry.minutes,
                    "activity": time_entry.activity_id,
                    "note": time_entry.note,
                    "work_date": time_entry.work_date,
                },
            )
    return {
        "ticket": ticket,
        "entries": entries,
        "totals": selectors.totals(entries),
        "can_log": can_log,
        "timer": timer,
        "reply": reply,
        "editing": editing if edit_form is not None else None,
        "edit_form": edit_form,
        "log_form": bound.get("log") or TimeEntryForm(activities=activities, auto_id="time-%s"),
        "reply_form": bound.get("reply")
        or ReplyTimeForm(
            activities=activities,
            auto_id="reply-time-%s",
            initial={"entry": reply.pk if reply else None},
        ),
        "stop_form": bound.get("stop") or TimerStopForm(activities=activities, auto_id="timer-%s"),
    }
