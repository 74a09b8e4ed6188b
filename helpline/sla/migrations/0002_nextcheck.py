"""``NextCheck``: the SLA sweep's narrow index of when each ticket is due a check, filled
from the tickets' ``sla_next_check_at`` (see tickets 0006)."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO sla_nextcheck (ticket_id, at) SELECT id, sla_next_check_at"
        " FROM tickets_ticket WHERE sla_next_check_at IS NOT NULL"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_initial"),
        ("tickets", "0006_sla_columns_unindexed"),
    ]

    operations = [
        migrations.CreateModel(
            name="NextCheck",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="next_check",
                        serialize=False,
                        to="tickets.ticket",
                    ),
                ),
                ("at", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
