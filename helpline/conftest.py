from __future__ import annotations

import os
from typing import Any

import pytest


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
