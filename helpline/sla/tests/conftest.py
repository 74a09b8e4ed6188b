"""Fixtures of the SLA tests that need a database (the engine and calendar tests do not)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def demo_policy(db: None) -> Any:
    """The demo's Americorp policy, the default: Mon-Fri 08:00-16:00 Copenhagen with Danish
    public holidays; severity A/B/C resolved in 24/48/72 working hours."""
    from helpline.demo.seed import seed_sla

    return seed_sla()


@pytest.fixture
def round_the_clock(db: None) -> Any:
    """The default policy on a 24/7 UTC calendar: first response 60, next response 120,
    resolution 240 minutes for every priority, warning at 75 %."""
    from helpline.sla.tests.steps import policy_with

    return policy_with("Round the clock", is_default=True)
