"""Per-process caches of small configuration tables read on every ticket write.

Opening a ticket reads the priority matrix, the SLA policies with their calendars and targets,
the assignment strategies and the mailboxes: a handful of rows that change a few times a year
but cost a query each, and several milliseconds of ORM work together, on every ticket and every
mail. ``ConfigCache`` keeps such a value in the process:

- a save or delete of one of its models in this process clears it at once, and again when the
  transaction commits (so a rolled-back edit is not kept);
- other processes (web workers, the task worker) see an admin's change within ``seconds``
  (default ``HELPLINE_CONFIG_CACHE_SECONDS``, 10 s); ``0`` turns the caches off.

Only configuration belongs here (the support roster counts: who the agents are and which
departments they serve), never tickets or anything a user works on. Tests clear every
cache before each test (``clear_all``), so a value from a rolled-back test never leaks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

DEFAULT_SECONDS = 10.0

_caches: list[ConfigCache[Any]] = []


class ConfigCache[T]:
    """``load()``'s value, kept until a model in ``models`` changes or ``seconds`` pass."""

    def __init__(
        self,
        name: str,
        load: Callable[[], T],
        *,
        models: Iterable[type],
        ignored_fields: Iterable[str] = (),
    ) -> None:
        """``ignored_fields``: a save of only these fields (``update_fields``) keeps the value,
        for bookkeeping columns the value does not hold (an agent's last login)."""
        self.name = name
        self._load = load
        self._ignored = frozenset(ignored_fields)
        self._value: T | None = None
        self._loaded_at = 0.0
        self._valid = False
        for model in models:
            post_save.connect(self._changed, sender=model, weak=False)
            post_delete.connect(self._changed, sender=model, weak=False)
        _caches.append(self)

    def get(self) -> T:
        seconds = float(getattr(settings, "HELPLINE_CONFIG_CACHE_SECONDS", DEFAULT_SECONDS))
        now = time.monotonic()
        if not self._valid or now - self._loaded_at > seconds or seconds <= 0:
            self._value = self._load()
            self._loaded_at = now
            self._valid = seconds > 0
        return self._value  # type: ignore[return-value]

    def clear(self) -> None:
        self._valid = False
        self._value = None

    def _changed(self, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields and self._ignored.issuperset(fields):
            return
        self.clear()
        transaction.on_commit(self.clear)


def clear_all() -> None:
    """Forget every cached value (tests call this before each test)."""
    for cache in _caches:
        cache.clear()
