"""Money arithmetic for time entries. Pure: no ORM.

A rate is per hour; an entry's cost is minutes × rate / 60, rounded half-up to cents, and is
fixed when the entry is logged.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MAX_MINUTES = 24 * 60


def entry_cost(minutes: int, hourly_rate: Decimal) -> Decimal:
    return (Decimal(minutes) * hourly_rate / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def pick_rate(*, agent_rate: Decimal | None, level_rate: Decimal | None) -> Decimal:
    """The agent's own rate overrides the rate of their support level; no rate costs 0."""
    if agent_rate is not None:
        return agent_rate
    if level_rate is not None:
        return level_rate
    return Decimal("0.00")


def minutes_between(seconds: float) -> int:
    """Whole minutes a timer ran, rounded up, at least one."""
    whole, rest = divmod(max(int(seconds), 0), 60)
    return max(whole + (1 if rest else 0), 1)


def check_minutes(minutes: object) -> str | None:
    """Why ``minutes`` is not a loggable duration, or None."""
    if type(minutes) is not int:
        return "a whole number of minutes"
    if minutes <= 0:
        return "more than 0 minutes"
    if minutes > MAX_MINUTES:
        return f"at most {MAX_MINUTES} minutes (24 hours)"
    return None
