"""Connections of the Helpline SQLite backend to database files of their own, for its tests."""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db import connections
from django.db.utils import ConnectionHandler

ALIAS = "locktest"


def register(monkeypatch: Any, name: str, timeout: float = 0.2) -> Any:
    """A connection of the Helpline backend under ALIAS (so ``atomic(using=ALIAS)`` works)."""
    filled = ConnectionHandler(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            ALIAS: {
                "ENGINE": "helpline.core.sqlite",
                "NAME": name,
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
            },
        }
    ).settings[ALIAS]
    monkeypatch.setitem(connections.settings, ALIAS, filled)
    return connections[ALIAS]


def taken_by_someone(database: Any) -> bool:
    """Whether another holder has the lock file: try it from a file description of our own."""
    fd = os.open(f"{database.settings_dict['NAME']}-writelock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
