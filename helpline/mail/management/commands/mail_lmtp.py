"""``helpline mail-lmtp [--host 127.0.0.1] [--port 2424]``: the LMTP listener.

Runs until it gets SIGTERM or SIGINT. Postfix, in ``main.cf``:
``virtual_transport = lmtp:inet:127.0.0.1:2424`` (or ``mailbox_transport`` for local users).
See :mod:`helpline.mail.lmtp` for what each recipient is answered.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from helpline.mail.lmtp import LMTPController


class Command(BaseCommand):
    help = "Receive mail over LMTP and ingest it (an alternative to the mail-ingest pipe)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=2424, help="TCP port (default 2424).")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        previous = {
            signum: signal.signal(signum, lambda *_: stop.set())
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            controller = LMTPController(host=options["host"], port=options["port"])
            controller.start()
            self.stdout.write(f"mail-lmtp: listening on {options['host']}:{controller.port}")
            try:
                while not stop.wait(1.0):  # a timeout, so the signal handler gets to run
                    pass
            finally:
                controller.stop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("mail-lmtp: stopped")
