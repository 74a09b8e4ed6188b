"""The SLA columns of a ticket lose their last index, and tickets keep room for updates.

The sweep found due tickets through a partial index on ``sla_next_check_at``, so every
warning or breach rewrote the ticket row's twenty-odd indexes. The sweep now reads
``sla.NextCheck`` (migration sla 0002 fills it), and what it writes on the ticket (target
states, the unindexed ``sla_next_check_at``) can be updated in place.

On PostgreSQL an in-place (HOT) update also needs free space on the row's page: the ticket
table keeps 15% of each page free (fillfactor 85). That applies to pages written from now
on; an existing large table gets it by a ``VACUUM FULL tickets_ticket`` (or pg_repack) in a
quiet hour.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor, value: int = 85):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE tickets_ticket SET (fillfactor = {int(value)})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tickets_ticket RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_queue_partial_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_sla_check"),
        migrations.RunPython(set_fillfactor, reset_fillfactor),
    ]
