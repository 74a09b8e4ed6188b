"""Rates and activity types for time-tracking tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from helpline.timetrack.models import ActivityType, AgentRate, LevelRate


def activity(name: str = "Troubleshooting", **fields: Any) -> ActivityType:
    row, _ = ActivityType.objects.get_or_create(name=name, defaults=fields)
    return row


def level_rate(level: int, rate: str) -> LevelRate:
    row, _ = LevelRate.objects.update_or_create(
        support_level=level, defaults={"hourly_rate": Decimal(rate)}
    )
    return row


def agent_rate(agent: Any, rate: str) -> AgentRate:
    row, _ = AgentRate.objects.update_or_create(
        agent=agent, defaults={"hourly_rate": Decimal(rate)}
    )
    return row
