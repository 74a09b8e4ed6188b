"""Keyset pages of a ticket list in each sort of ``criteria.SORTS``.

Every sort ends on the ticket id, so the order is total and a cursor (the sort key of the last
row shown) resumes exactly after it, at the same cost on page 1 and page 40,000:

- ``created``: newest first (``-id``; ids grow with creation).
- ``updated``: ``-updated_at, -id``.
- ``priority``: critical, high, medium, low, newest first within each. Priority is stored as
  a word, whose alphabetical order is not its rank, so each priority is read as its own range
  of the (…, priority, id) indexes, one after the other: at most four small queries.
- ``due``: ``resolution_due_at`` soonest first, then the tickets without one, newest first.

Only ids are read by the sorted queries; the page's rows and related objects are fetched once
afterwards, so a page costs the same few queries whatever it holds.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Callable

from django.db.models import Q, QuerySet

from helpline.core.errors import ValidationFailed
from helpline.tickets.models import Ticket
from helpline.tickets.states import Priority

PRIORITY_ORDER = tuple(
    p.value for p in (Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW)
)


def sorted_ids(
    tickets: QuerySet[Ticket], *, sort: str, limit: int, cursor: str | None
) -> tuple[list[int], str | None]:
    """Up to ``limit`` ids of ``tickets`` in ``sort`` order after ``cursor``, and the cursor
    of the next page (None on the last)."""
    page = _SORTS[sort](
        tickets.order_by(), decode_sorted_cursor(cursor, sort) if cursor else None, limit + 1
    )
    if len(page) <= limit:
        return [ticket_id for ticket_id, _ in page], None
    last_id, last_key = page[limit - 1]
    return [ticket_id for ticket_id, _ in page[:limit]], _encode(sort, last_key, last_id)


type _Row = tuple[int, str]  # (id, the rest of its sort key as cursor text)
type _Key = tuple[str, int]


def _created(tickets: QuerySet[Ticket], after: _Key | None, limit: int) -> list[_Row]:
    if after:
        tickets = tickets.filter(id__lt=after[1])
    return [(pk, "") for pk in tickets.order_by("-id").values_list("id", flat=True)[:limit]]


def _updated(tickets: QuerySet[Ticket], after: _Key | None, limit: int) -> list[_Row]:
    if after:
        moment = _moment(after[0])
        tickets = tickets.filter(
            Q(updated_at__lte=moment) & (Q(updated_at__lt=moment) | Q(id__lt=after[1]))
        )
    rows = tickets.order_by("-updated_at", "-id").values_list("id", "updated_at")[:limit]
    return [(pk, moment.isoformat()) for pk, moment in rows]


def _priority(tickets: QuerySet[Ticket], after: _Key | None, limit: int) -> list[_Row]:
    start = PRIORITY_ORDER.index(after[0]) if after and after[0] in PRIORITY_ORDER else 0
    rows: list[_Row] = []
    for position in range(start, len(PRIORITY_ORDER)):
        priority = PRIORITY_ORDER[position]
        bucket = tickets.filter(priority=priority)
        if after and position == start:
            bucket = bucket.filter(id__lt=after[1])
        ids = bucket.order_by("-id").values_list("id", flat=True)[: limit - len(rows)]
        rows += [(pk, priority) for pk in ids]
        if len(rows) >= limit:
            break
    return rows


def _due(tickets: QuerySet[Ticket], after: _Key | None, limit: int) -> list[_Row]:
    rows: list[_Row] = []
    if not after or after[0]:
        dated = tickets.filter(resolution_due_at__isnull=False)
        if after:
            moment = _moment(after[0])
            dated = dated.filter(
                Q(resolution_due_at__gte=moment)
                & (Q(resolution_due_at__gt=moment) | Q(id__gt=after[1]))
            )
        found = dated.order_by("resolution_due_at", "id").values_list("id", "resolution_due_at")
        rows = [(pk, due.isoformat()) for pk, due in found[:limit] if due is not None]
        after = None
    if len(rows) < limit:
        undated = tickets.filter(resolution_due_at__isnull=True)
        if after:
            undated = undated.filter(id__lt=after[1])
        ids = undated.order_by("-id").values_list("id", flat=True)[: limit - len(rows)]
        rows += [(pk, "") for pk in ids]
    return rows


_SORTS: dict[str, Callable[[QuerySet[Ticket], _Key | None, int], list[_Row]]] = {
    "created": _created,
    "updated": _updated,
    "priority": _priority,
    "due": _due,
}


def _encode(sort: str, key: str, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{sort}|{key}|{last_id}".encode()).decode().rstrip("=")


def decode_sorted_cursor(cursor: str, sort: str) -> _Key:
    """The (sort key, id) in a cursor of ``sort``; the created sort also takes the plain
    ``id:N`` cursors of the other ticket lists."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        if sort == "created" and text.startswith("id:"):
            text = f"created||{text[3:]}"
        found, key, value = text.split("|")
        number = int(value)
        if found != sort or number < 0:
            raise ValueError(cursor)
        if sort == "priority" and key not in PRIORITY_ORDER:
            raise ValueError(cursor)
        if key and sort in ("updated", "due"):
            _moment(key)
        return key, number
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("invalid cursor", fields={"cursor": "invalid"}) from None


def _moment(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(text)
    return moment
