"""Keep a ticket's SLA clock current. Called by the ticket services and the sweeps while they
hold the ticket's row lock; never recomputes from history, only moves the clock forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from helpline.sla import engine
from helpline.sla.models import Policy
from helpline.tickets.models import Ticket
from helpline.tickets.states import Status

SLA_FIELDS = (
    "sla_policy", "first_response_due_at", "next_response_due_at", "resolution_due_at",
    "first_response_state", "next_response_state", "resolution_state", "sla_paused_minutes",
    "sla_paused_since", "awaiting_reply_since", "sla_next_check_at",
)  # fmt: skip


@dataclass(frozen=True)
class SlaEvent:
    """A target that just reached ``warning`` or ``breached``."""

    target: str  # first_response | next_response | resolution
    state: engine.TargetState


def policy_for(ticket: Ticket) -> Policy | None:
    """The policy that applies: the help topic's, else the department's, else the default."""
    if ticket.help_topic is not None and ticket.help_topic.sla_policy_id:
        return ticket.help_topic.sla_policy
    if ticket.department.sla_policy_id:
        return ticket.department.sla_policy
    return Policy.objects.filter(is_default=True).first()


def clock_stopped(status: str, policy: Policy) -> bool:
    if status in (Status.PENDING, Status.RESOLVED, Status.CLOSED):
        return True
    return status == Status.ON_HOLD and policy.pause_on_hold


def _clock(ticket: Ticket) -> engine.Clock:
    return engine.Clock(
        created_at=ticket.created_at,
        paused_minutes=ticket.sla_paused_minutes,
        paused_since=ticket.sla_paused_since,
        first_response_at=ticket.first_response_at,
        awaiting_reply_since=ticket.awaiting_reply_since,
        resolved_at=ticket.resolved_at,
    )


def sla_refresh(
    ticket: Ticket, *, now: datetime, reselect_policy: bool = False
) -> tuple[list[str], list[SlaEvent]]:
    """Bring the ticket's SLA fields up to ``now`` after a change (status, priority, replies).

    Call while holding the row lock, after the ticket's other fields were changed and before
    saving. Returns the fields changed and the targets that newly warned or breached.
    """
    changed: list[str] = []
    if reselect_policy or ticket.sla_policy_id is None:
        policy = policy_for(ticket)
        if (policy.pk if policy else None) != ticket.sla_policy_id:
            ticket.sla_policy = policy
            changed.append("sla_policy")
    policy = ticket.sla_policy
    if policy is None:
        return changed + _clear(ticket), []
    calendar = policy.calendar.to_business_calendar()
    clock = _clock(ticket)
    if clock_stopped(ticket.status, policy):
        clock = engine.pause(clock, now)
    else:
        clock = engine.resume(clock, calendar, now)
    judged = engine.evaluate(clock, policy.targets_for(ticket.priority), calendar, now)
    status = engine.Status(
        first_response=(
            _settled(ticket, "first_response", ticket.first_response_at) or judged.first_response
        ),
        next_response=judged.next_response,
        resolution=_settled(ticket, "resolution", ticket.resolved_at) or judged.resolution,
        stopped=judged.stopped,
    )

    events = []
    for name in engine.TARGETS:
        target: engine.TargetStatus = getattr(status, name)
        old = getattr(ticket, f"{name}_state")
        if target.state != old and target.state in (
            engine.TargetState.WARNING,
            engine.TargetState.BREACHED,
        ):
            events.append(SlaEvent(name, target.state))
        _set(ticket, changed, f"{name}_state", target.state.value)
        _set(ticket, changed, f"{name}_due_at", target.due_at)
    _set(ticket, changed, "sla_paused_minutes", clock.paused_minutes)
    _set(ticket, changed, "sla_paused_since", clock.paused_since)
    _set(ticket, changed, "awaiting_reply_since", clock.awaiting_reply_since)
    _set(ticket, changed, "sla_next_check_at", status.next_check_at())
    return changed, events


def _settled(ticket: Ticket, name: str, met_at: datetime | None) -> engine.TargetStatus | None:
    """The target as stored if it was already judged met or late, else None.

    A met target is history: the engine cannot tell pauses after it was met from pauses
    before, and counting them would move its due time (a late first response would turn into
    a met one). A reopened ticket's resolution has no ``met_at`` and is open again.
    """
    state = getattr(ticket, f"{name}_state")
    due_at = getattr(ticket, f"{name}_due_at")
    if met_at is None or due_at is None or state not in ("met", "breached"):
        return None
    return engine.TargetStatus(engine.TargetState(state), due_at, None)


def _set(ticket: Ticket, changed: list[str], name: str, value: object) -> None:
    if getattr(ticket, name) != value:
        setattr(ticket, name, value)
        changed.append(name)


def _clear(ticket: Ticket) -> list[str]:
    changed: list[str] = []
    for name in engine.TARGETS:
        _set(ticket, changed, f"{name}_state", "")
        _set(ticket, changed, f"{name}_due_at", None)
    _set(ticket, changed, "sla_next_check_at", None)
    return changed


def sla_record_events(ticket: Ticket, events: list[SlaEvent], *, actor: object = None) -> None:
    """Audit and notify each warning or breach. Call inside the transaction that saved them."""
    from helpline.audit.services import audit_record
    from helpline.notifications import events as notify

    for event in events:
        kind = "warning" if event.state is engine.TargetState.WARNING else "breach"
        due = getattr(ticket, f"{event.target}_due_at")
        audit_record(
            actor=actor,
            action=f"sla.{kind}",
            obj=ticket,
            ticket=ticket,
            after={f"{event.target}_state": event.state.value, f"{event.target}_due_at": due},
            note=f"{event.target.replace('_', ' ')} {kind}",
        )
        notify.sla_event(ticket, target=event.target, state=event.state.value)
