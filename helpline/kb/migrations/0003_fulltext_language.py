"""PostgreSQL: the article index through the ticket search's text configuration, so articles
are stemmed in the search language too (see helpline.kb.fulltext); the index that matched
words as written is dropped. SQLite's index is unchanged."""

from django.db import migrations


def use_search_language(apps, schema_editor):
    from helpline.kb import fulltext

    if schema_editor.connection.vendor == "postgresql":
        fulltext.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0002_fulltext"),
    ]

    operations = [
        migrations.RunPython(use_search_language, migrations.RunPython.noop, elidable=False),
    ]
