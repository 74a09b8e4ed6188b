"""PostgreSQL's ticket-number sequence (migration 0012): where it starts, and its way back."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from helpline.conftest import is_postgres
from helpline.tickets.models import TICKET_NUMBER_SEQUENCE, Counter, Ticket

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not is_postgres(), reason="needs PostgreSQL: set DATABASE_URL=postgres://..."
    ),
]

migration = importlib.import_module("helpline.tickets.migrations.0012_ticket_number_sequence")


def _recreate() -> None:
    with connection.schema_editor() as editor:
        editor.execute(f"DROP SEQUENCE {TICKET_NUMBER_SEQUENCE}")
        migration.create_sequence(None, editor)


@pytest.mark.parametrize("counter, highest, first", [(4999, 1200, 5000), (1500, 8999, 9000)])
def test_the_sequence_starts_past_the_counter_and_every_ticket(desk, counter, highest, first):
    Counter.objects.filter(name="ticket").update(value=counter)
    Ticket.objects.filter(pk=desk.ticket().pk).update(number=highest)

    _recreate()

    assert desk.ticket().number == first
    assert desk.ticket().number == first + 1


def test_on_a_new_database_the_first_ticket_is_number_1000(db):
    Counter.objects.filter(name="ticket").update(value=999)
    _recreate()
    from helpline.factories import Desk

    assert Desk().ticket().number == 1000


def test_going_back_hands_the_numbers_to_the_counter_where_the_sequence_stopped(desk):
    last = desk.ticket().number
    Counter.objects.filter(name="ticket").update(value=999)

    with connection.schema_editor() as editor:
        migration.drop_sequence(None, editor)

    assert Counter.objects.get(name="ticket").value == last
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [TICKET_NUMBER_SEQUENCE])
        assert cursor.fetchone()[0] is None
