"""``helpline worker``: runs queued tasks (mail, webhooks) and, every minute, the sweeps.

Every second it also folds the queue counts' rows (``tickets.queuecounts``): each ticket that
arrives or moves adds a row, and every badge and every auto-assignment sums the rows of its
key, so the sum reads a second of changes instead of a minute's (at 170 new tickets a second,
a minute left ~400 rows per agent: 0.5 ms of PostgreSQL per new ticket's assignment; five
seconds at 290 a second, ~225 rows: 0.74 ms, against 0.26 folded). On PostgreSQL it
vacuums that small table after every thousand rows folded away (``queuecounts.Folding``).

The task loop is the configured backend's own worker (django-tasks-db's ``db_worker`` by
default, RQ's with ``TASKS_BACKEND=rq``); the sweeps run in a thread beside it. Several
workers may run at once on several machines: the sweeps claim their rows (see sla.sweeps).

On SQLite it also checkpoints the database's WAL every half second (``--checkpoint-interval``;
see ``helpline.core.sqlite.checkpoint``), so that no web request pays for copying it back.

``--nice N`` lowers the worker's CPU priority (as ``nice(1)`` does) before it starts. ``helpline
serve`` runs its worker at 10, so that on a machine the web server shares, a burst of requests
is answered first and the burst's mail goes out a moment later, when the web workers leave a
core idle. The work is queued in the database, so a slower worker delays it and loses nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection

from helpline.core.sqlite.checkpoint import checkpoint, has_wal
from helpline.mail.imap import poll_step
from helpline.rules.sweep import sweep_time_rules
from helpline.sla.sweeps import run_sweeps
from helpline.tickets import queuecounts

log = logging.getLogger("helpline.worker")


def sweep_forever(stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            report = run_sweeps()
            if report.total() or report.errors:
                log.info("sweeps: %s", report)
            poll_step()  # mail in: new mail from the IMAP mailboxes (helpline.mail)
            sweep_time_rules()  # automation rules with a time-based trigger
        except Exception:  # keep sweeping next minute; the error is logged
            log.exception("sweeps failed")
        finally:
            connection.close()
        stop.wait(interval)


def _every(stop: threading.Event, interval: float, step: Callable[[], object], what: str) -> None:
    """Run ``step`` every ``interval`` seconds until ``stop``, on this thread's own database
    connection; a failure is logged as "``what`` failed" and the next round tries again."""
    while not stop.is_set():
        try:
            close_old_connections()
            step()
        except Exception:  # try again next time; the error is logged
            log.exception("%s failed", what)
        stop.wait(interval)
    connection.close()


def fold_forever(stop: threading.Event, interval: float) -> None:
    """Fold the queue counts' changes into one row per key every ``interval`` seconds until
    ``stop`` (its own thread, so a long sweep does not hold it up), vacuuming the table when
    due (``queuecounts.Folding``). Folding nothing costs one read of the small table."""
    folding = queuecounts.Folding(connection)
    _every(stop, interval, folding.step, "folding the queue counts")


def checkpoint_forever(stop: threading.Event, interval: float) -> None:
    """Checkpoint the SQLite database's WAL every ``interval`` seconds until ``stop`` (its own
    thread and connection)."""
    _every(stop, interval, lambda: checkpoint(connection), "checkpointing the database")


class Command(BaseCommand):
    help = "Run the background worker: queued tasks, and the periodic sweeps every minute."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Process what is queued now, sweep once, exit."
        )
        parser.add_argument("--no-sweeps", action="store_true", help="Run tasks only.")
        parser.add_argument(
            "--sweep-interval", type=float, default=60.0, help="Seconds between sweeps."
        )
        parser.add_argument(
            "--fold-interval",
            type=float,
            default=1.0,
            help="Seconds between folds of the queue counts' rows.",
        )
        parser.add_argument(
            "--checkpoint-interval",
            type=float,
            default=0.5,
            help="SQLite: seconds between checkpoints of the database's WAL.",
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=int(os.environ.get("WORKER_NICE", 0)),
            help="Lower the worker's CPU priority by this much (0-19, as nice(1)).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["nice"] <= 19:
            raise CommandError("--nice must be between 0 and 19")
        if options["nice"]:
            os.nice(options["nice"])
        intervals = ("sweep_interval", "fold_interval", "checkpoint_interval")
        if any(options[name] <= 0 for name in intervals):
            raise CommandError(
                "--sweep-interval, --fold-interval and --checkpoint-interval must be above 0"
            )
        stop = threading.Event()
        threads = []
        loops: list[tuple[Callable[[threading.Event, float], None], float, str]] = []
        if has_wal(connection) and not options["batch"]:
            loops.append((checkpoint_forever, options["checkpoint_interval"], "helpline-wal"))
        if options["batch"] and not options["no_sweeps"]:
            run_sweeps()
            poll_step()
            queuecounts.fold(connection)
        elif not options["no_sweeps"]:
            loops += [
                (sweep_forever, options["sweep_interval"], "helpline-sweeps"),
                (fold_forever, options["fold_interval"], "helpline-folds"),
            ]
        for loop, interval, name in loops:
            thread = threading.Thread(target=loop, args=(stop, interval), name=name, daemon=True)
            thread.start()
            threads.append(thread)
        try:
            if settings.TASKS_BACKEND == "rq":
                call_command(
                    "rqworker",
                    "default",
                    burst=options["batch"],
                    with_scheduler=False,
                    job_class="django_tasks_rq.Job",
                )
            else:
                call_command("db_worker", batch=options["batch"], interval=1.0, reload=False)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
