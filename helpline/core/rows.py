"""Model rows read and inserted with SQL written once, for the few statements run on every mail
and ticket write.

Building the SQL of a queryset costs Django more than running it: reading a ticket with its
requester, assignee, department, team and help topic took ~2 ms of compiling and 0.05 ms of
SQLite, and an INSERT of an audit event 0.2 ms of compiling for 0.03 ms of SQLite.

- A ``RowReader`` writes its SELECT once per database (from the model's own columns), then only
  executes it and builds the instances with the field converters the ORM applies. The instances
  are the ORM's, related objects included: code that receives them cannot tell the difference.
  They are built as ``Model.from_db`` builds them, without its per-field ``setattr`` and
  ``pre_init``/``post_init`` dispatch when nothing can tell (see ``_plain_model``): a third of
  the cost of a 500-entry thread was ``Model.__init__``.
- ``insert`` writes one new instance as ``save(force_insert=True)`` would (field ``pre_save``,
  the database preparation of each value, the primary key set from ``RETURNING``, as is any
  column the caller has the database compute), with its INSERT written once per model;
  ``update`` writes some fields of a saved one as
  ``save(update_fields=...)`` would. Neither calls a ``save()`` override: use them only for
  models whose saving has no side effects. A model with ``pre_save``/``post_save`` receivers
  is saved by the ORM instead, so that they run.

Use these only for hot statements by a key; everything else goes through the ORM.

On PostgreSQL these statements run prepared once a connection has run them a few times
(``helpline.core.postgresql``): their SQL is fixed, and their values need no plan of their
own. ``RowReader.in_subquery`` is the exception, as its SQL may come from a queryset;
``updated_in_subquery`` runs prepared, so its callers pass SQL written once (the pick's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connections
from django.db.models import NOT_PROVIDED, Field, ForeignKey, Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, post_save, pre_init, pre_save
from django.db.models.sql import Query

type Converter = Callable[[Any, Any, Any], Any]


def prepared_cursor(connection: Any) -> Any:
    """A cursor of ``connection`` whose statements run prepared where the backend can
    (``helpline.core.postgresql``), else its plain cursor. Only for SQL written once, whose
    values need no plan of their own: PostgreSQL may keep one plan for every value."""
    make = getattr(connection, "prepared_cursor", None)
    return make() if make is not None else connection.cursor()


@dataclass(frozen=True)
class _Part:
    """One model's columns in the SELECT: where they are and how to turn them into values."""

    model: type[Model]
    attnames: list[str]
    start: int
    stop: int
    converters: list[tuple[int, list[Converter], Any]]  # (offset, converters, column)
    relation: ForeignKey | None  # how the main model reaches it (None for the main model)
    plain: bool  # built without Model.__init__ when no init receiver listens (_plain_model)


@dataclass(frozen=True)
class _Prepared:
    sql: str
    parts: list[_Part]


class RowReader[M: Model]:
    """Read ``model`` rows matching ``where`` with the forward foreign keys ``related`` joined.

    ``where`` is SQL over the main table, aliased ``t``, with ``%s`` placeholders, e.g.
    ``"t.email = %s"``; ``order``, if given, is the SQL of its ORDER BY (e.g. ``"t.id"``).
    Related objects are joined with LEFT JOIN and set on each instance as ``select_related``
    would (a NULL key gives ``None``), except that rows of one read that point at the same
    related row share its instance, as ``prefetch_related`` gives them: a page
    of 25 tickets of one department builds that department once.
    """

    def __init__(
        self, model: type[M], where: str, *, related: Sequence[str] = (), order: str = ""
    ) -> None:
        self.model = model
        self.where = where
        self.related = tuple(related)
        self.order = order  # SQL for ORDER BY, e.g. "t.id"; none by default
        self._prepared: dict[str, _Prepared] = {}  # by database alias
        self._returning: dict[str, str] = {}  # updated_in_subquery's columns, by alias

    def one(self, *params: Any, using: str = "default") -> M | None:
        """The first matching instance, or None."""
        found = self.all(*params, using=using, limit=1)
        return found[0] if found else None

    def in_order(self, keys: Sequence[Any], *, using: str = "default") -> list[M]:
        """The instances with the primary keys ``keys``, in that order (those that exist), for
        a reader whose ``where`` is ``"t.id IN ({keys})"``."""
        position = {key: index for index, key in enumerate(keys)}
        found = self.in_keys(keys, using=using)
        return sorted(found, key=lambda instance: position[instance.pk])

    def in_keys(self, keys: Sequence[Any], *, using: str = "default") -> list[M]:
        """The instances matching the keys ``keys``, in no order, for a reader whose ``where``
        tests ``IN ({keys})`` (e.g. ``"t.ticket_id IN ({keys})"``)."""
        if "{keys}" not in self.where:
            raise ValueError("this reader needs a where clause with {keys}")
        if not keys:
            return []
        return self._run(list(keys), using, None, ", ".join(["%s"] * len(keys)), prepare=True)

    def in_subquery(self, sql: str, params: Sequence[Any], *, using: str = "default") -> list[M]:
        """The instances whose primary key the SELECT ``sql`` returns (e.g. a queryset's
        ``values("id")`` compiled with ``query.sql_with_params()``), for a reader whose
        ``where`` is ``"t.id IN ({keys})"``: one query, the ORM compiling only the narrow part.

        On PostgreSQL, ``IN (subquery)`` is a semi-join, which the planner leaves for last when
        the reader joins more than ``join_collapse_limit`` tables: for a subquery of one row
        (``[:1]``), write ``"t.id = ({keys})"`` so that it runs first."""
        if "{keys}" not in self.where:
            raise ValueError("in_subquery needs a where clause with {keys}")
        return self._run(list(params), using, None, sql, prepare=False)

    def updated_in_subquery(
        self,
        assignments: str,
        assignment_params: Sequence[Any],
        sql: str,
        params: Sequence[Any],
        *,
        using: str = "default",
    ) -> list[M]:
        """``in_subquery``'s rows changed by ``assignments`` (SQL, e.g. ``"name = %s"``, over
        unqualified columns), and returned as changed: one ``UPDATE … RETURNING``. Only for a
        reader without ``related``, on a database for which ``returns_from_update`` holds;
        writes no receivers' changes (as ``update``). The statement runs prepared on
        PostgreSQL: ``sql`` is written once, its values need no plan of their own."""
        if self.related or "{keys}" not in self.where:
            raise ValueError("updated_in_subquery needs a where clause with {keys}, no related")
        connection = connections[using]
        quote = connection.ops.quote_name
        [main] = (self._prepared.get(using) or self._prepare(using)).parts
        columns = self._returning.get(using)
        if columns is None:  # written once per database, as the reads' SELECT
            columns = self._returning[using] = ", ".join(
                quote(_column(field)) for field in self.model._meta.concrete_fields
            )
        statement = (
            f"UPDATE {quote(self.model._meta.db_table)} AS {quote('t')} SET {assignments}"
            f" WHERE {self.where.replace('{keys}', sql)} RETURNING {columns}"
        )
        with prepared_cursor(connection) as cursor:
            cursor.execute(statement, [*assignment_params, *params])
            rows = cursor.fetchall()
        plain = main.plain and not _init_receivers(self.model)
        return [_build(main, row, using, connection, plain) for row in rows]  # type: ignore[misc]

    def all(self, *params: Any, using: str = "default", limit: int | None = None) -> list[M]:
        """Every matching instance (at most ``limit``)."""
        return self._run(list(params), using, limit, "", prepare=True)

    def values(self, *params: Any, using: str = "default") -> list[dict[str, Any]]:
        """Every matching row as ``{attname: value}``, each value converted as the ORM converts
        it, without building instances: for a long listing turned into plain data at once
        (building 500 thread entries cost more than the rest of the request). The main
        model's columns only: a reader with ``related`` refuses."""
        if self.related:
            raise ValueError("values() reads the main model's columns only: drop related")
        connection = connections[using]
        prepared = self._prepared.get(using) or self._prepare(using)
        with prepared_cursor(connection) as cursor:
            cursor.execute(prepared.sql, list(params))
            rows = cursor.fetchall()
        [main] = prepared.parts
        return [
            dict(zip(main.attnames, _converted(main, row, connection), strict=True)) for row in rows
        ]

    def _run(
        self, params: list[Any], using: str, limit: int | None, marks: str, *, prepare: bool
    ) -> list[M]:
        connection = connections[using]
        prepared = self._prepared.get(using) or self._prepare(using)
        sql = prepared.sql.replace("{keys}", marks) if marks else prepared.sql
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with prepared_cursor(connection) if prepare else connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        main, *joined = prepared.parts
        plain = {
            part.model: part.plain and not _init_receivers(part.model) for part in prepared.parts
        }
        found: list[M] = []
        seen: dict[tuple[int, Any], Model] = {}  # (part, key): one instance per related row
        for row in rows:
            instance: Any = _build(main, row, using, connection, plain[main.model])
            for index, part in enumerate(joined):
                assert part.relation is not None
                related = None
                key = instance.__dict__.get(part.relation.attname)
                if key is not None:
                    related = seen.get((index, key))
                    if related is None:
                        related = seen[(index, key)] = _build(
                            part, row, using, connection, plain[part.model]
                        )
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
            columns.extend(f"{quote(alias)}.{quote(_column(field))}" for field in fields)
            attnames = [f.attname for f in fields]
            parts.append(
                _Part(
                    model, attnames, start, len(columns), converters, relation,
                    _plain_model(model, attnames),
                )
            )  # fmt: skip

        add(self.model, "t", None)
        for index, name in enumerate(self.related):
            relation = meta.get_field(name)
            if not isinstance(relation, ForeignKey):
                raise TypeError(f"{meta.label}.{name} is not a foreign key")
            target = relation.related_model
            assert isinstance(target, type) and issubclass(target, Model)
            alias = f"r{index}"
            table, key = quote(target._meta.db_table), quote(_column(relation.target_field))
            if connection.vendor == "postgresql":
                # Each related row as its own subquery (OFFSET 0 keeps it one): the planner
                # then has no join order to search. A ticket with its seven related rows
                # took 3.5 ms to plan as seven joins and 0.1 ms to run; 0.6 ms this way.
                joins.append(
                    f"LEFT JOIN LATERAL (SELECT * FROM {table} WHERE {key} = "
                    f"{quote('t')}.{quote(relation.column)} OFFSET 0) {quote(alias)} ON TRUE"
                )
            else:
                joins.append(
                    f"LEFT JOIN {table} {quote(alias)} ON {quote(alias)}.{key} = "
                    f"{quote('t')}.{quote(relation.column)}"
                )
            add(target, alias, relation)
        sql = (
            f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} {quote('t')} "
            f"{' '.join(joins)} WHERE {self.where}"
        )
        if self.order:
            sql += f" ORDER BY {self.order}"
        prepared = self._prepared[using] = _Prepared(sql, parts)
        return prepared


def _column(field: Any) -> str:
    """A concrete field's column (the stubs allow None, which only a non-concrete field has)."""
    column = field.column
    assert column is not None, field
    return str(column)


def _converted(part: _Part, row: Sequence[Any], connection: Any) -> list[Any]:
    """``part``'s columns of ``row``, through the field converters the ORM applies."""
    values = list(row[part.start : part.stop])
    for offset, converters, column in part.converters:
        value = values[offset]
        for converter in converters:
            value = converter(value, column, connection)
        values[offset] = value
    return values


def _build(part: _Part, row: Sequence[Any], using: str, connection: Any, plain: bool) -> Model:
    values = _converted(part, row, connection)
    if not plain:
        return part.model.from_db(using, part.attnames, values)
    # What from_db leaves, for a model where _plain_model holds and no init receiver listens:
    # the state of a saved row and every column's value in the instance's __dict__.
    instance = Model.__new__(part.model)
    state = ModelState()
    state.adding = False
    state.db = using
    instance._state = state
    instance.__dict__.update(zip(part.attnames, values, strict=True))
    return instance


# Descriptors whose __set__ on a new instance only stores the value in __dict__ (a foreign
# key's also drops a cached related object, which a new instance has none of).
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor)


def _plain_model(model: type[Model], attnames: Sequence[str]) -> bool:
    """Whether ``model.from_db`` over all its columns only fills ``__dict__`` and ``_state``:
    neither ``__init__`` nor ``from_db`` overridden, and each column's descriptor one of
    Django's plain ones (exactly those classes: a subclass, such as the image field's, may
    do more on assignment). Init receivers are checked on each read (``_init_receivers``)."""
    if model.__init__ is not Model.__init__:
        return False
    if model.from_db.__func__ is not Model.from_db.__func__:  # type: ignore[attr-defined]
        return False
    for attname in attnames:
        descriptor = next(
            (klass.__dict__[attname] for klass in model.__mro__ if attname in klass.__dict__),
            None,
        )
        if type(descriptor) not in _PLAIN_DESCRIPTORS:
            return False
    return True


def _init_receivers(model: type[Model]) -> bool:
    return pre_init.has_listeners(model) or post_init.has_listeners(model)


def set_prefetched(instance: Model, name: str, objects: list[Any]) -> None:
    """Give ``instance`` the many-to-many or reverse relation ``name`` as ``prefetch_related``
    leaves it: ``instance.<name>.all()`` returns ``objects`` with no query.

    Django stores the relation's own queryset, filtered to the instance, with the rows in its
    cache; building that filter cost ~0.1 ms per instance, 2-3 ms on a page of tickets. This
    stores a queryset that holds the rows and builds the relation's filter only when something
    asks for its query (``filter``, ``order_by``, ``iterator``, ``update``...), so that it
    answers as the stored one of ``prefetch_related`` would."""
    relation = _relations.get((type(instance), name))
    if relation is None:
        manager = getattr(instance, name)
        relation = _relations[(type(instance), name)] = (manager.model, manager.prefetch_cache_name)
    model, cache_name = relation
    queryset = _PrefetchedRows(model=model, query=_NOT_BUILT)
    queryset._relation = (instance, name)
    queryset._result_cache = objects
    queryset._prefetch_done = True  # type: ignore[attr-defined]  # Django's, not in the stubs
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[cache_name] = queryset


def prefetched(instance: Model, name: str) -> list[Any]:
    """``list(instance.<name>.all())``, without building the related manager when
    ``set_prefetched`` gave the rows (otherwise through the manager, which answers from a
    ``prefetch_related`` cache too). The list may be the cache's own: read it, do not change
    it."""
    relation = _relations.get((type(instance), name))
    cache = instance.__dict__.get("_prefetched_objects_cache")
    if relation is not None and cache is not None:
        queryset = cache.get(relation[1])
        if queryset is not None and queryset._result_cache is not None:
            return queryset._result_cache  # type: ignore[no-any-return]
    return list(getattr(instance, name).all())


_relations: dict[tuple[type[Model], str], tuple[type[Model], str]] = {}
_NOT_BUILT: Any = object()  # stands for the query until _PrefetchedRows.query builds it


class _PrefetchedRows(QuerySet[Any]):
    """The queryset ``set_prefetched`` stores: the rows, and the relation's query built the
    first time it is asked for (thread-safe enough: two threads build the same query)."""

    _relation: tuple[Model, str] | None = None

    @property
    def query(self) -> Query:
        if self._relation is not None:
            instance, name = self._relation
            manager = getattr(instance, name)
            # the manager's get_queryset() would return this one, from the cache
            base = super(type(manager), manager).get_queryset()  # type: ignore[misc]
            own = manager._apply_rel_filters(base)
            self._query = own.query
            self._db = own._db
            self._hints = own._hints
            self._known_related_objects = own._known_related_objects
            self._relation = None
        return QuerySet.query.fget(self)  # type: ignore[attr-defined,no-any-return]

    @query.setter
    def query(self, value: Query) -> None:
        QuerySet.query.fset(self, value)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: list[Field[Any, Any]]
    returns_pk: bool
    computed: list[Field[Any, Any]]  # set from RETURNING, after the key


type _InsertKey = tuple[type[Model], str, tuple[tuple[str, str], ...]]  # model, alias, computed
_inserts: dict[_InsertKey, _Insert] = {}


def insert(
    instance: Model,
    *,
    using: str = "default",
    receivers_applied: bool = False,
    computed: dict[str, str] | None = None,
) -> None:
    """INSERT ``instance``, a new object, and set its primary key (see the module docstring
    for what this does not do). Raises IntegrityError as ``save()`` would.

    ``computed`` names fields whose value the database computes in the INSERT itself, as SQL
    (``{"number": "nextval('seq')"}``, written into the statement, never from user input):
    they are returned with the key and set on ``instance``.

    A model with ``pre_save``/``post_save`` receivers is saved by the ORM instead, so that they
    run, unless the caller says it did their work itself (``receivers_applied``); the ORM
    cannot compute a column, so ``computed`` then needs ``receivers_applied``."""
    model = type(instance)
    if not receivers_applied and (pre_save.has_listeners(model) or post_save.has_listeners(model)):
        if computed:
            raise TypeError(f"{model._meta.label} has save receivers: apply them, then insert")
        instance.save(force_insert=True, using=using)
        return
    key = (model, using, tuple(sorted(computed.items())) if computed else ())
    prepared = _inserts.get(key) or _prepare_insert(key, computed or {})
    connection = connections[using]
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in prepared.fields
    ]
    with prepared_cursor(connection) as cursor:
        cursor.execute(prepared.sql, params)
        if prepared.returns_pk or prepared.computed:
            returned = list(cursor.fetchone())
            if prepared.returns_pk:
                instance.pk = returned.pop(0)
            for field, value in zip(prepared.computed, returned, strict=True):
                for converter in field.get_db_converters(connection):
                    value = converter(value, field, connection)
                setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = using


def _prepare_insert(key: _InsertKey, computed: dict[str, str]) -> _Insert:
    model, using, _ = key
    connection = connections[using]
    if not connection.features.can_return_columns_from_insert:
        raise NotImplementedError(f"{connection.vendor} cannot return the new row's key")
    quote = connection.ops.quote_name
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    returns_pk = bool(pk.db_returning)  # an auto-increment key; else the caller sets it
    unknown = set(computed) - {field.name for field in meta.concrete_fields}
    if unknown:
        raise ValueError(f"{meta.label} has no column {sorted(unknown)[0]!r}")
    fields: list[Field[Any, Any]] = []
    computed_fields: list[Field[Any, Any]] = []
    for field in meta.concrete_fields:
        if getattr(field, "generated", False) or field.db_default is not NOT_PROVIDED:
            raise TypeError(f"{meta.label}.{field.name}: computed by the database")
        if not (returns_pk and field is pk):
            (computed_fields if field.name in computed else fields).append(field)
    columns = ", ".join(quote(_column(field)) for field in [*fields, *computed_fields])
    values = ", ".join(["%s"] * len(fields) + [computed[field.name] for field in computed_fields])
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"
    returned = ([pk] if returns_pk else []) + computed_fields
    if returned:
        sql += " RETURNING " + ", ".join(quote(_column(field)) for field in returned)
    prepared = _inserts[key] = _Insert(sql, fields, returns_pk, computed_fields)
    return prepared


def returns_from_update(using: str = "default") -> bool:
    """Whether the database returns rows from an UPDATE (PostgreSQL; SQLite 3.35+)."""
    vendor = connections[using].vendor
    if vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version_info >= (3, 35)
    return vendor == "postgresql"


def update(
    instance: Model,
    fields: Sequence[str],
    *,
    using: str = "default",
    receivers_applied: bool = False,
) -> None:
    """UPDATE ``fields`` (names, as ``update_fields`` takes them) of a saved ``instance``. Raises
    DatabaseError when its row is gone, as ``save(update_fields=...)`` does.

    A model with ``pre_save``/``post_save`` receivers is saved by the ORM instead, so that they
    run, unless the caller says they have nothing to do for these fields
    (``receivers_applied``)."""
    names = list(dict.fromkeys(fields))
    if not names:
        return
    model = type(instance)
    if not receivers_applied and (pre_save.has_listeners(model) or post_save.has_listeners(model)):
        instance.save(update_fields=names, using=using)
        return
    connection = connections[using]
    meta = instance._meta
    quote = connection.ops.quote_name
    targets = [meta.get_field(name) for name in names]
    assignments = ", ".join(f"{quote(_column(field))} = %s" for field in targets)
    params = [
        field.get_db_prep_save(field.pre_save(instance, False), connection)  # type: ignore[union-attr]
        for field in targets
    ]
    assert meta.pk is not None
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(_column(meta.pk))} = %s"
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [*params, instance.pk])
        if cursor.rowcount == 0:
            raise DatabaseError(f"{meta.label} {instance.pk}: no row to update")
