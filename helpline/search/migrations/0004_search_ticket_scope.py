"""SQLite: the (id, department) index that ranked searches test each match's visibility
through (see backends/sqlite.py). Installing the index again creates it; at a million tickets
that takes about a second. PostgreSQL's index is unchanged."""

from django.db import migrations


def add_scope_index(apps, schema_editor):
    from helpline.search import index

    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        index.install(connection)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_search_departments"),
    ]

    operations = [
        migrations.RunPython(add_scope_index, migrations.RunPython.noop, elidable=False),
    ]
