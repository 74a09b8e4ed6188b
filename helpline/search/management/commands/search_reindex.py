"""``helpline search-reindex``: rebuild the search index from the ticket tables.

The index is otherwise always current (database triggers); this is for a first install over
old data, a dropped or damaged index, or a changed index definition. Interrupted, it prints the
``--from-id`` that resumes it.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from helpline.search import index
from helpline.search.index import DEFAULT_BATCH_SIZE, RebuildProgress
from helpline.search.services import search_reindex

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Rebuild the full-text search index in batches; resumable with --from-id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from-id",
            type=int,
            default=None,
            help="Reindex only tickets with this id or higher (resume an interrupted run).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Tickets per committed batch (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from_id: int | None = options["from_id"]
        batch_size: int = options["batch_size"]
        if from_id is not None and from_id < 1:
            raise CommandError("--from-id must be 1 or more")
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more")
        self._interactive = self.stdout.isatty()
        self._started = time.monotonic()
        self._last: RebuildProgress | None = None
        self._last_line = -1
        try:
            done = search_reindex(from_id=from_id, batch_size=batch_size, progress=self._report)
        except KeyboardInterrupt:
            if self._last is not None:
                self.stdout.write("")
                raise CommandError(
                    f"interrupted; resume with --from-id {self._last.last_id + 1}"
                ) from None
            raise
        if self._interactive and self._last is not None:
            self.stdout.write("")
        seconds = time.monotonic() - self._started
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {done.tickets} tickets and {done.entries} thread entries "
                f"in {seconds:.1f} s."
            )
        )
        stemming = index.stemming(connection)
        if stemming is not None:
            self.stdout.write(f"Words are stemmed as: {stemming[0]}.")

    def _report(self, progress: RebuildProgress) -> None:
        self._last = progress
        percent = int(progress.fraction * 100)
        filled = int(progress.fraction * BAR_WIDTH)
        line = (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}%  "
            f"ticket id {progress.last_id}/{progress.max_id}  "
            f"{progress.tickets} tickets, {progress.entries} entries"
        )
        if self._interactive:
            self.stdout.write(f"\r{line}", ending="")
            self.stdout.flush()
        elif percent // 10 != self._last_line:
            # Logs get a line every 10 %, not a carriage-return stream.
            self._last_line = percent // 10
            self.stdout.write(line)
