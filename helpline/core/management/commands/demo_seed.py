"""``helpline demo-seed``: load the Americorp demo organisation into an empty database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.demo import seed


class Command(BaseCommand):
    help = "Load the demo organisation (Americorp) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the logins) when the demo is already loaded.",
        )

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        if seed.is_seeded():
            if not if_empty:
                raise CommandError("the demo organisation is already loaded")
            self.stdout.write("The demo organisation is already loaded.")
            logins = seed.demo_logins()
        else:
            logins = seed.seed()
            self.stdout.write(self.style.SUCCESS("Loaded the Americorp demo organisation."))
        for line in logins.lines():
            self.stdout.write(line)
