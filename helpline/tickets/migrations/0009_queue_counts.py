"""Exact queue counts kept by the database (see ``helpline.tickets.queuecounts``): the table of
signed changes per (department, assignee), the triggers that write it, and a first count of
the active tickets already there (one read of the table; at 1M tickets, a few seconds)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from helpline.tickets import queuecounts

    queuecounts.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from helpline.tickets import queuecounts

    queuecounts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_queue_unassigned_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="QueueCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("department_id", models.IntegerField()),
                ("assignee_id", models.IntegerField()),
                ("active", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["department_id", "assignee_id", "active"],
                        name="queuecount_department",
                    ),
                    models.Index(fields=["assignee_id", "active"], name="queuecount_assignee"),
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
