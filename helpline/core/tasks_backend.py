"""The default task backend: django-tasks-db, with the enqueue INSERT written once; and
:func:`enqueue_on_commit`, how the services queue work for after a change.

Every mail and ticket change queues one or two tasks (a notification, a rule run) when it
commits. django-tasks-db writes each with ``DBTaskResult.objects.create``, whose ORM work cost
more than the rest of queueing; this backend writes the same row with
:func:`helpline.core.rows.insert`. Everything else (the worker, results, retries) is the
library's.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import Expression
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
