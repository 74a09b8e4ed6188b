"""The default task backend writes the row django-tasks-db writes, and its worker runs it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db.models.signals import post_save, pre_save
from django.tasks import task, task_backends
from django_tasks_db import DatabaseBackend as LibraryDatabaseBackend
from django_tasks_db.models import DBTaskResult

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
