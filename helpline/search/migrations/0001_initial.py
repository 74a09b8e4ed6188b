"""The search index: FTS5 tables on SQLite, tsvector tables on PostgreSQL, each with the
triggers that keep it current, filled from the tickets already there."""

from django.db import migrations


def create_index(apps, schema_editor):
    from helpline.search import index

    connection = schema_editor.connection
    if connection.vendor in ("sqlite", "postgresql"):
        index.rebuild(connection)


def drop_index(apps, schema_editor):
    from helpline.search.backends import backend_for

    connection = schema_editor.connection
    if connection.vendor in ("sqlite", "postgresql"):
        with connection.cursor() as cursor:
            backend_for(connection).uninstall(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_sla_clock"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
