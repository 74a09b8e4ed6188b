"""PostgreSQL: the search documents keep their ticket's department, and the GIN index covers
(department, document) where btree_gin can be had (see backends/postgres.py). Installing the
index again adds and fills the column, builds the index and adds the trigger that follows a
ticket to another department. SQLite's index is unchanged."""

from django.db import migrations


def keep_departments(apps, schema_editor):
    from helpline.search import index

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        index.install(connection)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_saved_view"),
    ]

    operations = [
        migrations.RunPython(keep_departments, migrations.RunPython.noop, elidable=False),
    ]
