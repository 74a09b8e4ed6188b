from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Passwords are hashed with MD5 in tests, from the session's start (module-wide data is
    built before any function-scoped fixture): Argon2 with production parameters costs ~60 ms
    and 19 MiB a hash, and every Desk makes nine users (test_hashers.py tests the real one)."""
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


def query_plan(queryset: Any) -> str:
    """The database's plan for ``queryset``, as text. On PostgreSQL sequential scans are
    turned off for the test's transaction: over a test's few rows the planner would scan the
    table whatever indexes it has, and these plans are read for which index serves a query."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


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


# The browser tests (marked ``browser``): Debian's chromium driven by Playwright.

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless chromium per test module; skipped without it, unless CI requires it."""
    path = chromium_path()
    if not path and os.environ.get("HELPLINE_REQUIRE_BROWSER"):
        pytest.fail("HELPLINE_REQUIRE_BROWSER is set (CI) but no chromium was found")
    if not path:
        pytest.skip(
            "chromium not found: install Debian's chromium package (apt-get install chromium) "
            "to run the browser test"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class SettlingBrowser:
    """The module's chromium for one test. Every context it opens counts its requests in
    flight; when the test ends, each context waits for them to finish, then closes.

    Without the wait, a request a page fired on its own (an htmx ``hx-trigger="load"`` panel)
    could still be running in the live server while pytest-django empties the database after
    the test: the flush then fails on SQLite's lock and the next test starts on old rows."""

    SETTLE_SECONDS = 10

    def __init__(self, chromium: Any) -> None:
        self._chromium = chromium
        self._opened: list[tuple[Any, set[Any]]] = []

    def new_context(self, **kwargs: Any) -> Any:
        context = self._chromium.new_context(**kwargs)
        in_flight: set[Any] = set()

        def started(request: Any) -> None:  # Playwright takes Python functions, not set.add
            in_flight.add(request)

        def ended(request: Any) -> None:
            in_flight.discard(request)

        context.on("request", started)
        context.on("requestfinished", ended)
        context.on("requestfailed", ended)
        self._opened.append((context, in_flight))
        return context

    def settle_and_close(self) -> None:
        deadline = time.monotonic() + self.SETTLE_SECONDS
        for context, in_flight in self._opened:
            while in_flight and context.pages and time.monotonic() < deadline:
                context.pages[0].wait_for_timeout(50)  # lets Playwright deliver the events
            context.close()
        self._opened.clear()
        # A finished request's server thread may still be closing its connection: wait for
        # the live server's request threads (socketserver names them) to end as well.
        while time.monotonic() < deadline and any(
            "process_request_thread" in thread.name for thread in threading.enumerate()
        ):
            time.sleep(0.02)


@pytest.fixture
def browser(chromium: Any) -> Iterator[SettlingBrowser]:
    """A browser for one test (see SettlingBrowser); pages come from ``new_context()``. Torn
    down before the live server's flush: pytest-django's autouse helper is set up first."""
    settling = SettlingBrowser(chromium)
    yield settling
    settling.settle_and_close()
