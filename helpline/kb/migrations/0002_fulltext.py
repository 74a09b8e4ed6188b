"""Full-text search over articles: an FTS5 table with triggers on SQLite, a GIN expression
index on PostgreSQL (see helpline.kb.fulltext)."""

from django.db import migrations


def create_index(apps, schema_editor):
    from helpline.kb import fulltext

    fulltext.install(schema_editor.connection)


def drop_index(apps, schema_editor):
    from helpline.kb import fulltext

    fulltext.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
