"""Editing fields, the SLA policy and the department."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from helpline.accounts.models import User
from helpline.audit.services import audit_record
from helpline.core.errors import (
    InvalidTransition,
    ValidationFailed,
)
from helpline.directory.models import Department
from helpline.notifications import events as notify
from helpline.sla.models import Policy
from helpline.tickets import access
from helpline.tickets.assignment import pick_agent
from helpline.tickets.models import (
    EntryKind,
    Ticket,
)
from helpline.tickets.priority import derive_priority
from helpline.tickets.services._common import (
    _add_entry,
    _assign,
    _clean_text,
    _enum,
    _lock,
    _save,
    _snapshot,
    _tags,
    priority_matrix,
)
from helpline.tickets.states import (
    Action,
    Level,
    Priority,
    TicketType,
)

# --- edit ----------------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "subject", "type", "category", "impact", "urgency", "priority", "tags", "device",
    "location", "team", "help_topic",
)  # fmt: skip


def ticket_update(
    *, actor: User, ticket: Ticket, expected_version: int, changes: Mapping[str, Any]
) -> Ticket:
    """Edit ticket fields (agents only), guarded by optimistic locking.

    ``changes`` holds already-resolved values: model instances for category, team and help
    topic. Changing impact or urgency re-derives the priority unless a priority is also given.
    """
    access.check_is_agent(actor, "edit tickets")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            "these fields cannot be changed here: " + ", ".join(sorted(unknown)),
            fields={name: "not editable" for name in unknown},
        )
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.is_closed:
            raise InvalidTransition("closed tickets cannot be changed")
        plain = [name for name in changes if name != "tags"]
        rederive = ("impact" in changes or "urgency" in changes) and "priority" not in changes
        if rederive:
            plain.append("priority")
        before = _snapshot(ticket, plain)
        if "tags" in changes:
            before["tags"] = sorted(tag.name for tag in ticket.tags.all())
        for name in changes:
            if name == "tags":
                continue
            value = changes[name]
            if name == "subject":
                value = _clean_text(value, field="subject", max_length=250)
            elif name in ("device", "location"):
                value = _clean_text(value or "", field=name, max_length=200, required=False)
            elif name == "type":
                value = _enum(TicketType, value, "type").value
            elif name in ("impact", "urgency"):
                value = _enum(Level, value, name).value
            elif name == "priority":
                value = _enum(Priority, value, "priority").value
            setattr(ticket, name, value)
        if rederive:
            ticket.priority = derive_priority(
                ticket.impact, ticket.urgency, priority_matrix()
            ).value
        after = _snapshot(ticket, plain)
        if "tags" in changes:
            tags = _tags(changes["tags"] or [])
            ticket.tags.set(tags)
            after["tags"] = [tag.name for tag in tags]
        _save(ticket, plain, reselect_policy="help_topic" in changes)
        audit_record(
            actor=actor,
            action="ticket.update",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=after,
        )
    return ticket


def ticket_set_sla_policy(
    *,
    actor: User,
    ticket: Ticket,
    policy: Policy,
    reason: str,
    expected_version: int | None = None,
) -> Ticket:
    """Put the ticket under another SLA policy (agents, with a reason kept as an internal
    note); its due times are recomputed from creation under the new policy's targets."""
    access.check_is_agent(actor, "change a ticket's SLA policy")
    reason = _clean_text(reason, field="reason", max_length=5000)
    with transaction.atomic():
        ticket = _lock(ticket, expected_version)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.is_closed:
            raise InvalidTransition("closed tickets cannot be changed")
        if ticket.sla_policy_id == policy.pk:
            raise ValidationFailed(
                "the ticket is under this policy already", fields={"policy": "unchanged"}
            )
        before = _snapshot(ticket, ["sla_policy", "resolution_due_at"])
        ticket.sla_policy = policy
        _add_entry(ticket, kind=EntryKind.NOTE, author=actor, body=f"SLA policy changed: {reason}")
        _save(ticket, ["sla_policy"])
        audit_record(
            actor=actor,
            action="ticket.sla_policy",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, ["sla_policy", "resolution_due_at"]),
            note=reason,
        )
    return ticket


def ticket_route(
    *, actor: User, ticket: Ticket, department: Department, reassign: bool = True
) -> Ticket:
    """Move the ticket to another department at its support level (routing by an agent or an
    automation rule; unlike escalation it needs no note and keeps the level).

    An assignee who is not a member of the new department (admins always are) loses the
    ticket; with ``reassign`` the new department's assignment strategy picks someone.
    """
    access.check_is_agent(actor, "route tickets")
    if not department.is_active:
        raise ValidationFailed(
            f"{department} does not take tickets", fields={"department": "inactive"}
        )
    with transaction.atomic():
        ticket = _lock(ticket)
        access.check_can_act(actor, ticket, Action.OPEN)
        if ticket.is_closed:
            raise InvalidTransition("this ticket is closed")
        if ticket.department_id == department.pk:
            return ticket
        before = _snapshot(ticket, ["department", "assignee"])
        ticket.department = department
        changed = ["department"]
        assignee = ticket.assignee
        keeps = assignee is not None and (
            assignee.is_admin or access.is_member(assignee, department.pk)
        )
        new_agent = None
        if not keeps:
            if reassign:
                new_agent = pick_agent(
                    department_id=department.pk,
                    level=ticket.support_level,
                    tags=[tag.name for tag in ticket.tags.all()],
                )
            changed += _assign(ticket, new_agent)
        _save(ticket, changed, reselect_policy=True)
        audit_record(
            actor=actor,
            action="ticket.route",
            obj=ticket,
            ticket=ticket,
            before=before,
            after=_snapshot(ticket, ["department", "assignee"]),
        )
        if new_agent is not None:
            notify.ticket_assigned(ticket, new_agent)
    return ticket
