"""The background worker: queued tasks run by the database backend (the embedded default) and by
RQ on Redis (``TASKS_BACKEND=rq``), and ``helpline worker --batch`` sweeping once.

The RQ tests use the real Redis at 127.0.0.1:6379, database 15 (flushed before and after), and
skip when no Redis answers. The RQ worker runs in-process (``SimpleWorker``, no fork), so the
mail it sends lands in this process's ``mail.outbox``. The tests commit for real
(``transaction=True``): the worker closes the database connections it inherits, and the tasks
are enqueued when the creating transaction commits.
"""

from __future__ import annotations

import signal
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from helpline.audit.models import AuditEvent
from helpline.notifications.tasks import send_ticket_notification
from helpline.sla.tests.steps import fresh, utc
from helpline.tickets import services

# serialized_rollback: like every test here that commits, leave the migrations' rows (content
# types) for the next one; a plain flush would re-create them under new ids.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REDIS_URL = "redis://127.0.0.1:6379/15"
START = utc(2026, 11, 16, 9)


def redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        pytest.skip("needs Redis at 127.0.0.1:6379 (the RQ task backend)")
    return client


@pytest.fixture(autouse=True)
def _keep_signal_handlers():
    """The workers install their own SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.fixture
def rq(settings):
    """Settings as with ``TASKS_BACKEND=rq``, on Redis database 15; yields the Redis client."""
    client = redis_or_skip()
    client.flushdb()
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq", "django_tasks_rq"]
    settings.TASKS_BACKEND = "rq"
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.RQ = {"WORKER_CLASS": "rq.worker.SimpleWorker"}  # no fork: mail stays in-process
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    yield client
    client.flushdb()


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "helpline.core.tasks_backend.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def desk_with_manager(desk, round_the_clock, time_machine):
    time_machine.move_to(START, tick=False)
    desk.department.manager = desk.l3
    desk.department.save()
    return desk


def rq_queue_length() -> int:
    import django_rq

    return django_rq.get_queue("default").count


# --- RQ on Redis ----------------------------------------------------------------------------


def test_a_notification_enqueued_on_redis_is_mailed_by_a_burst_rq_worker(rq, desk_with_manager):
    desk = desk_with_manager
    ticket = desk.ticket()  # commits: "ticket created" and "assigned" go to the queue, one task
    assert rq_queue_length() == 1
    assert mail.outbox == []

    call_command(
        "rqworker",
        "default",
        burst=True,
        job_class="django_tasks_rq.Job",
        worker_class="rq.worker.SimpleWorker",
    )

    assert rq_queue_length() == 0
    assert sorted((message.subject, message.to) for message in mail.outbox) == [
        (f"[#{ticket.number}] Assigned to you: {ticket.subject}", [desk.l1.email]),
        (f"[#{ticket.number}] We received your request: {ticket.subject}", [desk.customer.email]),
    ]


def test_the_result_of_a_task_run_by_rq_can_be_read_back(rq, desk_with_manager):
    ticket = desk_with_manager.ticket()
    result = send_ticket_notification.enqueue(event="ticket_created", ticket_id=ticket.pk)
    call_command("rqworker", "default", burst=True, job_class="django_tasks_rq.Job")
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 1


def test_helpline_worker_batch_with_rq_sweeps_once_and_runs_what_is_queued(
    rq, desk_with_manager, time_machine
):
    desk = desk_with_manager
    ticket = desk.ticket()
    mail.outbox.clear()
    time_machine.move_to(START + timedelta(minutes=45), tick=False)  # first response: warning

    call_command("worker", batch=True)

    assert AuditEvent.objects.filter(ticket=ticket, action="sla.warning").count() == 1
    assert fresh(ticket).first_response_state == "warning"
    warnings = [m for m in mail.outbox if "SLA warning" in m.subject]
    # One message to both, or one each: either way each person is told once.
    assert sorted(a for m in warnings for a in m.to) == sorted([desk.l1.email, desk.l3.email])
    assert rq_queue_length() == 0


# --- the database backend -------------------------------------------------------------------


def test_helpline_worker_batch_runs_queued_tasks_and_one_sweep(
    database_tasks, desk_with_manager, time_machine
):
    from django_tasks_db.models import DBTaskResult

    desk = desk_with_manager
    ticket = desk.ticket()
    assert DBTaskResult.objects.count() == 1  # "ticket created" and "assigned", not yet run
    assert mail.outbox == []
    time_machine.move_to(START + timedelta(minutes=45), tick=False)

    call_command("worker", batch=True)

    assert AuditEvent.objects.filter(ticket=ticket, action="sla.warning").count() == 1
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert DBTaskResult.objects.count() == 2  # the sweep's warning was queued and run too
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([desk.customer.email, desk.l1.email, desk.l1.email, desk.l3.email])


def test_helpline_worker_batch_without_sweeps_only_runs_tasks(
    database_tasks, desk_with_manager, time_machine
):
    ticket = desk_with_manager.ticket()
    time_machine.move_to(START + timedelta(minutes=45), tick=False)
    call_command("worker", batch=True, no_sweeps=True)
    assert AuditEvent.objects.filter(ticket=ticket, action="sla.warning").count() == 0
    assert len(mail.outbox) == 2


def test_helpline_sweep_runs_the_sweeps_once_and_reports_what_it_did(
    desk_with_manager, time_machine, capsys
):
    desk_with_manager.ticket()
    time_machine.move_to(START + timedelta(minutes=45), tick=False)
    call_command("sweep")
    assert "SLA events 1," in capsys.readouterr().out
    call_command("sweep")
    assert "SLA events 0," in capsys.readouterr().out


def test_the_sweep_prunes_the_finished_task_results_past_their_days(
    database_tasks, desk_with_manager, time_machine, capsys
):
    from django_tasks_db.models import DBTaskResult

    desk_with_manager.ticket()  # its notification is queued as a task
    call_command("worker", batch=True, no_sweeps=True)  # and run: a finished result
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1

    time_machine.move_to(START + timedelta(days=13), tick=False)
    call_command("sweep")
    assert "task results pruned 0," in capsys.readouterr().out

    time_machine.move_to(START + timedelta(days=15), tick=False)
    call_command("sweep")
    assert "task results pruned 1," in capsys.readouterr().out
    assert not DBTaskResult.objects.filter(status="SUCCESSFUL").exists()  # the sweeps' own
    # notices (the SLA's breaches by now) are queued, not finished: they stay


def test_helpline_worker_batch_folds_the_queue_counts(database_tasks, desk_with_manager):
    from helpline.tickets.models import QueueCount

    desk = desk_with_manager
    tickets = [desk.ticket() for _ in range(3)]
    tickets[0].refresh_from_db()
    services.ticket_assign(actor=desk.admin, ticket=tickets[0], assignee=None)
    assert QueueCount.objects.count() == 5  # three arrivals, then -1 and +1

    call_command("worker", batch=True)

    rows = sorted(QueueCount.objects.values_list("department_id", "assignee_id", "active"))
    assert rows == [(desk.department.pk, 0, 1), (desk.department.pk, tickets[1].assignee_id, 2)]


def test_the_worker_folds_the_queue_counts_every_interval_until_stopped(desk_with_manager):
    import threading

    from helpline.core.management.commands.worker import fold_forever
    from helpline.tickets.models import QueueCount

    desk = desk_with_manager
    for _ in range(3):
        desk.ticket()
    assert QueueCount.objects.count() == 3
    waits: list[float] = []

    class OneRound(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout or 0.0)
            self.set()  # stop after the first fold
            return True

    fold_forever(OneRound(), 1.0)

    assert waits == [1.0]
    assert list(QueueCount.objects.values_list("active", flat=True)) == [3]


def test_the_worker_refuses_an_interval_of_zero():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="fold-interval"):
        call_command("worker", fold_interval=0)


def test_the_worker_checkpoints_the_wal_every_interval_until_stopped(monkeypatch):
    import threading

    from helpline.core.management.commands import worker

    seen: list[Any] = []
    monkeypatch.setattr(worker, "checkpoint", seen.append)
    waits: list[float] = []

    class OneRound(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout or 0.0)
            self.set()
            return True

    worker.checkpoint_forever(OneRound(), 0.5)

    assert waits == [0.5] and len(seen) == 1


def test_the_worker_refuses_a_checkpoint_interval_of_zero():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="checkpoint-interval"):
        call_command("worker", checkpoint_interval=0)
