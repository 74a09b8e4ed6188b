"""``helpline bench-mail``: mail ingestion throughput, printed as a Markdown section.

Half the messages open tickets, half are replies threaded by In-Reply-To, each about 5 KB,
ingested one after the other in this process (one core). The first ``--warmup`` messages are
not timed: they pay for this process's first imports and configuration reads, which a
long-running worker pays once. By default everything runs inside a transaction that is rolled
back at the end, so the configured database is left as it was; with ``--commit`` each message
commits on its own, as in production (use a bench database). Only ``--commit`` counts the
work done when a message commits (queueing its notification and rule tasks).
"""

from __future__ import annotations

import random
import time
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.test import override_settings

from helpline.core import clock
from helpline.directory.models import Department
from helpline.mail.models import Mailbox
from helpline.mail.services import ingest

TARGET = 200  # messages per second per core on SQLite (the target)
WORDS = (
    "printer laptop vpn network wifi latency password account locked access email outlook "
    "teams camera headset license install update crash error freeze slow disk backup server "
    "timeout certificate firewall proxy dns router cable docking charger phone excel report"
).split()


def bench_message(index: int, *, sender: str, size: int, reply_to: str = "") -> tuple[bytes, str]:
    """A message of about ``size`` bytes, and its Message-ID."""
    rng = random.Random(index)
    mail = EmailMessage()
    mail["From"] = f"Bench Customer <{sender}>"
    mail["To"] = "bench-support@helpline.invalid"
    mail["Subject"] = ("Re: " if reply_to else "") + " ".join(rng.sample(WORDS, 5)).capitalize()
    mail["Date"] = format_datetime(clock.now())
    message_id = f"<bench.{index}.{time.time_ns():x}@bench.example>"
    mail["Message-ID"] = message_id
    if reply_to:
        mail["In-Reply-To"] = reply_to
        mail["References"] = reply_to
    words: list[str] = []
    length = 0
    while length < size - 600:  # the headers take about 600 bytes
        words.append(rng.choice(WORDS))
        length += len(words[-1]) + 1
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    mail.set_content("Hello,\n\n" + "\n".join(lines) + "\n\nThanks\n")
    return mail.as_bytes(), message_id


class Command(BaseCommand):
    help = "Measure mail ingestion throughput and print it as a Markdown section."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--messages", type=int, default=400, help="How many (default 400).")
        parser.add_argument("--size", type=int, default=5 * 1024, help="Bytes per message.")
        parser.add_argument(
            "--warmup", type=int, default=20, help="Untimed messages first (default 20)."
        )
        parser.add_argument(
            "--commit",
            action="store_true",
            help="Commit every message (writes to the database: use a bench database).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count, size = max(2, options["messages"]), options["size"]
        warmup = max(0, options["warmup"])
        if options["commit"]:
            elapsed, cpu, made = self.run(count, size, warmup)
        else:
            with transaction.atomic():
                elapsed, cpu, made = self.run(count, size, warmup)
                transaction.set_rollback(True)
        vendor = connection.vendor
        wall = count / elapsed if elapsed else 0.0
        per_core = count / cpu if cpu else 0.0  # fair on a busy machine: CPU time is ours
        mode = "committed per message" if options["commit"] else "rolled back at the end"
        met = "met" if per_core >= TARGET else "not met"
        self.stdout.write(
            "\n".join(
                [
                    "## Mail ingestion",
                    "",
                    f"{count} messages of {size / 1024:.1f} KB ingested one by one in one "
                    f"process on {vendor} ({mode}); {made['created']} opened tickets and "
                    f"{made['threaded']} threaded into them by In-Reply-To, after {warmup} "
                    "untimed. Messages per second per core is messages per CPU second of this "
                    "process.",
                    "",
                    "| database | messages | wall seconds | CPU seconds | messages/s (wall) "
                    "| messages/s per core | target |",
                    "|---|---:|---:|---:|---:|---:|---|",
                    f"| {vendor} | {count} | {elapsed:.2f} | {cpu:.2f} | {wall:.0f} | "
                    f"{per_core:.0f} | ≥ {TARGET} on SQLite ({met}) |",
                    "",
                ]
            )
        )

    def run(self, count: int, size: int, warmup: int) -> tuple[float, float, dict[str, int]]:
        department = Department.objects.filter(is_active=True).order_by("id").first()
        if department is None:
            department = Department.objects.create(name="Mail bench", slug="mail-bench")
        mailbox, _ = Mailbox.objects.get_or_create(
            name="bench-mail",
            defaults={"address": "bench-support@helpline.invalid", "department": department},
        )
        run_id = f"{time.time_ns():x}"
        senders = [f"customer{i}.{run_id}@bench.example" for i in range(max(1, count // 10))]
        # Built before the clock starts: only ingestion is measured. Even messages open a
        # ticket; odd ones answer an earlier one, from its requester.
        messages: list[bytes] = []
        opened: list[tuple[str, str]] = []  # (Message-ID, sender)
        for index in range(-warmup, count):
            if index % 2 == 0:
                sender = senders[(index // 2) % len(senders)]
                raw, message_id = bench_message(index, sender=sender, size=size)
                opened.append((message_id, sender))
            else:
                original, sender = opened[(index * 7919) % len(opened)]
                raw, _ = bench_message(index, sender=sender, size=size, reply_to=original)
            messages.append(raw)
        made = {"created": 0, "threaded": 0}
        # The rate limit is still checked (its query is part of the cost), never reached.
        with override_settings(HELPLINE_MAIL_RATE_LIMIT=10 * (count + warmup)):
            for raw in messages[:warmup]:
                ingest(raw, mailbox=mailbox)
            started, cpu_started = time.perf_counter(), time.process_time()
            for raw in messages[warmup:]:
                result = ingest(raw, mailbox=mailbox)
                made[result.status] = made.get(result.status, 0) + 1
        return time.perf_counter() - started, time.process_time() - cpu_started, made
