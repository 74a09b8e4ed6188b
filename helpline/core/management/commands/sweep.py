"""``helpline sweep``: run the periodic sweeps once (the worker runs them every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from helpline.sla.sweeps import run_sweeps


class Command(BaseCommand):
    help = (
        "Run the SLA, pending-reminder, auto-resolve and auto-close sweeps, the mail and "
        "webhook retries and the pruning of old task results once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = run_sweeps()
        self.stdout.write(
            f"SLA events {report.sla_events}, escalations {report.escalations}, "
            f"reminders {report.reminders}, auto-resolved {report.auto_resolved}, "
            f"auto-closed {report.auto_closed}, "
            f"task results pruned {report.task_results_pruned}, errors {len(report.errors)}"
        )
