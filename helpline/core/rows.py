"""Model instances read with SQL written once, for the few reads on every mail and ticket write.

Building the SQL of a queryset costs Django more than running it: reading a ticket with its
requester, assignee, department, team and help topic took ~2 ms of compiling and 0.05 ms of
SQLite. A ``RowReader`` writes its SELECT once per database (from the model's own columns) and
then only executes it and builds the instances, with the same field converters the ORM applies,
through the documented ``Model.from_db``. The instances are the ORM's, related objects included:
code that receives them cannot tell the difference.

Use it only for a hot read by a key; everything else reads through the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import ForeignKey, Model

type Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Part:
    """One model's columns in the SELECT: where they are and how to turn them into values."""

    model: type[Model]
    attnames: list[str]
    start: int
    stop: int
    converters: list[tuple[int, list[Converter], Any]]  # (offset, converters, column)
    relation: ForeignKey | None  # how the main model reaches it (None for the main model)


@dataclass(frozen=True)
class _Prepared:
    sql: str
    parts: list[_Part]


class RowReader[M: Model]:
    """Read ``model`` rows matching ``where`` with the forward foreign keys ``related`` joined.

    ``where`` is SQL over the main table, aliased ``t``, with ``%s`` placeholders, e.g.
    ``"t.email = %s"``. Related objects are joined with LEFT JOIN and set on each instance as
    ``select_related`` would (a NULL key gives ``None``).
    """

    def __init__(self, model: type[M], where: str, *, related: Sequence[str] = ()) -> None:
        self.model = model
        self.where = where
        self.related = tuple(related)
        self._prepared: dict[str, _Prepared] = {}  # by database alias

    def one(self, *params: Any, using: str = "default") -> M | None:
        """The first matching instance, or None."""
        found = self.all(*params, using=using, limit=1)
        return found[0] if found else None

    def all(self, *params: Any, using: str = "default", limit: int | None = None) -> list[M]:
        connection = connections[using]
        prepared = self._prepared.get(using) or self._prepare(using)
        sql = prepared.sql if limit is None else f"{prepared.sql} LIMIT {int(limit)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
        main, *joined = prepared.parts
        found: list[M] = []
        for row in rows:
            instance: Any = _build(main, row, using, connection)
            for part in joined:
                assert part.relation is not None
                related = None
                if instance.__dict__.get(part.relation.attname) is not None:
                    related = _build(part, row, using, connection)
                part.relation.set_cached_value(instance, related)
            found.append(instance)
        return found

    def _prepare(self, using: str) -> _Prepared:
        connection = connections[using]
        quote = connection.ops.quote_name
        meta = self.model._meta
        columns: list[str] = []
        parts: list[_Part] = []
        joins: list[str] = []

        def add(model: type[Model], alias: str, relation: ForeignKey | None) -> None:
            fields = list(model._meta.concrete_fields)
            converters = []
            for offset, field in enumerate(fields):
                column = field.get_col(alias)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if found:
                    converters.append((offset, found, column))
            start = len(columns)
            columns.extend(f"{quote(alias)}.{quote(field.column)}" for field in fields)
            parts.append(
                _Part(model, [f.attname for f in fields], start, len(columns), converters, relation)
            )

        add(self.model, "t", None)
        for index, name in enumerate(self.related):
            relation = meta.get_field(name)
            if not isinstance(relation, ForeignKey):
                raise TypeError(f"{meta.label}.{name} is not a foreign key")
            target = relation.related_model
            assert isinstance(target, type) and issubclass(target, Model)
            alias = f"r{index}"
            joins.append(
                f"LEFT JOIN {quote(target._meta.db_table)} {quote(alias)} ON "
                f"{quote(alias)}.{quote(relation.target_field.column)} = "
                f"{quote('t')}.{quote(relation.column)}"
            )
            add(target, alias, relation)
        sql = (
            f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} {quote('t')} "
            f"{' '.join(joins)} WHERE {self.where}"
        )
        prepared = self._prepared[using] = _Prepared(sql, parts)
        return prepared


def _build(part: _Part, row: Sequence[Any], using: str, connection: Any) -> Model:
    values = list(row[part.start : part.stop])
    for offset, converters, column in part.converters:
        value = values[offset]
        for converter in converters:
            value = converter(value, column, connection)
        values[offset] = value
    return part.model.from_db(using, part.attnames, values)
