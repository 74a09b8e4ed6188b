"""``helpline bench-seed --tickets N``: fill a benchmark database fast."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from helpline.bench.seed import BATCH, seed_long_thread, seed_tickets


class Command(BaseCommand):
    help = (
        "Bring a benchmark database up to N realistic tickets with 3-8 thread entries each "
        "(resumable: tickets already there count). Benchmark databases only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, required=True)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--batch-size", type=int, default=BATCH)
        parser.add_argument(
            "--long-thread",
            type=int,
            default=0,
            metavar="ENTRIES",
            help="Also make one ticket with this many thread entries (once).",
        )

    def handle(
        self, *args: Any, tickets: int, seed: int, batch_size: int, long_thread: int, **options: Any
    ) -> None:
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-9)
            sys.stderr.write(f"\r{done:>10,} / {total:,} tickets added  ({rate:,.0f}/s)")
            sys.stderr.flush()

        made = seed_tickets(tickets=tickets, seed=seed, batch_size=batch_size, progress=progress)
        if made:
            sys.stderr.write("\n")
        self.stdout.write(f"{made:,} tickets added in {time.monotonic() - started:,.1f} s")
        if long_thread:
            number = seed_long_thread(entries=long_thread)
            self.stdout.write(f"long thread: ticket {number} ({long_thread} entries)")
