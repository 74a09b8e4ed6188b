"""``helpline bench-seed --tickets N``: fill a benchmark database fast."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from helpline.bench.seed import seed_tickets


class Command(BaseCommand):
    help = "Generate N realistic tickets with 3-8 thread entries each (benchmark databases only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, required=True)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args: Any, tickets: int, seed: int, **options: Any) -> None:
        started = time.monotonic()

        def progress(done: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-9)
            sys.stderr.write(f"\r{done:>10,} / {tickets:,} tickets  ({rate:,.0f}/s)")
            sys.stderr.flush()

        made = seed_tickets(tickets=tickets, seed=seed, progress=progress)
        sys.stderr.write("\n")
        self.stdout.write(f"{made:,} tickets in {time.monotonic() - started:,.1f} s")
