import logging
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class SearchConfig(AppConfig):
    name = "helpline.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        post_migrate.connect(_restore_triggers, sender=self)


def _restore_triggers(sender: AppConfig, using: str, plan: Any = None, **kwargs: Any) -> None:
    """SQLite rebuilds a table for many schema changes, dropping its triggers with it; put
    the index triggers back once every migration of the run has been applied."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from helpline.search import index

    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    applied = MigrationRecorder(connection).applied_migrations()
    if ("search", "0001_initial") in applied:
        index.ensure_triggers(connection)
        stemming = index.stemming(connection)
        if stemming is not None and stemming[0] != stemming[1]:
            logger.warning(
                "search: the index stems words as %s, the settings ask for %s; "
                "`helpline search-reindex` applies them",
                *stemming,
            )
