"""The requester's, department's and assignee's single-column indexes on tickets are dropped.

Each duplicated the leading column of composite indexes the queues already need
(``ticket_requester``, ``ticket_dept_status``, ``ticket_assignee_status`` and others), which
serve every lookup by that column, the foreign keys' own checks included. Every new ticket,
and every update that moves a ticket between departments or agents, wrote them for nothing:
three of the table's 29 indexes. Dropped without a table rebuild (on SQLite, changing
``db_index`` through ``AlterField`` would copy the whole table).
"""

from django.conf import settings
from django.db import migrations, models

# Django's names for the foreign keys' indexes, the same on SQLite and PostgreSQL.
INDEXES = {
    "requester": "tickets_ticket_requester_id_2072a2f2",
    "department": "tickets_ticket_department_id_32e39a8e",
    "assignee": "tickets_ticket_assignee_id_3a5aa407",
}


def _drop(field: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"DROP INDEX IF EXISTS {INDEXES[field]}",
        f"CREATE INDEX {INDEXES[field]} ON tickets_ticket ({field}_id)",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("tickets", "0010_entry_ticket_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="requester",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="requested_tickets",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="department",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="tickets",
                        to="directory.department",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.SET_NULL,
                        related_name="assigned_tickets",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[_drop("requester"), _drop("department"), _drop("assignee")],
        ),
    ]
