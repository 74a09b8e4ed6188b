"""``helpline serve``: the production web server (gunicorn) and the worker, together.

This is what ``make run`` starts. Ctrl-C (SIGINT) or SIGTERM stops both; if either process
dies, the other is stopped too, so the app never runs half-alive.

Keep-alive is off by default (``--keep-alive 0``): gunicorn keeps a kept-alive connection in
the worker that accepted it, and a Python worker runs on one core at a time (the GIL). A few
busy clients, or a proxy's pooled connections, could all sit on one worker while the other
cores idle: in the benchmark, four clients on keep-alive connections were served by one of the
two workers in most runs, and the p95 latency doubled. Without keep-alive, each request is
accepted by whichever worker gets to it first, and a worker busy with Python is the slower
one. A new connection costs well under a millisecond on a local network; behind a proxy that
keeps connections to its clients, it is one per request from the proxy.

Each web worker serves one request at a time (``--threads 1``: gunicorn's sync worker), with
two workers per core, at most eight (``--workers``; ``helpline.core.machine``). A request is
mostly Python, and a process runs Python on one core at a time (the GIL): the threads of one
worker waited for each other, which made the slow tail of every page. On SQLite a thread that
held the database's write lock also waited for its own worker's other threads after each
statement, and every other writer waited with it. At 1M tickets on two cores, two alternating
runs each of 2 workers x 4 threads and of 4 x 1 (docs/benchmarks.md, "Session 20"): ticket
creates on PostgreSQL 100-128/s with p99 77-85 ms -> 145-149/s with p99 62-63 ms, the
PostgreSQL desk ticket page's p95 73-80 -> 52-53 ms, the SQLite queue pages' p95 28-34 -> 16-32
ms. Each worker holds its own caches and connection, so the four take more memory than two did:
about 440 MB against 270-365 MB.

The worker runs at a lower CPU priority than the web server (``--worker-nice``, 10 by default;
``helpline worker`` says why): requests first, their mail a moment later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.core.machine import default_web_workers


class Command(BaseCommand):
    help = "Serve Helpline with gunicorn and run the background worker beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_WORKERS", 0)) or default_web_workers(),
            help="Web worker processes (default: two per core, at most eight).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("WEB_THREADS", 1)),
            help="Requests each web worker serves at once (default 1).",
        )
        parser.add_argument(
            "--keep-alive",
            type=int,
            default=int(os.environ.get("WEB_KEEPALIVE", 0)),
            help="Seconds a connection is kept open for the next request (0: closed after each).",
        )
        parser.add_argument("--no-worker", action="store_true", help="Serve the web app only.")
        parser.add_argument(
            "--worker-nice",
            type=int,
            default=int(os.environ.get("WORKER_NICE", 10)),
            help="The worker's CPU priority below the web server's (0-19; see helpline worker).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["worker_nice"] <= 19:
            raise CommandError("--worker-nice must be between 0 and 19")
        threaded = options["threads"] > 1 or options["keep_alive"] > 0
        web = [
            sys.executable, "-m", "gunicorn", "helpline.wsgi:application",
            "--bind", options["bind"],
            "--workers", str(options["workers"]),
            "--threads", str(options["threads"]),
            # gunicorn's sync worker (its choice for one thread) closes every connection:
            # keeping one alive takes the threaded worker, even with a single thread.
            "--worker-class", "gthread" if threaded else "sync",
            "--keep-alive", str(options["keep_alive"]),
            "--access-logfile", "-",
            "--graceful-timeout", "10",
        ]  # fmt: skip
        processes = [subprocess.Popen(web)]
        if not options["no_worker"]:
            worker = [
                sys.executable,
                "-m",
                "helpline",
                "worker",
                "--nice",
                str(options["worker_nice"]),
            ]
            processes.append(subprocess.Popen(worker))
        self.stdout.write(f"Helpline is serving on http://{options['bind']}/ (Ctrl-C stops it)")

        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for process in processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [p for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise SystemExit(1)
