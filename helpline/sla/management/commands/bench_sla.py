"""``helpline bench-sla [--tickets N] [--force]``: the SLA benchmark, as Markdown on stdout."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.sla import bench


class Command(BaseCommand):
    help = (
        "Measure SLA due-time throughput (one core) and, on PostgreSQL, the SLA sweep over N "
        "open tickets of which 1%% are due (inserted, swept, then removed). Prints Markdown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=1_000_000, help="default 1,000,000")
        parser.add_argument(
            "--computations", type=int, default=200_000, help="due times to compute"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run the sweep part on a database that already has tickets",
        )
        parser.add_argument(
            "--skip-sweep", action="store_true", help="only the due-time throughput"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="then sweep the same due tickets again with this many worker processes at "
            "once (default 2, one per core of the target machine; 1 skips it)",
        )

    def handle(
        self,
        *args: Any,
        tickets: int,
        computations: int,
        force: bool,
        skip_sweep: bool,
        workers: int,
        **options: Any,
    ) -> None:
        if tickets < 100 or computations < 1 or workers < 1:
            raise CommandError(
                "--tickets must be at least 100, --computations and --workers at least 1"
            )
        throughput = bench.due_time_throughput(computations=computations)
        sweep = None
        note = "Skipped (--skip-sweep); it runs on PostgreSQL only." if skip_sweep else ""
        if not skip_sweep:
            try:
                sweep = bench.sweep_benchmark(
                    tickets=tickets,
                    force=force,
                    workers=workers,
                    progress=self._progress,
                )
            except bench.BenchRefused as refusal:
                raise CommandError(str(refusal)) from None
        self.stdout.write(bench.markdown(throughput, sweep, note))

    def _progress(self, text: str) -> None:
        sys.stderr.write(f"bench-sla: {text}\n")
        sys.stderr.flush()
