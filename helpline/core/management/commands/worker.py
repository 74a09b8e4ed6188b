"""``helpline worker``: runs queued tasks (mail, webhooks) for the configured task backend."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background worker: queued tasks from the database (default) or Redis/RQ."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Process what is queued now, then exit."
        )

    def handle(self, *args: Any, batch: bool = False, **options: Any) -> None:
        if settings.TASKS_BACKEND == "rq":
            call_command("rqworker", "default", burst=batch, with_scheduler=False)
            return
        worker_options: dict[str, Any] = {"batch": batch, "interval": 1.0}
        call_command("db_worker", **worker_options)
