"""``helpline mail-reprocess ID [ID ...]`` (or ``--all``): process quarantined mail again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.accounts.selectors import system_user
from helpline.core.errors import DomainError
from helpline.mail.models import InboundMessage, InboundStatus
from helpline.mail.services import inbound_reprocess


class Command(BaseCommand):
    help = (
        "Process quarantined messages again (by ledger id, or --all). The sender rate limit "
        "and the unknown-sender quarantine no longer apply; automatic mail is still ignored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="Ledger ids (see the admin).")
        parser.add_argument("--all", action="store_true", help="Every quarantined message.")

    def handle(self, *args: Any, **options: Any) -> None:
        ids: list[int] = options["ids"]
        if options["all"]:
            ids = list(
                InboundMessage.objects.filter(status=InboundStatus.QUARANTINED)
                .order_by("id")
                .values_list("id", flat=True)
            )
        elif not ids:
            raise CommandError("name the ids to reprocess, or pass --all", returncode=64)
        actor = system_user()
        failed = 0
        for pk in ids:
            message = InboundMessage.objects.filter(pk=pk).first()
            if message is None:
                self.stderr.write(f"{pk}: no such message")
                failed += 1
                continue
            try:
                result = inbound_reprocess(actor=actor, message=message)
            except DomainError as error:
                self.stderr.write(f"{pk}: {error.message}")
                failed += 1
                continue
            self.stdout.write(f"{pk}: {result.status}: {result.reason}")
        if failed:
            raise CommandError(f"{failed} of {len(ids)} could not be reprocessed")
