"""The SQLite backend's write lock: taken for every write, given back at the end of it."""

from __future__ import annotations

import fcntl
import os

import pytest
from django.db import connections, transaction

from helpline.core.tests.sqlite import ALIAS, register, taken_by_someone


def test_a_transaction_holds_the_write_lock_until_it_commits(database):
    with transaction.atomic(using=ALIAS):
        with database.cursor() as cursor:
            cursor.execute("INSERT INTO note (body) VALUES ('a')")
        assert taken_by_someone(database)
    assert not taken_by_someone(database)
    with database.cursor() as cursor:
        cursor.execute("SELECT body FROM note")
        assert cursor.fetchall() == [("a",)]


def test_a_transaction_gives_the_lock_back_when_it_rolls_back(database):
    with pytest.raises(ZeroDivisionError), transaction.atomic(using=ALIAS):
        with database.cursor() as cursor:
            cursor.execute("INSERT INTO note (body) VALUES ('a')")
        1 / 0  # noqa: B018
    assert not taken_by_someone(database)
    with database.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        assert cursor.fetchone() == (0,)


def test_a_write_outside_a_transaction_takes_the_lock_for_that_statement(database, monkeypatch):
    seen: list[bool] = []
    lock = database.write_lock
    original = lock.acquire

    def acquire() -> None:
        original()
        seen.append(taken_by_someone(database))

    monkeypatch.setattr(lock, "acquire", acquire)
    with database.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")  # a read takes nothing
        assert seen == []
        cursor.execute("INSERT INTO note (body) VALUES (%s)", ["a"])
    assert seen == [True]
    assert not taken_by_someone(database)


def test_a_writer_goes_on_without_the_lock_after_the_timeout(database):
    fd = os.open(f"{database.settings_dict['NAME']}-writelock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # held by a stuck process, say
    try:
        with transaction.atomic(using=ALIAS), database.cursor() as cursor:
            cursor.execute("INSERT INTO note (body) VALUES ('a')")
        assert database.write_lock.held is False
    finally:
        os.close(fd)
    with database.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        assert cursor.fetchone() == (1,)


def test_an_in_memory_database_takes_no_lock(monkeypatch, django_db_blocker):
    with django_db_blocker.unblock():
        connection = register(monkeypatch, ":memory:")
        with transaction.atomic(using=ALIAS), connection.cursor() as cursor:
            cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY)")
            cursor.execute("INSERT INTO note DEFAULT VALUES")
        assert connection.write_lock is None
        del connections[ALIAS]
