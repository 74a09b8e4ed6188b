"""``helpline mail-poll [--mailbox NAME]``: read new mail from the IMAP mailboxes once.

The worker does this every minute; this command is for a cron job or a first test.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.mail.imap import poll_mailboxes


class Command(BaseCommand):
    help = "Fetch and ingest new mail from every active IMAP mailbox (or one) once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="Poll only the mailbox with this name.")

    def handle(self, *args: Any, **options: Any) -> None:
        reports = poll_mailboxes(name=options.get("mailbox"))
        if not reports:
            self.stdout.write("no active IMAP mailbox to poll")
        for report in reports:
            self.stdout.write(str(report))
        errors = [report for report in reports if report.error]
        if errors:
            raise CommandError(f"{len(errors)} mailbox(es) failed")
