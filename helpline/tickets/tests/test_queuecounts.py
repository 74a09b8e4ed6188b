"""The queue counts the database keeps (``helpline.tickets.queuecounts``): they follow every
change to a ticket, however it is made, fold without changing, and come back after a table
rebuild dropped their triggers."""

from __future__ import annotations

import pytest
from django.db import connection

from helpline import factories
from helpline.conftest import is_postgres
from helpline.tickets import queuecounts, selectors, services
from helpline.tickets.models import QueueCount, Ticket
from helpline.tickets.selectors import QUEUE_STATUS_SQL
from helpline.tickets.tests.scenarios import RESOLUTION, ticket_in


def counted(desk) -> dict[str, int]:
    """What the badges would be if every ticket were counted now, by the queue filters."""
    return {
        name: Ticket.objects.filter(selectors.queue_filter(desk.l1, name)).count()
        for name in ("mine", "unassigned", "department")
    }


def kept(desk) -> dict[str, int]:
    return selectors.queue_counts(user=desk.l1)


def test_the_kept_counts_follow_every_step_of_a_tickets_life(desk):
    ticket = desk.ticket()  # assigned to l1 on arrival
    assert kept(desk) == counted(desk) == {"mine": 1, "unassigned": 0, "department": 1}

    services.ticket_assign(actor=desk.admin, ticket=ticket, assignee=None)
    assert kept(desk) == counted(desk) == {"mine": 0, "unassigned": 1, "department": 1}

    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    assert kept(desk) == counted(desk) == {"mine": 1, "unassigned": 0, "department": 1}

    services.ticket_transition(actor=desk.l1, ticket=ticket, action="resume")
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=RESOLUTION
    )
    assert kept(desk) == counted(desk) == {"mine": 0, "unassigned": 0, "department": 0}

    services.ticket_transition(
        actor=desk.customer, ticket=ticket, action="reopen", reason="Still broken"
    )
    assert kept(desk) == counted(desk)
    assert kept(desk)["department"] == 1

    services.ticket_route(actor=desk.admin, ticket=ticket, department=desk.other_department)
    assert kept(desk) == counted(desk) == {"mine": 0, "unassigned": 0, "department": 0}
    assert selectors.queue_counts(user=desk.outsider)["department"] == 1


def test_changes_made_with_plain_sql_are_counted_too(desk):
    tickets = [desk.ticket() for _ in range(3)]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[:2]]).update(assignee=None)
    Ticket.objects.filter(pk=tickets[2].pk).update(status="closed")
    assert kept(desk) == counted(desk) == {"mine": 0, "unassigned": 2, "department": 2}

    Ticket.objects.filter(pk=tickets[0].pk).delete()
    assert kept(desk) == counted(desk) == {"mine": 0, "unassigned": 1, "department": 1}


def test_deleting_every_ticket_leaves_no_counts_whatever_was_emptied_first(desk):
    # Django's flush empties the tables one by one, this one before the tickets.
    [desk.ticket() for _ in range(2)]
    QueueCount.objects.all().delete()
    Ticket.objects.all().delete()
    assert not QueueCount.objects.exists()
    assert kept(desk) == {"mine": 0, "unassigned": 0, "department": 0}


def test_counts_are_exact_past_a_thousand(desk):
    Ticket.objects.bulk_create(
        Ticket(
            number=900_000 + n, subject=f"Bulk {n}", description="x", requester=desk.customer,
            department=desk.department, status="open",
        )
        for n in range(1_234)
    )  # fmt: skip
    assert kept(desk)["unassigned"] == kept(desk)["department"] == 1_234


def test_folding_keeps_the_counts_and_leaves_one_row_per_key(desk):
    tickets = [ticket_in(desk, "open") for _ in range(3)]
    services.ticket_assign(actor=desk.admin, ticket=tickets[0], assignee=desk.l2)
    services.ticket_transition(
        actor=desk.l1, ticket=tickets[1], action="resolve", resolution=RESOLUTION
    )
    before = {who.pk: selectors.queue_counts(user=who) for who in (desk.l1, desk.l2, desk.outsider)}
    rows = QueueCount.objects.count()

    folded = queuecounts.fold(connection)

    after = {who.pk: selectors.queue_counts(user=who) for who in (desk.l1, desk.l2, desk.outsider)}
    assert after == before
    keys = list(QueueCount.objects.values_list("department_id", "assignee_id"))
    assert len(keys) == len(set(keys)) == 2  # (helpdesk, l1) and (helpdesk, l2)
    assert folded == rows - 2
    assert queuecounts.fold(connection) == 0  # nothing left to fold


def test_a_key_that_sums_to_nothing_keeps_no_row(desk):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=RESOLUTION
    )
    queuecounts.fold(connection)
    assert not QueueCount.objects.exists()


def test_missing_triggers_are_put_back_and_what_changed_meanwhile_is_counted(desk):
    desk.ticket()
    queuecounts.uninstall(connection)
    assert queuecounts.missing(connection)
    desk.ticket()  # not counted: no triggers
    assert kept(desk) != counted(desk)

    assert queuecounts.ensure(connection)

    assert not queuecounts.missing(connection)
    assert kept(desk) == counted(desk) == {"mine": 2, "unassigned": 0, "department": 2}
    desk.ticket()
    assert kept(desk)["department"] == 3


def test_the_least_loaded_agent_is_found_from_the_kept_counts(desk):
    second = factories.agent(departments=[desk.department], level=1, name="Second")
    first = desk.ticket()
    assert first.assignee in (desk.l1, second)
    next_one = desk.ticket()
    assert {first.assignee, next_one.assignee} == {desk.l1, second}
    # l1 resolves theirs: l1 holds fewer active tickets and gets the next one.
    mine = first if first.assignee == desk.l1 else next_one
    services.ticket_take(actor=desk.l1, ticket=mine)
    services.ticket_transition(actor=desk.l1, ticket=mine, action="resolve", resolution=RESOLUTION)
    assert desk.ticket().assignee == desk.l1


@pytest.mark.parametrize("status", ["new", "open", "pending", "on_hold"])
def test_the_counted_statuses_are_the_queues(desk, status):
    assert f"'{status}'" in QUEUE_STATUS_SQL
    assert f"'{status}'" in queuecounts.SQLITE_TRIGGERS["queue_count_insert"]
    assert f"'{status}'" in queuecounts.POSTGRES_FUNCTION


def test_queue_recount_counts_afresh_what_was_written_without_the_triggers(desk):
    from io import StringIO

    from django.core.management import call_command

    desk.ticket()
    QueueCount.objects.all().delete()  # as after a load with the triggers off

    out = StringIO()
    call_command("queue_recount", stdout=out)

    assert kept(desk) == counted(desk) == {"mine": 1, "unassigned": 0, "department": 1}
    assert "Counted 1 active tickets over 1 department/assignee pairs." in out.getvalue()


def test_the_workers_folding_folds_and_counts_what_it_folded_away(desk):
    for _ in range(3):
        desk.ticket()  # each adds a row for (helpdesk, l1)
    folding = queuecounts.Folding(connection, vacuum_after=1_000)

    assert folding.step() == 2
    assert folding.folded == 2
    assert kept(desk) == counted(desk) == {"mine": 3, "unassigned": 0, "department": 3}


def _vacuums_of_the_table() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s", [queuecounts.TABLE]
        )
        return int(cursor.fetchone()[0])


@pytest.mark.skipif(not is_postgres(), reason="the table is vacuumed on PostgreSQL only")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_workers_folding_vacuums_the_table_once_enough_rows_were_folded_away():
    desk = factories.Desk()
    folding = queuecounts.Folding(connection, vacuum_after=4)
    before = _vacuums_of_the_table()
    for _ in range(3):
        desk.ticket()

    folding.step()  # two rows folded away: not yet
    assert _vacuums_of_the_table() == before
    for _ in range(3):
        desk.ticket()
    folding.step()  # three more: five since the last vacuum

    assert _vacuums_of_the_table() == before + 1
    assert folding.folded == 0
    assert QueueCount.objects.count() == 1
