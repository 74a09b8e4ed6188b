"""Batch writes on PostgreSQL with one JSON parameter, for the jobs that write thousands of
rows at once (the SLA sweep, its audit events and next checks).

Django's ``bulk_create`` and ``bulk_update`` build a model instance, a placeholder and an
adapted parameter per value (``bulk_update`` a ``CASE`` per field and row), and psycopg's
client-side binding quotes every element of an array parameter in Python: at 10,000 rows
that costs more than the statement itself. Here the rows travel as one JSON text, encoded in
C by :mod:`json`, and PostgreSQL turns it back into rows of the table's own type with
``json_populate_recordset``, so each column gets its declared type without a cast per
column.

Only for PostgreSQL; callers keep an ORM path for SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def _encode(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def records(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows (column name → value) as the JSON text ``recordset`` reads: datetimes as ISO
    8601 with their offset, everything else as JSON."""
    return json.dumps(list(rows), default=_encode, separators=(",", ":"))


def recordset(model: type[Model]) -> str:
    """SQL for the rows of one JSON parameter (:func:`records`), typed as ``model``'s table:
    use as ``FROM {recordset(Model)} AS v``."""
    return f"json_populate_recordset(NULL::{connection.ops.quote_name(model._meta.db_table)}, %s)"


def column_values(obj: Model, fields: Sequence[Field[Any, Any]]) -> dict[str, Any]:
    """``obj``'s values of ``fields`` as the database stores them, by column name."""
    return {str(f.column): f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields}


def update(objs: Sequence[Model], names: Sequence[str]) -> None:
    """Save the fields ``names`` of every object in ``objs`` (of one model) in one ``UPDATE …
    FROM json_populate_recordset(…)`` keyed by primary key."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    assert pk is not None
    fields = [pk, *(meta.get_field(name) for name in names)]
    concrete = [f for f in fields if isinstance(f, Field)]
    columns = [quote(str(f.column)) for f in concrete]
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET "
        + ", ".join(f"{column} = v.{column}" for column in columns[1:])
        + f" FROM {recordset(model)} AS v WHERE t.{columns[0]} = v.{columns[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [records(column_values(obj, concrete) for obj in objs)])
