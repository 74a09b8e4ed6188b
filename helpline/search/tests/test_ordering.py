"""Keyset pages in every sort: in order, with no ticket missed or shown twice."""

from __future__ import annotations

import base64
import datetime

import pytest

from helpline.core.errors import ValidationFailed
from helpline.search.criteria import SORTS
from helpline.search.ordering import PRIORITY_ORDER
from helpline.search.selectors import search_tickets
from helpline.tickets.models import Ticket


@pytest.fixture
def spread(desk) -> list[Ticket]:
    tickets = [desk.ticket(subject=f"T{n}") for n in range(11)]
    base = tickets[0].created_at
    for n, ticket in enumerate(tickets):
        Ticket.objects.filter(pk=ticket.pk).update(
            priority=PRIORITY_ORDER[n % 4],
            updated_at=base + datetime.timedelta(minutes=n % 3),
            resolution_due_at=None if n % 4 == 0 else base + datetime.timedelta(hours=n % 2),
        )
    return list(Ticket.objects.order_by("id"))


def all_pages(user, sort: str, limit: int = 3) -> list[Ticket]:
    seen: list[Ticket] = []
    cursor = None
    while True:
        page = search_tickets(user=user, sort=sort, limit=limit, cursor=cursor)
        seen += [hit.ticket for hit in page.hits]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def expected_order(tickets: list[Ticket], sort: str) -> list[int]:
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    keys = {
        "created": lambda t: -t.pk,
        "updated": lambda t: (-t.updated_at.timestamp(), -t.pk),
        "priority": lambda t: (PRIORITY_ORDER.index(t.priority), -t.pk),
        "due": lambda t: (
            t.resolution_due_at is None,
            t.resolution_due_at or far,
            t.pk if t.resolution_due_at else -t.pk,
        ),
    }
    return [t.pk for t in sorted(tickets, key=keys[sort])]


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_sort_pages_through_every_ticket_once_in_order(desk, spread, sort):
    shown = [t.pk for t in all_pages(desk.admin, sort)]

    assert shown == expected_order(spread, sort)


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("updated", "updated|not-a-date|3"),
        ("updated", "updated|2026-01-01T00:00:00|3"),  # naive
        ("priority", "priority|urgent|3"),
        ("due", "created||3"),
        ("created", "created||-1"),
        ("due", "due|x"),
    ],
)
def test_a_forged_cursor_is_a_validation_error(desk, sort, cursor):
    encoded = base64.urlsafe_b64encode(cursor.encode()).decode()

    with pytest.raises(ValidationFailed):
        search_tickets(user=desk.admin, sort=sort, cursor=encoded)


def test_an_unknown_sort_is_a_validation_error(desk):
    with pytest.raises(ValidationFailed):
        search_tickets(user=desk.admin, sort="random")
