"""``helpline queue-recount``: count the active tickets per department and assignee afresh.

The database keeps these counts itself (``helpline.tickets.queuecounts``), so this is needed
only after tickets were written with the triggers off: a restore or a bulk load made with
``session_replication_role = replica`` on PostgreSQL, or by a program that dropped them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from helpline.tickets import queuecounts


class Command(BaseCommand):
    help = "Count the queue badges' active tickets afresh (after a load without the triggers)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            restored = queuecounts.install(connection)  # missing triggers back, then a count
        if restored:
            self.stdout.write(f"Put back the missing triggers: {', '.join(restored)}.")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*), COALESCE(SUM(active), 0) FROM {queuecounts.TABLE}")
            keys, active = cursor.fetchone()
        self.stdout.write(f"Counted {active} active tickets over {keys} department/assignee pairs.")
