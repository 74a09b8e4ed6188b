"""Django's PostgreSQL backend, with prepared statements for the few statements run on every
request (:func:`helpline.core.rows.prepared_cursor`), and a connection health check that asks
the server only when it has sent something (:meth:`DatabaseWrapper.is_usable`).

Django binds parameters client-side: psycopg quotes each value into the SQL text, and
PostgreSQL parses and plans the statement again on every run. That is right for the ORM's
statements, which are built anew for each queryset and may need a plan for their values (a
search for a rare word and for a common one). The statements of :mod:`helpline.core.rows`
are written once (a ticket's INSERT, the read of an API token by its key), and a ticket
create runs five of them. :meth:`DatabaseWrapper.prepared_cursor` gives those a cursor that
binds server-side, which psycopg prepares once the connection has run a statement
``prepare_threshold`` times (the database OPTIONS, set by ``DB_PREPARED_STATEMENTS``).
A ticket's INSERT took 310 -> 175 µs of Python and 375 -> 210 µs of PostgreSQL; a whole
create over HTTP about a sixth less CPU (docs/benchmarks.md, session 23).

psycopg deallocates a connection's prepared statements when a transaction rolls back, so an
error costs the next few runs their preparing again, nothing more. A migration that changes
the type of a column a prepared SELECT returns makes its next run in a running process fail
once ("cached plan must not change result type"), and that rollback prepares it afresh:
restart the processes after migrating, as any deploy does.

Prepared statements live in one server session. A transaction-pooling PgBouncer older than
1.21 (or one without ``max_prepared_statements``) hands a session's statements to another
client: set ``DB_PREPARED_STATEMENTS=0`` behind one, and every statement binds client-side as
Django's do.
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base, operations
from django.utils.asyncio import async_unsafe
from psycopg import DataError, pq
from psycopg import Error as DatabaseError


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str:
        """The statement with its values in it, as the query log and ``assertNumQueries``
        record it. Django's operations take it from the cursor, where a server-binding
        cursor's statement has ``$1`` marks instead of values."""
        if isinstance(cursor, base.ServerBindingCursor):
            try:
                return self.compose_sql(sql, params)
            except DataError:
                pass
        return super().last_executed_query(cursor, sql, params)  # type: ignore[no-any-return]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    @property
    def prepares(self) -> bool:
        """Whether :meth:`prepared_cursor` prepares (``prepare_threshold`` is set)."""
        return self.settings_dict["OPTIONS"].get("prepare_threshold") is not None

    def is_usable(self) -> bool:
        """Whether the connection still works (Django's health check, at the first query of
        each request), without a round trip when the server has sent nothing since the last
        statement. Django asks with ``SELECT 1``: 0.13 ms of CPU per request here, a fiftieth
        of a ticket create. A server that ends the session (a restart, ``pg_terminate_backend``,
        a dropped TCP connection) sends an error or closes the socket, which makes it
        readable: then, or outside an idle session, ``SELECT 1`` decides as before."""
        connection = self.connection
        if connection is None:
            return False
        pgconn = connection.pgconn
        if (
            pgconn.status != pq.ConnStatus.OK
            or pgconn.transaction_status != pq.TransactionStatus.IDLE
        ):
            return bool(super().is_usable())
        try:
            poller = select.poll()
            poller.register(pgconn.socket, select.POLLIN)  # hang-ups are reported too
            pending = poller.poll(0)
        except (OSError, ValueError, DatabaseError):
            return False
        return bool(super().is_usable()) if pending else True

    @async_unsafe
    def prepared_cursor(self) -> Any:
        """A cursor as :meth:`cursor` gives (the health check, the connection, error
        translation, the query log of ``assertNumQueries``), binding parameters server-side so
        that psycopg prepares a statement run often enough. Only for SQL written once and
        whose values need no plan of their own: a generic plan may be chosen after five runs."""
        if not self.prepares:
            return self.cursor()
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            # What cursor() does with the cursor create_cursor() makes (django-stubs know
            # neither the method nor psycopg's cursor class here).
            raw = base.ServerBindingCursor(self.connection)  # type: ignore[call-arg]
            return self._prepare_cursor(raw)  # type: ignore[attr-defined]
