"""audit_record_many: a batch job's events in one write, and their changes sent once per
commit to the batch receivers (and once per change to the others)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from helpline.audit.models import AuditEvent
from helpline.audit.services import AuditEntry, audit_record_many
from helpline.tickets.signals import TicketChange, ticket_changed, ticket_changes

pytestmark = pytest.mark.django_db


@pytest.fixture
def batches() -> Iterator[list[list[TicketChange]]]:
    received: list[list[TicketChange]] = []

    def receiver(sender: Any, changes: list[TicketChange], **kwargs: Any) -> None:
        received.append(list(changes))

    ticket_changes.connect(receiver, weak=False)
    yield received
    ticket_changes.disconnect(receiver)


@pytest.fixture
def singles() -> Iterator[list[TicketChange]]:
    received: list[TicketChange] = []

    def receiver(sender: Any, change: TicketChange, **kwargs: Any) -> None:
        received.append(change)

    ticket_changed.connect(receiver, weak=False)
    yield received
    ticket_changed.disconnect(receiver)


def _entries(tickets: list[Any]) -> list[AuditEntry]:
    return [
        AuditEntry(
            actor=None,
            action="sla.warning",
            obj=ticket,
            ticket=ticket,
            after={"resolution_state": "warning"},
            note="resolution warning",
        )
        for ticket in tickets
    ]


def test_many_events_are_written_in_order_with_their_ids_returned(desk: Any) -> None:
    tickets = [desk.ticket(), desk.ticket()]
    ids = audit_record_many(_entries(tickets))
    events = list(AuditEvent.objects.filter(pk__in=ids).order_by("id"))
    assert [event.pk for event in events] == ids
    assert [(e.ticket_id, e.action, e.changes, e.note) for e in events] == [
        (t.pk, "sla.warning", {"resolution_state": [None, "warning"]}, "resolution warning")
        for t in tickets
    ]


def test_a_batch_reaches_batch_receivers_once_and_others_once_per_change(
    desk: Any,
    batches: list[list[TicketChange]],
    singles: list[TicketChange],
    django_capture_on_commit_callbacks: Any,
) -> None:
    tickets = [desk.ticket(), desk.ticket(), desk.ticket()]
    with django_capture_on_commit_callbacks(execute=True):
        ids = audit_record_many(_entries(tickets))
    assert [[(c.audit_event_id, c.ticket_id) for c in batch] for batch in batches] == [
        [(event_id, t.pk) for event_id, t in zip(ids, tickets, strict=True)]
    ]
    assert [c.audit_event_id for c in singles] == ids


def test_a_rolled_back_batch_sends_nothing(
    desk: Any, batches: list[list[TicketChange]], django_capture_on_commit_callbacks: Any
) -> None:
    ticket = desk.ticket()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        audit_record_many(_entries([ticket]))
        raise RuntimeError("roll back")
    assert batches == []


def test_a_failing_batch_receiver_does_not_stop_the_others(
    desk: Any, singles: list[TicketChange], django_capture_on_commit_callbacks: Any
) -> None:
    def broken(sender: Any, changes: list[TicketChange], **kwargs: Any) -> None:
        raise ValueError("boom")

    ticket_changes.connect(broken, weak=False)
    try:
        tickets = [desk.ticket(), desk.ticket()]
        with django_capture_on_commit_callbacks(execute=True):
            audit_record_many(_entries(tickets))
    finally:
        ticket_changes.disconnect(broken)
    assert [c.ticket_id for c in singles] == [t.pk for t in tickets]
