"""Status changes, taking, assigning and escalating."""

from __future__ import annotations

from django.db import transaction

from helpline.accounts.models import User
from helpline.audit.services import audit_record
from helpline.core.errors import (
    InvalidTransition,
    ValidationFailed,
)
from helpline.directory.models import Department, Team
from helpline.notifications import events as notify
from helpline.tickets import access
from helpline.tickets.assignment import pick_agent
from helpline.tickets.models import (
    EntryKind,
    Ticket,
)
from helpline.tickets.services._common import (
    MAX_LEVEL,
    Resolution,
    _add_entry,
    _assign,
    _clean_text,
    _enum,
    _lock,
    _save,
    _set_status,
    _snapshot,
    _status_event,
    _transition,
)
from helpline.tickets.states import (
    Action,
    Status,
)

# --- lifecycle -----------------------------------------------------------------------------


def ticket_transition(
    *,
    actor: User,
    ticket: Ticket,
    action: str,
    resolution: Resolution | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move the ticket along its lifecycle: pend, hold, resume, resolve, reopen, close.

    ``resolve`` needs a ``resolution`` (problem identified and action taken at least);
    ``reopen`` needs a ``reason``. A customer may only close (confirm) or reopen their own
    resolved ticket.
    """
    action_enum = _enum(Action, action, "action")
    if action_enum in (Action.CUSTOMER_REPLY, Action.OPEN):
        raise ValidationFailed(f"{action} is not a transition you can ask for")
    reason = (reason or "").strip()[:5000]
    if action_enum is Action.REOPEN and not reason:
        raise ValidationFailed("say why the ticket is reopened", fields={"reason": "required"})
    if action_enum is Action.RESOLVE:
        if resolution is None:
            raise ValidationFailed(
                "a resolution is required", fields={"resolution": "required to resolve"}
            )
        resolution.check()
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, action_enum)
        new_status = _transition(ticket, action_enum)
        fields = ["status", "resolution_problem", "resolution_action", "reopen_count"]
        before = _snapshot(ticket, fields)
        changed = _set_status(ticket, new_status)
        if resolution is not None and action_enum is Action.RESOLVE:
            ticket.resolution_problem = resolution.problem_identified.strip()
            ticket.resolution_action = resolution.action_taken.strip()
            ticket.resolution_confirmation = resolution.confirmation.strip()
            ticket.resolution_next_steps = resolution.next_steps.strip()
            changed += [
                "resolution_problem",
                "resolution_action",
                "resolution_confirmation",
                "resolution_next_steps",
            ]
            if ticket.first_response_at is None:
                # The resolution notice is the desk's first public answer.
                ticket.first_response_at = ticket.resolved_at
                changed.append("first_response_at")
        if action_enum is Action.REOPEN:
            ticket.reopen_count += 1
            ticket.resolved_at = None
            changed += ["reopen_count", "resolved_at"]
        _status_event(ticket, actor, before["status"], new_status)
        if reason:
            # The customer's own words stay public; an agent's reason is an internal note.
            _add_entry(
                ticket,
                kind=EntryKind.NOTE if actor.is_agent else EntryKind.CUSTOMER_MESSAGE,
                author=actor,
                body=f"{action_enum.value.capitalize()}: {reason}",
            )
        _save(ticket, changed)
        audit_record(
            actor=actor,
            action=f"ticket.{action_enum.value}",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, fields),
            note=reason,
        )
        notify.status_changed(ticket, action_enum.value)
    return ticket


def ticket_take(*, actor: User, ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """An agent claims the ticket for themselves; a new ticket becomes open."""
    access.check_is_agent(actor, "take tickets")
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        if ticket.is_closed:
            raise InvalidTransition("this ticket is closed")
        if not actor.is_admin and not access.is_member(actor, ticket.department_id):
            raise ValidationFailed("you are not a member of this ticket's department")
        before = _snapshot(ticket, ["assignee", "status"])
        changed = _assign(ticket, actor)
        if ticket.status == Status.NEW:
            changed += _set_status(ticket, Status.OPEN)
            _status_event(ticket, actor, before["status"], Status.OPEN)
        _save(ticket, changed)
        audit_record(
            actor=actor,
            action="ticket.take",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, ["assignee", "status"]),
        )
    return ticket


def ticket_assign(
    *, actor: User, ticket: Ticket, assignee: User | None, expected_version: int | None = None
) -> Ticket:
    """Give the ticket to an agent of its department (or unassign with None)."""
    access.check_is_agent(actor, "assign tickets")
    if assignee is not None and not assignee.is_agent:
        raise ValidationFailed(
            "tickets can only be assigned to agents", fields={"assignee": "not an agent"}
        )
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.is_closed:
            raise InvalidTransition("this ticket is closed")
        if (
            assignee is not None
            and not assignee.is_admin
            and not access.is_member(assignee, ticket.department_id)
        ):
            raise ValidationFailed(
                f"{assignee.display_name} is not a member of {ticket.department}",
                fields={"assignee": "not in this department"},
            )
        before = _snapshot(ticket, ["assignee"])
        _save(ticket, _assign(ticket, assignee))
        audit_record(
            actor=actor,
            action="ticket.assign",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, ["assignee"]),
        )
        if assignee is not None and assignee.pk != actor.pk:
            notify.ticket_assigned(ticket, assignee)
    return ticket


def ticket_escalate(
    *,
    actor: User,
    ticket: Ticket,
    note: str,
    to_level: int | None = None,
    department: Department | None = None,
    team: Team | None = None,
    agent: User | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Functional escalation, with a required note (kept internal).

    With no target the ticket goes to the next support level of its department. A department,
    team, level or named agent can be given; the new assignee is picked by the assignment
    function among available agents of the target level, or left unassigned in the queue.
    """
    access.check_is_agent(actor, "escalate tickets")
    note = _clean_text(note, field="note", max_length=20_000)
    if agent is not None and not agent.is_agent:
        raise ValidationFailed(
            "escalation can only go to an agent", fields={"agent": "not an agent"}
        )
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.status not in (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD):
            raise InvalidTransition(f"cannot escalate a ticket that is {ticket.status_enum.label}")
        fields = ["support_level", "department", "team", "assignee", "status"]
        before = _snapshot(ticket, fields)
        level = to_level
        if level is None and department is None and team is None and agent is None:
            level = ticket.support_level + 1
        if level is not None and not 1 <= level <= MAX_LEVEL:
            raise ValidationFailed(
                f"there is no support level {level}",
                fields={"to_level": f"between 1 and {MAX_LEVEL}"},
            )
        target_department = department or ticket.department
        if (
            agent is not None
            and not agent.is_admin
            and not access.is_member(agent, target_department.pk)
        ):
            raise ValidationFailed(
                f"{agent.display_name} is not a member of {target_department}",
                fields={"agent": "not in the target department"},
            )
        if (
            (level is None or level == ticket.support_level)
            and target_department.pk == ticket.department_id
            and team is None
            and agent is None
        ):
            raise ValidationFailed("the ticket is already there", fields={"to_level": "unchanged"})
        ticket.department = target_department
        if level is not None:
            ticket.support_level = level
        if team is not None:
            ticket.team = team
        new_agent = agent or pick_agent(
            department_id=target_department.pk,
            level=ticket.support_level,
            exclude_ids=(actor.pk,),
            tags=[tag.name for tag in ticket.tags.all()],
        )
        changed = ["support_level", "department", "team", *_assign(ticket, new_agent)]
        if ticket.status == Status.NEW:
            changed += _set_status(ticket, Status.OPEN)
            _status_event(ticket, actor, before["status"], Status.OPEN)
        _add_entry(ticket, kind=EntryKind.NOTE, author=actor, body=f"Escalated: {note}")
        _save(ticket, changed, reselect_policy=before["department"] != ticket.department)
        audit_record(
            actor=actor,
            action="ticket.escalate",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, fields),
            note=note,
        )
        notify.ticket_escalated(ticket, new_agent)
    return ticket
