"""Partial indexes matching the agent queues' exact predicate.

``tickets.selectors.queue_filter`` selects ``status IN ('new', 'open', 'pending', 'on_hold')``
and a department (or the assignee), newest first. None of the 0004 indexes yields that order
for four statuses, so the first page used to read and sort every active ticket of the
department. These indexes hold only the active tickets, in (department or assignee, id DESC)
order: a queue page, first or deep, reads about a page of index entries on SQLite and
PostgreSQL alike.

Written as SQL, not ``Meta.indexes``: SQLite uses a partial index only when the query repeats
its WHERE term word for word, so the predicate text is pinned here and in
``selectors.QUEUE_STATUS_SQL`` (keep the two identical, values in the same order).
"""

from django.db import migrations

PREDICATE = "\"status\" IN ('new', 'open', 'pending', 'on_hold')"

INDEXES = {
    "ticket_queue_department": '"department_id", "id" DESC',
    "ticket_queue_assignee": '"assignee_id", "id" DESC',
}


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_queue_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f'CREATE INDEX "{name}" ON "tickets_ticket" ({columns}) WHERE {PREDICATE}',
            reverse_sql=f'DROP INDEX "{name}"',
        )
        for name, columns in INDEXES.items()
    ]
