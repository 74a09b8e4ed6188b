from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TicketsConfig(AppConfig):
    name = "helpline.tickets"
    label = "tickets"

    def ready(self) -> None:
        post_migrate.connect(_restore_indexes, sender=self)


def _restore_indexes(sender: AppConfig, using: str, **kwargs: Any) -> None:
    """Put back the partial indexes and the queue count triggers a table rebuild dropped (see
    ``sqlindexes``, ``queuecounts``), once every migration of the run has been applied."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from helpline.tickets import queuecounts, sqlindexes

    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if ("tickets", "0008_queue_unassigned_index") in applied:
        sqlindexes.ensure(connection)
    if ("tickets", "0009_queue_counts") in applied:
        queuecounts.ensure(connection)
