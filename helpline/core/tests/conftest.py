from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from helpline.core.tests.sqlite import ALIAS, register


@pytest.fixture
def database(tmp_path: Path, monkeypatch: Any, django_db_blocker: Any) -> Iterator[Any]:
    """A connection to a database file of its own."""
    with django_db_blocker.unblock():
        connection = register(monkeypatch, str(tmp_path / "db.sqlite3"))
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        yield connection
        connection.close()
        del connections[ALIAS]
