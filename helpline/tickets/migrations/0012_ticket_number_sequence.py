"""On PostgreSQL, ticket numbers come from a sequence, taken in the ticket's INSERT.

The ``ticket`` counter row, locked by each create until its turn committed, made every create
on the server wait for the one before it. A sequence hands out numbers without a lock and
without a statement of its own. It starts past every number already given (the counter's,
and any ticket's), and is owned by the column, so that ``TRUNCATE … RESTART IDENTITY`` (a
test database's flush) starts it again at 1000. SQLite, which queues whole write
transactions anyway, keeps the counter.
"""

from django.db import migrations

SEQUENCE = "tickets_ticket_number_seq"  # helpline.tickets.models.TICKET_NUMBER_SEQUENCE


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint START WITH 1000"
        " OWNED BY tickets_ticket.number"
    )
    schema_editor.execute(
        f"SELECT setval('{SEQUENCE}', GREATEST(999,"
        " (SELECT MAX(value) FROM tickets_counter WHERE name = 'ticket'),"
        " (SELECT MAX(number) FROM tickets_ticket)))"
    )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The counter takes over where the sequence stopped.
    schema_editor.execute(
        "UPDATE tickets_counter SET value = GREATEST(value,"
        f" (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {SEQUENCE}))"
        " WHERE name = 'ticket'"
    )
    schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_drop_single_column_fk_indexes")]
    operations = [migrations.RunPython(create_sequence, drop_sequence)]
