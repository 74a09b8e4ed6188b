"""The per-process configuration cache: fresh after a save here, within the TTL elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.core import configcache
from helpline.tickets.models import PriorityMatrixEntry
from helpline.tickets.services._common import priority_matrix
from helpline.tickets.states import Level, Priority

pytestmark = pytest.mark.django_db

CELL = (Level.HIGH, Level.HIGH)


def test_a_cached_value_is_read_once_then_served_without_a_query() -> None:
    priority_matrix()

    with CaptureQueriesContext(connection) as queries:
        matrix = priority_matrix()

    assert len(queries) == 0
    assert matrix[CELL] == Priority(
        PriorityMatrixEntry.objects.get(impact=CELL[0], urgency=CELL[1]).priority
    )


def test_a_save_in_this_process_is_seen_at_once() -> None:
    priority_matrix()
    cell = PriorityMatrixEntry.objects.get(impact=CELL[0], urgency=CELL[1])
    cell.priority = Priority.LOW
    cell.save()

    assert priority_matrix()[CELL] == Priority.LOW


def test_a_change_made_elsewhere_is_seen_once_the_cache_expires(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.HELPLINE_CONFIG_CACHE_SECONDS = 10
    now = [1000.0]
    monkeypatch.setattr(configcache.time, "monotonic", lambda: now[0])
    before = priority_matrix()[CELL]
    # Another process changes the row: no signal reaches this one.
    PriorityMatrixEntry.objects.filter(impact=CELL[0], urgency=CELL[1]).update(
        priority=Priority.LOW if before != Priority.LOW else Priority.CRITICAL
    )

    now[0] += 9
    assert priority_matrix()[CELL] == before
    now[0] += 2
    assert priority_matrix()[CELL] != before


def test_zero_seconds_turns_the_cache_off(settings: Any) -> None:
    settings.HELPLINE_CONFIG_CACHE_SECONDS = 0
    priority_matrix()

    with CaptureQueriesContext(connection) as queries:
        priority_matrix()

    assert len(queries) == 1


def test_a_save_of_only_ignored_fields_keeps_the_value() -> None:
    loads: list[int] = []
    cache = configcache.ConfigCache(
        "test-ignored",
        lambda: loads.append(1) or len(loads),
        models=[PriorityMatrixEntry],
        ignored_fields={"priority"},
    )
    entry = PriorityMatrixEntry.objects.first()
    assert entry is not None
    cache.get()

    entry.save(update_fields=["priority"])
    assert cache.get() == 1
    entry.save()
    assert cache.get() == 2
