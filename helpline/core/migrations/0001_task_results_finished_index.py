"""An index of django-tasks-db's finished task results by when they finished.

The worker's sweep deletes the results older than ``TASK_RESULTS_KEEP_DAYS``
(``helpline.core.tasks_backend.prune_task_results``). The library indexes the table by status
for its queue only, so finding the old results read the whole table every minute: a million
rows by a million tickets. Partial: queued and running tasks have no finish time. Written as
SQL because the table is the library's; both databases take the same statement.
"""

from django.db import migrations

INDEX = "helpline_task_results_finished"


class Migration(migrations.Migration):
    dependencies = [("django_tasks_database", "0021_conditional_partial_index_ordering")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON django_tasks_database_dbtaskresult "
            "(finished_at) WHERE finished_at IS NOT NULL",
            f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
