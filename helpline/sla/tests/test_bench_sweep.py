"""bench-sla end to end at a tiny size on PostgreSQL: the sweep fires every due warning, once
by one worker and once more by two worker processes sharing the batches, and leaves nothing
behind."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.conftest import is_postgres
from helpline.sla import bench
from helpline.sla.models import NextCheck
from helpline.tickets.models import Ticket

pytestmark = [
    # serialized_rollback, like every test that commits: the next one finds the migrations' rows.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not is_postgres(), reason="the sweep benchmark needs PostgreSQL"),
]


def test_the_sweep_benchmark_fires_each_due_warning_once_per_run_and_cleans_up(
    settings: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "helpline.core.tasks_backend.DatabaseBackend"}}

    result = bench.sweep_benchmark(tickets=600, due_every=10, workers=2)

    assert result.due == 60
    assert (result.events, result.errors) == (60, 0)
    assert (result.parallel_workers, result.parallel_events) == (2, 60)
    assert "sla_nextcheck" in result.explain_find
    assert "LockRows" in result.explain_claim
    assert not Ticket.objects.exists()
    assert not NextCheck.objects.exists()
