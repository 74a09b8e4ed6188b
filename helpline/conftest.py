from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Passwords are hashed with MD5 in tests, from the session's start (module-wide data is
    built before any function-scoped fixture): Argon2 with production parameters costs ~150 ms
    and 100 MB a hash, and every Desk makes nine users. The hasher is Django's, not under test."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@contextmanager
def module_transaction(django_db_blocker: Any) -> Iterator[None]:
    """Data built once for a whole test module (say, thousands of tickets for query plans):
    inside one transaction, rolled back when the module's last test ends. Each test's own
    transaction nests in it as a savepoint, so a test still sees only the shared data and its
    own changes. Only for modules whose tests do not commit (no ``transaction=True``)."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    """Tasks run in-process when the enqueuing transaction commits; attachments go to a
    temporary folder; no configuration cached by an earlier (rolled back) test is used."""
    from helpline.core.configcache import clear_all

    clear_all()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def desk(db: None) -> Any:
    """A small support organisation (helpline.factories.Desk)."""
    from helpline import factories  # imported here so pure-module tests need no Django

    return factories.Desk()


def is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that commits (``transaction=True``, a live server) ``serial``.

    Such a test empties the database when it ends, migration rows included (content types,
    the system user, the ticket counter), and the next test in the same process would see
    none of them. ``make test`` runs the other tests on every core first, then these in one
    process, where pytest-django orders them last.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        commits = marker is not None and bool(marker.kwargs.get("transaction"))
        fixtures = getattr(item, "fixturenames", ())
        if commits or "live_server" in fixtures or "transactional_db" in fixtures:
            item.add_marker("serial")
