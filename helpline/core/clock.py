"""The one place Helpline reads the time, so tests can move it (time-machine)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)
