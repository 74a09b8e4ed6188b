"""The rules receiver takes one commit's changes at once: the enabled triggers are read once
per batch, and every change with an enabled trigger still gets its rule run."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.rules.receivers import on_ticket_changes
from helpline.rules.tests.factories import rule
from helpline.tickets.models import Ticket
from helpline.tickets.signals import TicketChange

pytestmark = pytest.mark.django_db


def _changes(tickets: list[Ticket], action: str) -> list[TicketChange]:
    return [
        TicketChange(
            audit_event_id=10**6 + i,
            action=action,
            ticket_id=ticket.pk,
            actor_id=None,
            changes={"subject": ["Old", "New"]},
        )
        for i, ticket in enumerate(tickets)
    ]


def test_a_batch_of_changes_reads_the_enabled_rules_once(
    desk: Any, django_assert_num_queries: Any
) -> None:
    rule(trigger="created")  # not the trigger of these changes: nothing to run
    tickets = [desk.ticket() for _ in range(4)]
    with django_assert_num_queries(1):
        on_ticket_changes(sender=TicketChange, changes=_changes(tickets, "ticket.update"))


def test_changes_that_trigger_nothing_cost_no_query(
    desk: Any, django_assert_num_queries: Any
) -> None:
    rule(trigger="updated")
    tickets = [desk.ticket() for _ in range(3)]
    with django_assert_num_queries(0):
        on_ticket_changes(sender=TicketChange, changes=_changes(tickets, "sla.warning"))


def test_every_change_of_a_batch_gets_its_rule_run(desk: Any) -> None:
    rule(trigger="updated", actions=[{"type": "add_tags", "tags": ["batched"]}])
    tickets = [desk.ticket() for _ in range(3)]
    on_ticket_changes(sender=TicketChange, changes=_changes(tickets, "ticket.update"))
    for ticket in tickets:
        assert list(ticket.tags.values_list("name", flat=True)) == ["batched"]
