"""ticket_changed: sent once per committed ticket change, never for a rolled-back one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from helpline.tickets import services
from helpline.tickets.signals import TicketChange, ticket_changed

pytestmark = pytest.mark.django_db


def _taken(desk: Any) -> Any:
    ticket = desk.ticket()
    return services.ticket_take(actor=desk.l1, ticket=ticket)


@pytest.fixture
def received() -> Iterator[list[TicketChange]]:
    changes: list[TicketChange] = []

    def receiver(sender: Any, change: TicketChange, **kwargs: Any) -> None:
        changes.append(change)

    ticket_changed.connect(receiver, weak=False)
    yield changes
    ticket_changed.disconnect(receiver)


def test_a_reply_sends_one_change_naming_the_new_entry(
    desk: Any, received: list[TicketChange], django_capture_on_commit_callbacks: Any
) -> None:
    ticket = _taken(desk)
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.ticket_reply(actor=desk.l1, ticket=ticket, body="Try turning it on.")
    assert [(c.action, c.ticket_id, c.entry_id, c.actor_id) for c in received] == [
        ("ticket.reply", ticket.pk, entry.pk, desk.l1.pk)
    ]


def test_an_update_carries_the_changed_fields(
    desk: Any, received: list[TicketChange], django_capture_on_commit_callbacks: Any
) -> None:
    ticket = _taken(desk)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(
            actor=desk.l1,
            ticket=ticket,
            expected_version=ticket.version,
            changes={"subject": "Printer on fire"},
        )
    [change] = received
    assert change.action == "ticket.update"
    assert change.changes["subject"][1] == "Printer on fire"


def test_a_rolled_back_change_sends_nothing(
    desk: Any, received: list[TicketChange], django_capture_on_commit_callbacks: Any
) -> None:
    ticket = _taken(desk)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.ticket_note(actor=desk.l1, ticket=ticket, body="internal")
        raise RuntimeError("roll back")
    assert received == []


def test_a_failing_receiver_does_not_stop_the_others(
    desk: Any, received: list[TicketChange], django_capture_on_commit_callbacks: Any
) -> None:
    def broken(sender: Any, change: TicketChange, **kwargs: Any) -> None:
        raise ValueError("boom")

    ticket_changed.connect(broken, weak=False)
    try:
        ticket = _taken(desk)
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_note(actor=desk.l1, ticket=ticket, body="still works")
    finally:
        ticket_changed.disconnect(broken)
    assert [c.action for c in received] == ["ticket.note"]
