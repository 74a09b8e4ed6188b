"""The default task backend: django-tasks-db, with the enqueue INSERT written once.

Every mail and ticket change queues one or two tasks (a notification, a rule run) when it
commits. django-tasks-db writes each with ``DBTaskResult.objects.create``, whose ORM work cost
more than the rest of queueing; this backend writes the same row with
:func:`helpline.core.rows.insert`. Everything else (the worker, results, retries) is the
library's.
"""

from __future__ import annotations

from typing import Any

from django.db import router
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
