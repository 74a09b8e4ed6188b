"""``helpline mail-ingest [--mailbox NAME] < message.eml``: the MTA pipe.

Exit codes are the sysexits an MTA understands: 0 when the message is recorded (a ticket, a
reply, ignored as automatic, a duplicate, or quarantined: bad content is never bounced), 75
(EX_TEMPFAIL) when it could not be recorded, so the MTA keeps it and tries again, 64
(EX_USAGE) for a wrong command line.

Postfix, for example: ``helpline unix - n n - - pipe flags=Rq user=helpline
argv=/srv/helpline/.venv/bin/helpline mail-ingest --mailbox support``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from helpline.mail.models import Mailbox
from helpline.mail.services import ingest

log = logging.getLogger("helpline.mail")

EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65  # never used for content: bad content is quarantined
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Ingest one email message read from standard input (for an MTA pipe)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="Name of the mailbox it was delivered to.")

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except SystemExit as stop:
            # argparse exits with 2 on a bad command line; an MTA understands EX_USAGE.
            raise SystemExit(EX_USAGE if stop.code == 2 else stop.code) from None

    def handle(self, *args: Any, **options: Any) -> None:
        raise SystemExit(self.deliver(options.get("mailbox"), sys.stdin.buffer.read()))

    def deliver(self, mailbox_name: str | None, raw: bytes) -> int:
        if not raw.strip():
            self.stderr.write("mail-ingest: no message on standard input")
            return EX_USAGE
        try:
            mailbox = None
            if mailbox_name:
                mailbox = (
                    Mailbox.objects.select_related("department").filter(name=mailbox_name).first()
                )
                if mailbox is None:
                    self.stderr.write(f"mail-ingest: no mailbox called {mailbox_name!r}")
                    return EX_USAGE
            result = ingest(raw, mailbox=mailbox)
        except Exception as error:  # never lose mail: the MTA keeps it and retries
            log.exception("mail-ingest could not record the message")
            self.stderr.write(f"mail-ingest: temporary failure: {error}")
            return EX_TEMPFAIL
        ticket = result.message.ticket
        where = f" (ticket #{ticket.number})" if ticket is not None else ""
        self.stdout.write(f"{result.status}{where}: {result.reason}")
        return EX_OK
