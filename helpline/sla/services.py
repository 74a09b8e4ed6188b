"""Keep a ticket's SLA clock current. Called by the ticket services and the sweeps while they
hold the ticket's row lock; never recomputes from history, only moves the clock forward.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction

from helpline.audit.services import audit_record
from helpline.core import batchsql
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.sla import engine, selectors
from helpline.sla.models import Calendar, NextCheck, Policy, Target
from helpline.tickets.models import Ticket
from helpline.tickets.states import Priority, Status

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


def cached_policy(policy_id: int | None) -> Policy | None:
    """The policy with ``policy_id``, with its calendar and targets, from the per-process
    configuration cache (one query set when it is cold; see ``helpline.core.configcache``).
    The instance is shared: read it, never change it."""
    if policy_id is None:
        return None
    policy = selectors.cached_policies()[0].get(policy_id)
    if policy is None:  # created in another process since the cache was filled
        selectors.forget_policies()
        policy = selectors.cached_policies()[0].get(policy_id)
    return policy


def policy_for(ticket: Ticket) -> Policy | None:
    """The policy that applies: the help topic's, else the department's, else the default."""
    if ticket.help_topic is not None and ticket.help_topic.sla_policy_id:
        return cached_policy(ticket.help_topic.sla_policy_id)
    if ticket.department.sla_policy_id:
        return cached_policy(ticket.department.sla_policy_id)
    return cached_policy(selectors.cached_policies()[1])


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
    policy = cached_policy(ticket.sla_policy_id)
    if policy is None:
        return changed + _clear(ticket), []
    calendar = policy.calendar.to_business_calendar()
    clock = _clock(ticket)
    if clock_stopped(ticket.status, policy):
        clock = engine.pause(clock, now)
    else:
        clock = engine.resume(clock, calendar, now)
    settled_first = _settled(ticket, "first_response", ticket.first_response_at)
    settled_resolution = _settled(ticket, "resolution", ticket.resolved_at)
    targets = policy.targets_for(ticket.priority)
    if settled_first or settled_resolution:  # kept as judged: no need to compute them again
        targets = replace(
            targets,
            first_response=None if settled_first else targets.first_response,
            resolution=None if settled_resolution else targets.resolution,
        )
    judged = engine.evaluate(clock, targets, calendar, now)
    status = engine.Status(
        first_response=settled_first or judged.first_response,
        next_response=judged.next_response,
        resolution=settled_resolution or judged.resolution,
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


def sla_schedule(tickets: Iterable[Ticket]) -> None:
    """Bring the sweep's index (:class:`~helpline.sla.models.NextCheck`) in step with the
    tickets' ``sla_next_check_at``: one upsert for those with a next check, one DELETE for
    those without. Call in the transaction that saved the tickets, after saving them, for
    every ticket whose ``sla_next_check_at`` changed (``sla_refresh`` lists it)."""
    due: list[tuple[int, datetime]] = []
    done: list[int] = []
    for ticket in tickets:
        if ticket.sla_next_check_at is None:
            done.append(ticket.pk)
        else:
            due.append((ticket.pk, ticket.sla_next_check_at))
    if len(due) > 1 and connection.vendor == "postgresql":  # a sweep's batch: one JSON row set
        table = connection.ops.quote_name(NextCheck._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (ticket_id, at) SELECT ticket_id, at FROM "
                + batchsql.recordset(NextCheck)
                + " ON CONFLICT (ticket_id) DO UPDATE SET at = EXCLUDED.at",
                [batchsql.records({"ticket_id": pk, "at": at} for pk, at in due)],
            )
    elif due:  # one statement by hand: on every ticket write, the ORM's upsert cost 10× it
        table = connection.ops.quote_name(NextCheck._meta.db_table)
        pairs = ", ".join(["(%s, %s)"] * len(due))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (ticket_id, at) VALUES {pairs} "
                "ON CONFLICT (ticket_id) DO UPDATE SET at = excluded.at",
                [
                    value
                    for pk, at in due
                    for value in (pk, connection.ops.adapt_datetimefield_value(at))
                ],
            )
    if done:
        NextCheck.objects.filter(ticket_id__in=done).delete()


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


def sla_record_events_many(
    items: list[tuple[Ticket, list[SlaEvent]]], *, actor: object = None
) -> int:
    """:func:`sla_record_events` for many tickets at once (the SLA sweep's batch): the same
    audit events in one INSERT and the notifications as one task. Call inside the transaction
    that saved the tickets; returns how many events were recorded."""
    from helpline.audit.services import AuditEntry, audit_record_many
    from helpline.notifications import events as notify

    entries: list[AuditEntry] = []
    notices: list[tuple[Ticket, str, str]] = []
    for ticket, events in items:
        for event in events:
            kind = "warning" if event.state is engine.TargetState.WARNING else "breach"
            due = getattr(ticket, f"{event.target}_due_at")
            entries.append(
                AuditEntry(
                    actor=actor,
                    action=f"sla.{kind}",
                    obj=ticket,
                    ticket=ticket,
                    after={
                        f"{event.target}_state": event.state.value,
                        f"{event.target}_due_at": due,
                    },
                    note=f"{event.target.replace('_', ' ')} {kind}",
                )
            )
            notices.append((ticket, event.target, event.state.value))
    audit_record_many(entries)
    notify.sla_events(notices)
    return len(entries)


# --- configuration: calendars and policies (admins) ---------------------------------------------

CALENDAR_FIELDS = ("name", "timezone", "weekly", "holidays", "country", "subdivision")
POLICY_FIELDS = (
    "name", "description", "calendar", "is_default", "pause_on_hold", "warning_percent",
    "escalate_on_breach", "is_public",
)  # fmt: skip
TARGET_MINUTES = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
MAX_TARGET_MINUTES = 1_000_000  # about two years of round-the-clock minutes


def _check_admin(actor: Any, what: str) -> None:
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied(f"only admins can {what}")


def _full_clean(
    obj: Calendar | Policy, *, exclude: list[str] | None = None, constraints: bool = True
) -> None:
    """The model's own validation (the calendar module for calendars) as a ValidationFailed
    naming the fields, so every interface shows the same message."""
    try:
        obj.full_clean(exclude=exclude, validate_constraints=constraints)
    except DjangoValidationError as error:
        fields = {
            ("calendar_id" if name == "calendar" else name if name != NON_FIELD_ERRORS else ""): (
                " ".join(str(m) for m in messages)
            )
            for name, messages in error.message_dict.items()
        }
        message = "; ".join(
            f"{name}: {text}" if name and not text.startswith(f"{name}:") else text
            for name, text in fields.items()
        )
        raise ValidationFailed(message, fields={k: v for k, v in fields.items() if k}) from None


def _calendar_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(CALENDAR_FIELDS)
    if unknown:
        raise ValidationFailed(
            "unknown calendar fields: " + ", ".join(sorted(unknown)),
            fields={name: "unknown" for name in unknown},
        )
    values = dict(changes)
    for name in ("name", "timezone", "country", "subdivision"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if values.get("country"):
        values["country"] = values["country"].upper()
    if "holidays" in values and values["holidays"] is None:
        values["holidays"] = []
    return values


def calendar_create(*, actor: Any, **values: Any) -> Calendar:
    """A new business calendar, validated by the calendar module (no working time, overlapping
    intervals, an unknown time zone or country are a ValidationFailed)."""
    _check_admin(actor, "configure calendars")
    calendar = Calendar(**_calendar_values(values))
    _full_clean(calendar)
    with transaction.atomic():
        calendar.save()
        audit_record(
            actor=actor,
            action="calendar.create",
            obj=calendar,
            after={name: getattr(calendar, name) for name in CALENDAR_FIELDS},
        )
    return calendar


def calendar_update(*, actor: Any, calendar: Calendar, changes: Mapping[str, Any]) -> Calendar:
    """Change some of a calendar's fields. Tickets keep their due times until their next
    change (the SLA clock is never recomputed from scratch)."""
    _check_admin(actor, "configure calendars")
    values = _calendar_values(changes)
    if not values:
        raise ValidationFailed("nothing to change: send at least one field")
    with transaction.atomic():
        calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
        before = {name: getattr(calendar, name) for name in values}
        for name, value in values.items():
            setattr(calendar, name, value)
        _full_clean(calendar)
        calendar.save()
        audit_record(
            actor=actor,
            action="calendar.update",
            obj=calendar,
            before=before,
            after={name: getattr(calendar, name) for name in values},
        )
    return calendar


@dataclass(frozen=True)
class TargetSpec:
    """Business minutes for one priority; None means no such target."""

    priority: str
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None


def _check_targets(targets: list[TargetSpec]) -> None:
    seen: set[str] = set()
    allowed = [p.value for p in Priority]
    for index, target in enumerate(targets):
        where = f"targets.{index}"
        if target.priority not in allowed:
            raise ValidationFailed(
                f"unknown priority {target.priority!r}: use {', '.join(allowed)}",
                fields={f"{where}.priority": "unknown"},
            )
        if target.priority in seen:
            raise ValidationFailed(
                f"two targets for priority {target.priority}",
                fields={f"{where}.priority": "duplicate"},
            )
        seen.add(target.priority)
        for name in TARGET_MINUTES:
            minutes = getattr(target, name)
            if minutes is not None and not 1 <= minutes <= MAX_TARGET_MINUTES:
                raise ValidationFailed(
                    f"{name.replace('_', ' ')} must be 1 to {MAX_TARGET_MINUTES} minutes",
                    fields={f"{where}.{name}": "out of range"},
                )


def _targets_snapshot(policy: Policy) -> list[dict[str, Any]]:
    return [
        {"priority": t.priority, **{name: getattr(t, name) for name in TARGET_MINUTES}}
        for t in Target.objects.filter(policy=policy).order_by("priority")
    ]


def _policy_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationFailed(
            "unknown policy fields: " + ", ".join(sorted(unknown)),
            fields={name: "unknown" for name in unknown},
        )
    values = dict(changes)
    if "calendar" in values and values["calendar"] is None:
        raise ValidationFailed("a policy needs a calendar", fields={"calendar_id": "required"})
    empty = sorted(name for name, value in values.items() if value is None)
    if empty:
        raise ValidationFailed(
            f"{empty[0].replace('_', ' ')} cannot be null", fields={name: "null" for name in empty}
        )
    if "name" in values:
        values["name"] = values["name"].strip()
    return values


def _save_policy(actor: Any, policy: Policy, targets: list[TargetSpec] | None) -> None:
    """Validate and save; make it the only default if it is one; replace its targets."""
    # The one-default constraint is kept below, by taking the flag from the old default.
    _full_clean(policy, exclude=["calendar"], constraints=False)
    if policy.is_default:
        for other in (
            Policy.objects.select_for_update().filter(is_default=True).exclude(pk=policy.pk)
        ):
            other.is_default = False
            other.save(update_fields=["is_default"])
            audit_record(
                actor=actor,
                action="policy.update",
                obj=other,
                before={"is_default": True},
                after={"is_default": False},
                note=f"{policy.name} is the default now",
            )
    policy.save()
    if targets is not None:
        Target.objects.filter(policy=policy).delete()
        Target.objects.bulk_create(
            Target(policy=policy, priority=t.priority, **{n: getattr(t, n) for n in TARGET_MINUTES})
            for t in targets
        )


def policy_create(*, actor: Any, targets: list[TargetSpec] | None = None, **values: Any) -> Policy:
    """A new SLA policy with its targets per priority."""
    _check_admin(actor, "configure SLA policies")
    targets = list(targets or [])
    _check_targets(targets)
    policy = Policy(**_policy_values(values))
    if "calendar" not in values:
        raise ValidationFailed("a policy needs a calendar", fields={"calendar_id": "required"})
    with transaction.atomic():
        _save_policy(actor, policy, targets)
        audit_record(
            actor=actor,
            action="policy.create",
            obj=policy,
            after={
                **{name: getattr(policy, name) for name in POLICY_FIELDS},
                "targets": _targets_snapshot(policy),
            },
        )
    return policy


def policy_update(
    *,
    actor: Any,
    policy: Policy,
    changes: Mapping[str, Any],
    targets: list[TargetSpec] | None = None,
) -> Policy:
    """Change a policy; ``targets``, when given, replace all of its targets. Tickets keep
    their due times until their next change."""
    _check_admin(actor, "configure SLA policies")
    values = _policy_values(changes)
    if targets is not None:
        _check_targets(targets)
    if not values and targets is None:
        raise ValidationFailed("nothing to change: send at least one field")
    with transaction.atomic():
        policy = Policy.objects.select_for_update().select_related("calendar").get(pk=policy.pk)
        before: dict[str, Any] = {name: getattr(policy, name) for name in values}
        if targets is not None:
            before["targets"] = _targets_snapshot(policy)
        for name, value in values.items():
            setattr(policy, name, value)
        _save_policy(actor, policy, targets)
        after: dict[str, Any] = {name: getattr(policy, name) for name in values}
        if targets is not None:
            after["targets"] = _targets_snapshot(policy)
        audit_record(actor=actor, action="policy.update", obj=policy, before=before, after=after)
    return policy
