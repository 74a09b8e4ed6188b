"""The default task backend writes the row django-tasks-db writes, and its worker runs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models.signals import post_save, pre_save
from django.tasks import task, task_backends
from django_tasks_db import DatabaseBackend as LibraryDatabaseBackend
from django_tasks_db.models import DBTaskResult

from helpline.conftest import query_plan
from helpline.core.tasks_backend import DatabaseBackend

pytestmark = pytest.mark.django_db

COMPARED = ("args_kwargs", "priority", "task_path", "queue_name", "backend_name", "status")


@task()
def add(x: int, y: int) -> int:
    return x + y


@pytest.fixture
def backends(settings: Any) -> Any:
    settings.TASKS = {
        "default": {"BACKEND": "helpline.core.tasks_backend.DatabaseBackend"},
        "library": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    }
    yield task_backends["default"], task_backends["library"]
    task_backends._settings = None  # type: ignore[attr-defined]
    task_backends._connections = None  # type: ignore[attr-defined]


def _row(result_id: str) -> dict[str, Any]:
    row = DBTaskResult.objects.get(id=result_id)
    return {name: getattr(row, name) for name in (*COMPARED, "run_after", "enqueued_at")}


def test_the_default_backend_is_ours_and_enqueues_the_row_the_library_would(
    backends: Any,
) -> None:
    ours, library = backends
    assert type(ours) is DatabaseBackend and type(library) is LibraryDatabaseBackend
    later = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)

    for task_ in (add, add.using(run_after=later, priority=5)):
        mine = _row(task_.enqueue(2, y=3).id)
        theirs = _row(task_.using(backend="library").enqueue(2, y=3).id)

        assert {k: mine[k] for k in COMPARED if k != "backend_name"} == {
            k: theirs[k] for k in COMPARED if k != "backend_name"
        }
        assert (mine["backend_name"], theirs["backend_name"]) == ("default", "library")
        assert mine["run_after"] == theirs["run_after"]
        assert mine["enqueued_at"] is not None


def test_a_task_enqueued_by_our_backend_is_read_back_and_run(backends: Any) -> None:
    ours, _ = backends
    result = add.enqueue(4, 5)

    row = DBTaskResult.objects.get(id=result.id)
    assert ours.get_result(result.id).task.func is add.func
    assert row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]) == 9


def test_the_library_still_has_only_the_receiver_our_backend_applies_itself() -> None:
    from django_tasks_db.signal_handlers import set_run_after

    receivers = [
        receiver
        for signal in (pre_save, post_save)
        for receiver in signal._live_receivers(DBTaskResult)[0]
    ]

    assert receivers == [set_run_after]


# --- enqueue_on_commit -------------------------------------------------------------------------


def test_with_our_backend_a_task_is_written_inside_the_transaction_and_goes_if_it_rolls_back(
    backends: Any,
) -> None:
    from django.db import transaction

    from helpline.core.tasks_backend import enqueue_on_commit

    with transaction.atomic():
        enqueue_on_commit(add, x=1, y=2)
        assert DBTaskResult.objects.filter(task_path__endswith=".add").count() == 1
        transaction.set_rollback(True)
    assert not DBTaskResult.objects.filter(task_path__endswith=".add").exists()

    with transaction.atomic():
        enqueue_on_commit(add, x=1, y=2)
    (row,) = DBTaskResult.objects.filter(task_path__endswith=".add")
    assert row.args_kwargs == {"args": [], "kwargs": {"x": 1, "y": 2}}


def test_with_another_backend_a_task_is_queued_only_when_the_transaction_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.db import transaction

    from helpline.core.tasks_backend import enqueue_on_commit

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        enqueue_on_commit(add, x=1, y=2)  # the tests' immediate backend
    assert len(callbacks) == 1
    assert not DBTaskResult.objects.exists()


def test_a_new_tickets_mail_task_is_written_with_it_not_after_its_commit(backends: Any) -> None:
    # The test runs inside a transaction that never commits: an enqueue left for the commit
    # would never be written here.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpline import factories

    desk = factories.Desk()
    with CaptureQueriesContext(connection) as captured:
        desk.ticket()
    statements = [q["sql"] for q in captured.captured_queries]
    task_insert = next(i for i, sql in enumerate(statements) if "dbtaskresult" in sql.lower())
    ticket_insert = next(i for i, sql in enumerate(statements) if 'INTO "tickets_ticket"' in sql)
    assert ticket_insert < task_insert


NOW = datetime(2030, 1, 20, 12, tzinfo=UTC)


def _result(status: str, *, finished_days_ago: int | None) -> str:
    """A task result of ``add`` in ``status``, finished that many days before ``NOW``."""
    result_id = add.enqueue(1, 2).id
    finished = None if finished_days_ago is None else NOW - timedelta(days=finished_days_ago)
    DBTaskResult.objects.filter(id=result_id).update(status=status, finished_at=finished)
    return str(result_id)


def test_finished_task_results_past_their_days_are_pruned_and_the_rest_kept(backends: Any):
    from helpline.core.tasks_backend import prune_task_results

    old = [_result("SUCCESSFUL", finished_days_ago=20), _result("FAILED", finished_days_ago=15)]
    kept = [
        _result("SUCCESSFUL", finished_days_ago=13),
        _result("READY", finished_days_ago=None),
        _result("RUNNING", finished_days_ago=None),
    ]

    assert prune_task_results(now=NOW, keep_days=14) == 2

    left = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert left == set(kept) and not left & set(old)
    assert prune_task_results(now=NOW, keep_days=14) == 0


def test_pruning_works_off_a_backlog_in_bounded_batches(backends: Any, monkeypatch: Any):
    from helpline.core import tasks_backend

    monkeypatch.setattr(tasks_backend, "PRUNE_BATCH", 2)
    monkeypatch.setattr(tasks_backend, "PRUNE_BATCHES", 2)
    for _ in range(5):
        _result("SUCCESSFUL", finished_days_ago=30)

    assert tasks_backend.prune_task_results(now=NOW, keep_days=14) == 4  # two batches of two
    assert tasks_backend.prune_task_results(now=NOW, keep_days=14) == 1
    assert not DBTaskResult.objects.exists()


def test_no_days_configured_keeps_every_result(backends: Any, settings: Any):
    from helpline.core.tasks_backend import prune_task_results

    settings.HELPLINE_TASK_RESULTS_KEEP_DAYS = 0
    _result("SUCCESSFUL", finished_days_ago=400)

    assert prune_task_results(now=NOW) == 0
    assert DBTaskResult.objects.count() == 1


def test_pruning_needs_a_database_task_backend(backends: Any, settings: Any):
    from helpline.core.tasks_backend import prune_task_results

    _result("SUCCESSFUL", finished_days_ago=400)  # left by an earlier database backend
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

    assert prune_task_results(now=NOW, keep_days=14) == 0
    assert DBTaskResult.objects.count() == 1


def test_the_old_results_are_found_through_the_index_of_finish_times(backends: Any):
    old = DBTaskResult.objects.filter(
        status__in=["SUCCESSFUL", "FAILED"], finished_at__lte=NOW
    ).values_list("pk", flat=True)[:10]

    assert "helpline_task_results_finished" in query_plan(old)
