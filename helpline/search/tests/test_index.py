"""The index itself: triggers keep it equal to the ticket tables, and search_reindex rebuilds
it, whole or from an id, even while tickets keep changing."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from helpline.search import index
from helpline.search.backends import backend_for
from helpline.search.selectors import search_tickets
from helpline.search.services import search_reindex
from helpline.tickets import services
from helpline.tickets.models import Ticket
from helpline.tickets.tests.scenarios import RESOLUTION


def found(user, query):
    return [hit.ticket.number for hit in search_tickets(user=user, query=query).hits]


def assert_index_in_sync() -> None:
    """The index holds exactly the current text of every ticket and non-event entry."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # rank 1: compare the index with the content table, token by token.
            cursor.execute(
                "INSERT INTO search_ticket_fts (search_ticket_fts, rank) "
                "VALUES ('integrity-check', 1)"
            )
            cursor.execute(
                "INSERT INTO search_entry_fts (search_entry_fts) VALUES ('integrity-check')"
            )
            cursor.execute("SELECT id FROM search_ticket_fts_docsize ORDER BY id")
            tickets = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT id FROM search_entry_fts_docsize ORDER BY id")
            entries = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT count(*) FROM search_rebuild")
            assert cursor.fetchone()[0] == 0, "a rebuild is still marked as running"
        else:
            cursor.execute(
                "SELECT count(*) FROM tickets_ticket t JOIN search_ticketdoc d "
                "ON d.ticket_id = t.id WHERE d.document <> search_ticket_document(t.number, "
                "t.subject, t.description, t.resolution_problem, t.resolution_action, "
                "t.resolution_confirmation, t.resolution_next_steps)"
            )
            assert cursor.fetchone()[0] == 0, "a ticket document is stale"
            cursor.execute(
                "SELECT count(*) FROM tickets_threadentry e JOIN search_entrydoc d "
                "ON d.entry_id = e.id WHERE d.document <> search_entry_document(e.body) "
                "OR d.kind <> e.kind OR d.ticket_id <> e.ticket_id"
            )
            assert cursor.fetchone()[0] == 0, "an entry document is stale"
            for table in ("search_ticketdoc", "search_entrydoc"):
                cursor.execute(
                    f"SELECT count(*) FROM {table} d JOIN tickets_ticket t ON t.id = d.ticket_id "
                    "WHERE d.department_id IS DISTINCT FROM t.department_id"
                )
                assert cursor.fetchone()[0] == 0, f"a department in {table} is stale"
            cursor.execute("SELECT ticket_id FROM search_ticketdoc ORDER BY ticket_id")
            tickets = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT entry_id FROM search_entrydoc ORDER BY entry_id")
            entries = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM tickets_ticket ORDER BY id")
        assert tickets == [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM tickets_threadentry WHERE kind <> 'event' ORDER BY id")
        assert entries == [row[0] for row in cursor.fetchall()]


def some_tickets(desk, count: int = 5) -> list[Ticket]:
    tickets = []
    for n in range(count):
        ticket = desk.ticket(subject=f"Printer {n} jam", description=f"Floor {n}.")
        services.ticket_reply(actor=desk.customer, ticket=ticket, body=f"Still broken {n}.")
        tickets.append(ticket)
    return tickets


def test_the_triggers_keep_the_index_equal_to_the_tables_through_every_kind_of_write(desk):
    first, second, third = some_tickets(desk, 3)
    services.ticket_note(actor=desk.l1, ticket=first, body="Internal: replace the fuser.")
    services.ticket_update(
        actor=desk.l1, ticket=second, expected_version=second.version + 1,
        changes={"subject": "Scanner jam", "tags": ["scan"]},
    )  # fmt: skip
    services.ticket_take(actor=desk.l1, ticket=third)
    services.ticket_transition(actor=desk.l1, ticket=third, action="resolve", resolution=RESOLUTION)
    services.ticket_transition(
        actor=desk.customer, ticket=third, action="reopen", reason="Broken again."
    )
    Ticket.objects.filter(pk=first.pk).update(description="Rewritten by a bulk update.")
    Ticket.objects.filter(pk=second.pk).update(status="open")  # no indexed column: no work
    services.ticket_route(actor=desk.admin, ticket=first, department=desk.other_department)
    second.entries.filter(kind="customer_message").update(body="Edited message.")
    second.entries.filter(kind="customer_message").update(kind="note")
    first.entries.filter(kind="note").update(kind="event")
    Ticket.objects.filter(pk=third.pk).delete()
    assert_index_in_sync()
    assert found(desk.outsider, "rewritten") == [first.number]  # routed to their department
    assert found(desk.l1, "rewritten") == []
    assert found(desk.l1, "fuser") == []
    assert found(desk.l1, "edited") == [second.number]
    assert found(desk.customer, "edited") == []


def test_reindex_rebuilds_a_dropped_index(desk):
    tickets = some_tickets(desk, 3)
    with connection.cursor() as cursor:
        backend_for(connection).uninstall(cursor)
    done = search_reindex(batch_size=2)
    assert (done.tickets, done.entries) == (3, 3)
    assert_index_in_sync()
    assert found(desk.l1, "printer") == [ticket.number for ticket in reversed(tickets)]
    services.ticket_reply(actor=desk.l1, ticket=tickets[0], body="Fuser replaced.")
    assert found(desk.l1, "fuser") == [tickets[0].number]
    assert_index_in_sync()


def test_an_index_from_before_departments_were_kept_gets_them_when_installed(desk):
    if connection.vendor != "postgresql":
        pytest.skip("the documents keep departments on PostgreSQL only")
    tickets = some_tickets(desk, 2)
    services.ticket_route(actor=desk.admin, ticket=tickets[0], department=desk.other_department)
    with connection.cursor() as cursor:
        for table in ("search_ticketdoc", "search_entrydoc"):
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN department_id")  # and its index
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_document ON {table} USING gin (document)"
            )

    assert index.install(connection) is False  # the tables were there

    assert_index_in_sync()
    assert found(desk.outsider, "printer") == [tickets[0].number]
    assert found(desk.l1, "printer") == [tickets[1].number]


def test_reindex_rebuilds_an_emptied_index(desk):
    some_tickets(desk, 2)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "INSERT INTO search_ticket_fts (search_ticket_fts) VALUES ('delete-all')"
            )
            cursor.execute("INSERT INTO search_entry_fts (search_entry_fts) VALUES ('delete-all')")
        else:
            cursor.execute("TRUNCATE search_ticketdoc, search_entrydoc")
    assert found(desk.l1, "printer") == []
    search_reindex()
    assert len(found(desk.l1, "printer")) == 2
    assert_index_in_sync()


def test_reindex_from_an_id_redoes_only_the_tickets_from_there(desk):
    tickets = some_tickets(desk, 4)
    done = search_reindex(from_id=tickets[2].pk)
    assert (done.tickets, done.entries) == (2, 2)
    assert_index_in_sync()
    assert len(found(desk.l1, "printer")) == 4


@pytest.mark.parametrize("resume_offset", [0, -1, 2])  # at, before and past the last batch
def test_an_interrupted_reindex_resumes_without_losing_a_write(desk, resume_offset):
    tickets = some_tickets(desk, 5)

    def stop_after_the_first_batch(progress: index.RebuildProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        search_reindex(batch_size=2, progress=stop_after_the_first_batch)
    # Tickets keep changing meanwhile, on both sides of where the rebuild stopped.
    services.ticket_reply(actor=desk.l1, ticket=tickets[0], body="Toner ordered.")
    services.ticket_reply(actor=desk.l1, ticket=tickets[4], body="Fuser ordered.")
    services.ticket_update(
        actor=desk.l1, ticket=tickets[3], expected_version=tickets[3].version + 1,
        changes={"subject": "Scanner jam"},
    )  # fmt: skip
    newcomer = desk.ticket(subject="Plotter jam")
    search_reindex(from_id=tickets[1].pk + 1 + resume_offset, batch_size=2)
    assert_index_in_sync()
    assert found(desk.l1, "toner") == [tickets[0].number]
    assert found(desk.l1, "fuser") == [tickets[4].number]
    assert found(desk.l1, "scanner") == [tickets[3].number]
    assert found(desk.l1, "plotter") == [newcomer.number]


def drop_trigger(cursor) -> str:
    if connection.vendor == "sqlite":
        cursor.execute("DROP TRIGGER search_entry_insert")
    else:
        cursor.execute("DROP TRIGGER search_entry_insert ON tickets_threadentry")
    return "search_entry_insert"


def drop_scope_index(cursor) -> str:
    if connection.vendor != "sqlite":
        pytest.skip("an index of SQLite's backend")
    cursor.execute("DROP INDEX search_ticket_scope")
    return "search_ticket_scope"


# A table rebuild by a ticket migration on SQLite drops both.
@pytest.mark.parametrize("drop", [drop_trigger, drop_scope_index])
def test_missing_triggers_and_indexes_are_put_back(desk, drop):
    backend = backend_for(connection)
    with connection.cursor() as cursor:
        dropped = drop(cursor)
        assert backend.missing_triggers(cursor) == [dropped]
    index.ensure_triggers(connection)
    with connection.cursor() as cursor:
        assert backend.missing_triggers(cursor) == []
    ticket = desk.ticket(subject="Laptop")
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="The hinge cracked.")
    assert found(desk.l1, "hinge") == [ticket.number]


def test_the_command_reports_progress_and_totals(desk):
    some_tickets(desk, 1)
    out = io.StringIO()
    call_command("search_reindex", "--batch-size", "1", stdout=out)
    text = out.getvalue()
    assert "100%" in text
    assert "Indexed 1 tickets and 1 thread entries" in text
    assert "Words are stemmed as: english." in text
    assert_index_in_sync()


@pytest.mark.parametrize("arguments", [["--from-id", "0"], ["--batch-size", "0"]])
def test_the_command_refuses_bad_arguments(db, arguments):
    with pytest.raises(CommandError):
        call_command("search_reindex", *arguments, stdout=io.StringIO())
