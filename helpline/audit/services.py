"""Write audit events. Call inside the transaction that makes the change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from django.db import models

from helpline.audit.models import AuditEvent


def jsonable(value: Any) -> Any:
    """A JSON-safe form of a field value for the before/after record."""
    if isinstance(value, models.Model):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(key)), jsonable(after.get(key))
        if old != new:
            changes[key] = [old, new]
    return changes


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
    ticket: Any = None,
    entry_id: int | None = None,
) -> AuditEvent:
    """Append one audit event for a change to ``obj``.

    For a ticket event, :data:`helpline.tickets.signals.ticket_changed` is sent once the
    transaction commits (``entry_id`` names the thread entry the change added, if any).
    """
    event = AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        ticket=ticket,
        changes=diff(before or {}, after or {}),
        note=note,
    )
    if ticket is not None:
        from helpline.tickets.signals import TicketChange, send_on_commit

        send_on_commit(
            TicketChange(
                audit_event_id=event.pk,
                action=action,
                ticket_id=ticket.pk,
                actor_id=event.actor_id,
                changes=event.changes,
                note=note,
                entry_id=entry_id,
            )
        )
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One event for :func:`audit_record_many`; the fields mean what ``audit_record``'s do."""

    actor: Any
    action: str
    obj: models.Model
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    note: str = ""
    ticket: Any = None
    entry_id: int | None = None


def audit_record_many(entries: Sequence[AuditEntry]) -> list[AuditEvent]:
    """Append many audit events with one INSERT (for batch jobs such as the SLA sweep).

    Same records as one :func:`audit_record` call per entry, in order, and the same
    :data:`helpline.tickets.signals.ticket_changed` once per ticket event on commit. Needs a
    database whose ``bulk_create`` returns primary keys (PostgreSQL, SQLite)."""
    if not entries:
        return []
    events = AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=entry.actor if getattr(entry.actor, "pk", None) else None,
            action=entry.action,
            object_type=entry.obj._meta.label_lower,
            object_id=str(entry.obj.pk),
            ticket=entry.ticket,
            changes=diff(entry.before or {}, entry.after or {}),
            note=entry.note,
        )
        for entry in entries
    )
    from helpline.tickets.signals import TicketChange, send_on_commit

    for entry, event in zip(entries, events, strict=True):
        if entry.ticket is None:
            continue
        send_on_commit(
            TicketChange(
                audit_event_id=event.pk,
                action=entry.action,
                ticket_id=entry.ticket.pk,
                actor_id=event.actor_id,
                changes=event.changes,
                note=entry.note,
                entry_id=entry.entry_id,
            )
        )
    return events
