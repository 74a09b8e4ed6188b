"""bench-sla cleans up after itself: the tasks the sweep enqueued for bench tickets go, with
the sweep's batch notification tasks, and nothing else's. Without its sweep, it runs on any
database."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from helpline.notifications.tasks import send_ticket_notification, send_ticket_notifications
from helpline.sla.bench import _forget_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "helpline.core.tasks_backend.DatabaseBackend"}}


def test_forgetting_bench_tasks_drops_batch_and_single_ones_but_keeps_others(
    database_tasks: None,
) -> None:
    send_ticket_notifications.enqueue(items=[["sla_warning", 1, "resolution"]] * 2)
    send_ticket_notification.enqueue(event="sla_warning", ticket_id=2)
    kept_batch = send_ticket_notifications.enqueue(
        items=[["sla_warning", 1, "resolution"], ["sla_warning", 99, "resolution"]]
    )
    kept_single = send_ticket_notification.enqueue(event="sla_warning", ticket_id=99)
    _forget_tasks({1, 2})
    assert {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)} == {
        kept_batch.id,
        kept_single.id,
    }


def test_bench_sla_without_its_sweep_gives_the_due_time_throughput_on_any_database() -> None:
    out = StringIO()
    call_command(
        "bench_sla", "--tickets", "100", "--computations", "200", "--skip-sweep", stdout=out
    )

    assert "Skipped (--skip-sweep); it runs on PostgreSQL only." in out.getvalue()
    assert "due times" in out.getvalue().lower()
