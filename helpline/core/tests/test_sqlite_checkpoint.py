"""The worker's WAL checkpoints (``helpline.core.sqlite.checkpoint``), on a database file."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest
from django.db import connections, transaction

from helpline.core.sqlite.checkpoint import checkpoint
from helpline.core.tests.sqlite import ALIAS, register, taken_by_someone


@pytest.fixture
def wal(database: Any) -> Any:
    """``database`` in WAL mode, with SQLite's own checkpoints off."""
    with database.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    return database


def write(database: Any, commits: int) -> None:
    for _ in range(commits):
        with transaction.atomic(using=ALIAS), database.cursor() as cursor:
            cursor.execute("INSERT INTO note (body) VALUES (randomblob(5000))")


def wal_pages(database: Any) -> int:
    with database.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return int(cursor.fetchall()[0][1])


@pytest.mark.usefixtures("wal")
def test_a_checkpoint_below_the_threshold_copies_the_wal_without_the_write_lock(
    database, monkeypatch
):
    write(database, 20)
    taken: list[bool] = []
    monkeypatch.setattr(database.write_lock, "acquire", lambda: taken.append(True))

    done = checkpoint(database, restart_pages=10_000)

    assert done is not None
    assert done.wal_pages >= 40 and done.copied == done.wal_pages
    assert not done.restarted and taken == []


@pytest.mark.usefixtures("wal")
def test_a_checkpoint_past_the_threshold_restarts_the_wal_under_the_write_lock(
    database, monkeypatch
):
    write(database, 40)
    lock = database.write_lock
    original = lock.acquire
    held: list[bool] = []

    def acquire() -> None:
        original()
        held.append(taken_by_someone(database))

    monkeypatch.setattr(lock, "acquire", acquire)

    done = checkpoint(database, restart_pages=10)
    assert held == [True] and not taken_by_someone(database)
    write(database, 1)

    assert done is not None and done.restarted and done.copied == done.wal_pages >= 80
    assert wal_pages(database) < 10  # the next writer started the WAL from its beginning
    with database.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        assert cursor.fetchone() == (41,)


@pytest.mark.usefixtures("wal")
def test_a_checkpoint_gives_up_on_a_reader_of_the_old_pages_and_lets_the_writers_go(database):
    write(database, 5)
    reader = sqlite3.connect(database.settings_dict["NAME"], isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM note").fetchall() == [(5,)]  # holds a snapshot
    write(database, 20)
    with database.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 1234")
    started = time.monotonic()

    done = checkpoint(database, restart_pages=10)

    assert done is not None and not done.restarted and done.copied < done.wal_pages
    assert time.monotonic() - started < 2  # waited for the reader a moment only
    assert not taken_by_someone(database)
    with database.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchall() == [(1234,)]
    reader.execute("COMMIT")
    reader.close()


def test_a_database_in_memory_or_not_in_wal_mode_is_not_checkpointed(
    tmp_path, monkeypatch, django_db_blocker
):
    with django_db_blocker.unblock():
        for name in (":memory:", str(tmp_path / "rollback.sqlite3")):
            connection = register(monkeypatch, name)
            assert checkpoint(connection) is None
            connection.close()
            del connections[ALIAS]
