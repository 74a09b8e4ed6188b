"""Write audit events. Call inside the transaction that makes the change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from django.db import connection, models

from helpline.audit.models import AuditEvent
from helpline.core import batchsql, clock, rows

_PLAIN = frozenset({str, int, float, bool})


def jsonable(value: Any) -> Any:
    """A JSON-safe form of a field value for the before/after record."""
    if value is None or type(value) in _PLAIN:  # most values: no ABC checks below
        return value
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
    event = AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        ticket=ticket,
        changes=diff(before or {}, after or {}),
        note=note,
    )
    rows.insert(event)  # on every change: the ORM's INSERT cost several times the write
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


def audit_record_many(entries: Sequence[AuditEntry]) -> list[int]:
    """Append many audit events at once (for batch jobs such as the SLA sweep); returns their
    ids, in order.

    Same records as one :func:`audit_record` call per entry, in order, and the same
    :data:`helpline.tickets.signals.ticket_changed` once per ticket event on commit; batch
    receivers get all of them in one :data:`helpline.tickets.signals.ticket_changes`."""
    if not entries:
        return []
    now = clock.now()
    rows = [
        _Row(
            created_at=now,
            actor_id=entry.actor.pk if getattr(entry.actor, "pk", None) else None,
            action=entry.action,
            object_type=entry.obj._meta.label_lower,
            object_id=str(entry.obj.pk),
            ticket_id=entry.ticket.pk if entry.ticket is not None else None,
            changes=diff(entry.before or {}, entry.after or {}),
            note=entry.note,
        )
        for entry in entries
    ]
    ids = _insert_json(rows) if connection.vendor == "postgresql" else _insert_orm(rows)
    from helpline.tickets.signals import TicketChange, send_many_on_commit

    send_many_on_commit(
        [
            TicketChange(
                audit_event_id=event_id,
                action=row.action,
                ticket_id=row.ticket_id,
                actor_id=row.actor_id,
                changes=row.changes,
                note=row.note,
                entry_id=entry.entry_id,
            )
            for entry, row, event_id in zip(entries, rows, ids, strict=True)
            if row.ticket_id is not None
        ]
    )
    return ids


@dataclass(frozen=True, slots=True)
class _Row:
    """One audit event's column values, as :func:`audit_record_many` writes them."""

    created_at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    ticket_id: int | None
    changes: dict[str, list[Any]]
    note: str


_COLUMNS = (
    "created_at", "actor_id", "action", "object_type", "object_id", "ticket_id", "changes",
    "note",
)  # fmt: skip


def _insert_json(rows: list[_Row]) -> list[int]:
    """One ``INSERT … SELECT FROM json_populate_recordset(…) RETURNING id``: the whole batch
    as one JSON parameter (:mod:`helpline.core.batchsql`). Django's ``bulk_create`` of a
    JSONField sends one parameter per value, and building and quoting those costs more than
    the insert."""
    quote = connection.ops.quote_name
    names = ", ".join(map(quote, _COLUMNS))
    sql = (
        f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({names}) "
        f"SELECT {names} FROM {batchsql.recordset(AuditEvent)} RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [batchsql.records({name: getattr(row, name) for name in _COLUMNS} for row in rows)]
        )
        return [event_id for (event_id,) in cursor.fetchall()]


def _insert_orm(rows: list[_Row]) -> list[int]:
    """``bulk_create`` (needs a database that returns primary keys: SQLite does)."""
    events = AuditEvent.objects.bulk_create(
        AuditEvent(**{name: getattr(row, name) for name in _COLUMNS}) for row in rows
    )
    return [event.pk for event in events]
