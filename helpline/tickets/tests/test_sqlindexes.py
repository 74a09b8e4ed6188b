"""The partial queue indexes written as SQL are put back after a table rebuild drops them; the
optional references' partial indexes serve the lookups by them."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.db import connection

from helpline.conftest import query_plan
from helpline.tickets import sqlindexes
from helpline.tickets.apps import _restore_indexes
from helpline.tickets.models import OPTIONAL_REFERENCES, Ticket
from helpline.tickets.selectors import QUEUE_STATUS_SQL


def _migration_sql(module: str) -> list[str]:
    migration = importlib.import_module(f"helpline.tickets.migrations.{module}").Migration
    return [operation.sql for operation in migration.operations]


def test_the_statements_are_the_migrations_own():
    written = _migration_sql("0005_queue_partial_indexes") + _migration_sql(
        "0008_queue_unassigned_index"
    )
    assert written == [sqlindexes.create_sql(name) for name in sqlindexes.PARTIAL_INDEXES]


def test_the_predicate_reads_as_the_queue_filter():
    # SQLite uses a partial index only for a query that repeats its predicate word for word.
    assert QUEUE_STATUS_SQL.endswith(sqlindexes.QUEUE_PREDICATE)


@pytest.mark.parametrize("name", list(sqlindexes.PARTIAL_INDEXES))
def test_a_dropped_partial_index_is_put_back_after_migrate(db, name):
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX "{name}"')
    assert sqlindexes.missing(connection) == [name]

    _restore_indexes(sender=apps.get_app_config("tickets"), using="default")

    assert sqlindexes.missing(connection) == []


@pytest.mark.parametrize("name", OPTIONAL_REFERENCES)
def test_a_lookup_by_an_optional_reference_reads_its_partial_index(db, name):
    by_value = Ticket.objects.filter(**{f"{name}_id": 7}).order_by().values("id")
    # The form of Django's own SET NULL when the rows referred to are deleted.
    by_values = Ticket.objects.filter(**{f"{name}_id__in": [7, 8]}).order_by().values("id")

    index = re.compile(rf"\bticket_{name}\b")  # not the full index it replaced
    assert index.search(query_plan(by_value))
    assert index.search(query_plan(by_values))
