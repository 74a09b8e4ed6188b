"""PostgreSQL's backend: the statements of core.rows run prepared; everything else as Django's."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import User
from helpline.conftest import is_postgres
from helpline.core import rows
from helpline.factories import Desk
from helpline.tickets.models import Ticket

postgres = pytest.mark.skipif(not is_postgres(), reason="prepared statements need PostgreSQL")


def _database_options(**environment: str) -> dict[str, object]:
    """The default database's OPTIONS as the settings build them for ``environment``."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(json.dumps([d['ENGINE'], d['OPTIONS']]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpline.settings",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",  # parsed, never connected to
        **environment,
    }
    for name in ("DB_PREPARED_STATEMENTS", "JIT_OFF"):  # the defaults unless given
        if name not in environment:
            env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    engine, options = json.loads(done.stdout)
    return {"engine": engine, **options}


def test_postgresql_settings_prepare_at_the_fifth_run_unless_turned_off() -> None:
    default = _database_options()
    assert default["engine"] == "helpline.core.postgresql"
    assert default["prepare_threshold"] == 5
    assert "jit=off" in str(default["options"])

    off = _database_options(DB_PREPARED_STATEMENTS="0")
    assert off["engine"] == "helpline.core.postgresql"
    assert "prepare_threshold" not in off


def _prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {statement for (statement,) in cursor.fetchall()}


@postgres
@pytest.mark.django_db
def test_a_row_reader_statement_is_prepared_at_its_fifth_run_and_still_counted() -> None:
    user = Desk().customer
    reader = rows.RowReader(User, "t.email = %s AND t.is_active")  # no other reader's SQL

    for _ in range(4):
        assert reader.one(user.email) == user
    assert not any("t.is_active" in statement for statement in _prepared())
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert reader.one(user.email) == user

    prepared = [s for s in _prepared() if "t.email = $1 AND t.is_active" in s]
    assert len(prepared) == 1  # prepared once, at the fifth run, and reused
    assert len(queries) == 3  # query-count guards still see every run


@postgres
@pytest.mark.django_db
def test_inserted_rows_are_the_same_when_their_insert_runs_prepared() -> None:
    desk = Desk()
    template = desk.ticket()
    inserted = []
    for n in range(7):
        ticket = Ticket.objects.get(pk=template.pk)
        ticket.pk, ticket.number, ticket.subject = None, 900_000 + n, f"printer {n}"
        rows.insert(ticket)
        inserted.append(ticket)

    assert any(s.startswith('INSERT INTO "tickets_ticket"') for s in _prepared())
    for ticket in inserted:
        stored = Ticket.objects.get(pk=ticket.pk)
        assert (stored.number, stored.subject) == (ticket.number, ticket.subject)
        assert stored.created_at == template.created_at  # a timestamp bound server-side
        assert stored.status == template.status


@postgres
@pytest.mark.django_db
def test_a_row_reader_in_subquery_is_never_prepared() -> None:
    desk = Desk()
    ticket = desk.ticket()
    sql, params = Ticket.objects.filter(pk=ticket.pk).values("id").query.sql_with_params()
    reader = rows.RowReader(Ticket, "t.id IN ({keys})")

    for _ in range(7):
        assert [t.pk for t in reader.in_subquery(sql, params)] == [ticket.pk]

    assert not any("t.id IN (SELECT" in statement for statement in _prepared())


@postgres
@pytest.mark.django_db
def test_without_the_prepare_threshold_nothing_is_prepared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = Desk().customer
    options = {k: v for k, v in connection.settings_dict["OPTIONS"].items()}
    options.pop("prepare_threshold", None)
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    reader = rows.RowReader(User, "t.email = %s AND t.is_active")

    for _ in range(7):
        assert reader.one(user.email) == user

    assert not connection.prepares  # type: ignore[attr-defined]
    assert not any("t.is_active" in statement for statement in _prepared())


@postgres
@pytest.mark.django_db
def test_prepared_statements_keep_working_after_a_statement_fails_and_rolls_back() -> None:
    from django.db import IntegrityError, transaction

    user = Desk().customer
    reader = rows.RowReader(User, "t.email = %s AND t.is_active")
    for _ in range(6):
        reader.one(user.email)
    taken = User(email=user.email, role=user.role)  # the email is unique

    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert(taken)

    # psycopg forgot every prepared statement at the rollback; the reader prepares again.
    for _ in range(6):
        assert reader.one(user.email) == user
    assert any("t.email = $1 AND t.is_active" in s for s in _prepared())


@postgres
@pytest.mark.django_db
def test_the_health_check_sends_nothing_while_the_server_has_said_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db.backends.postgresql.base import DatabaseWrapper as DjangoWrapper

    from helpline.core.postgresql.base import DatabaseWrapper

    separate = DatabaseWrapper(connection.settings_dict, alias="health")
    separate.ensure_connection()
    asked: list[bool] = []

    def select_one(self: object) -> bool:
        asked.append(True)
        return True

    monkeypatch.setattr(DjangoWrapper, "is_usable", select_one)
    try:
        assert separate.is_usable() is True
        assert asked == []
    finally:
        separate.close()


@postgres
@pytest.mark.django_db
def test_the_health_check_finds_a_connection_the_server_ended() -> None:
    import select

    from helpline.core.postgresql.base import DatabaseWrapper

    separate = DatabaseWrapper(connection.settings_dict, alias="health")
    separate.ensure_connection()
    try:
        assert separate.is_usable() is True
        pid = separate.connection.info.backend_pid
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        poller = select.poll()
        poller.register(separate.connection.pgconn.socket, select.POLLIN)
        assert poller.poll(5000), "the server never told the ended session"

        assert separate.is_usable() is False
    finally:
        separate.close()
