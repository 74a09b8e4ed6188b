"""The default task backend: django-tasks-db, with the enqueue INSERT written once;
:func:`enqueue_on_commit`, how the services queue work for after a change; and
:func:`prune_task_results`, which the worker's sweep runs so finished results do not pile up.

Every mail and ticket change queues one or two tasks (a notification, a rule run) when it
commits. django-tasks-db writes each with ``DBTaskResult.objects.create``, whose ORM work cost
more than the rest of queueing; this backend writes the same row with
:func:`helpline.core.rows.insert`. Everything else (the worker, results, retries) is the
library's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import Expression
from django.tasks import TaskResultStatus, task_backends
from django.utils.json import normalize_json
from django_tasks_db import DatabaseBackend as LibraryDatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from helpline.core import rows


class DatabaseBackend(LibraryDatabaseBackend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> DBTaskResult:
        result_id = self._get_id()
        if isinstance(result_id, Expression):  # an id the database computes: the ORM's way
            return super()._task_to_db_task(task, args, kwargs)
        result: DBTaskResult = DBTaskResult(
            id=result_id,
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            # What the library's one pre_save receiver (set_run_after) does; a test pins that
            # it is still the only receiver.
            run_after=task.run_after or get_date_max(),
            backend_name=self.alias,
        )
        rows.insert(result, using=router.db_for_write(DBTaskResult), receivers_applied=True)
        return result


def enqueue_on_commit(task: Any, **kwargs: Any) -> None:
    """Queue ``task`` to run once the current transaction commits, and never if it rolls back.

    With this database backend the task row is written inside the transaction itself: its
    commit is the enqueue and a rollback takes the row away, as the worker never reads
    uncommitted rows. A change and its mail are then stored together or not at all: queued
    after the commit, a crash between the two lost the mail without a trace. It also spares
    each change a second write transaction, though no difference in a create's time showed
    at 1M tickets on the benchmark machine. Any other backend (RQ, the tests'
    immediate one) or another database enqueues when the transaction commits. Outside a
    transaction, the task is queued at once."""
    # The services' transactions are on the default database: the task row must be too.
    same_database = router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    if isinstance(task.get_backend(), DatabaseBackend) and same_database:
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, **kwargs))


PRUNE_BATCH = 2_000  # task results deleted per statement (on SQLite, per write lock)
PRUNE_BATCHES = 10  # statements per sweep: at most 20,000 results a minute per worker


def prune_task_results(*, now: datetime, keep_days: int | None = None) -> int:
    """Delete the finished task results (successful or failed) older than ``keep_days``
    (``TASK_RESULTS_KEEP_DAYS``, 14 by default; 0 keeps them all); returns how many.

    Every new ticket, reply and change queues a task whose row stays when it is done, so
    without this the table grows with the desk (a million rows by a million tickets), and a
    growing table is vacuumed ever more rarely (autovacuum waits for a fifth of it to
    change), which the worker's claim of the next task pays for: it reads past the index
    entries the finished tasks left until a vacuum. Queued and running tasks are never
    touched. Only with the database task backend:
    RQ keeps its results in Redis with their own expiry. Deletes in batches of
    ``PRUNE_BATCH``, at most ``PRUNE_BATCHES`` a call, so a backlog is worked off over a few
    sweeps instead of in one long statement."""
    keep = settings.HELPLINE_TASK_RESULTS_KEEP_DAYS if keep_days is None else keep_days
    if keep <= 0 or not any(isinstance(b, LibraryDatabaseBackend) for b in task_backends.all()):
        return 0
    old = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lte=now - timedelta(days=keep),
    )
    pruned = 0
    for _ in range(PRUNE_BATCHES):
        # Found through the index of finish times (core migration 0001). Another worker
        # pruning at the same moment deletes some of the same rows: each counts its own.
        with transaction.atomic(using=router.db_for_write(DBTaskResult)):
            batch = list(old.order_by().values_list("pk", flat=True)[:PRUNE_BATCH])
            deleted = DBTaskResult.objects.filter(pk__in=batch).delete()[0] if batch else 0
        pruned += deleted
        if len(batch) < PRUNE_BATCH:
            break
    return pruned
