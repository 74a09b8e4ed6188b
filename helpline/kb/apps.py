from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class KbConfig(AppConfig):
    name = "helpline.kb"
    label = "kb"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        post_migrate.connect(_restore_triggers, sender=self)


def _restore_triggers(sender: AppConfig, using: str, plan: Any = None, **kwargs: Any) -> None:
    """SQLite drops a table's triggers when a migration rebuilds it: put the article index
    triggers back after every migrate."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from helpline.kb import fulltext

    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if ("kb", "0002_fulltext") in applied:
        fulltext.install(connection)
