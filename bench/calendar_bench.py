"""Throughput of add_business_minutes: 72 working hours (4320 minutes) on a Mon-Fri 08:00-16:00
Europe/Copenhagen calendar with Danish public holidays, from starts spread over a year.

Run from the repository root: `.venv/bin/python bench/calendar_bench.py [calls]`. The target is
at least 50,000 calls per second on one core.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpline.sla.calendar import BusinessCalendar, add_business_minutes

TARGET_PER_SECOND = 50_000
MINUTES = 72 * 60


def build_calendar() -> BusinessCalendar:
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    return BusinessCalendar.from_dict(
        {
            "timezone": "Europe/Copenhagen",
            "weekly": {day: [["08:00", "16:00"]] for day in weekdays},
            "country": "DK",
        }
    )


def spread_starts(count: int) -> list[datetime]:
    rng = random.Random(2026)
    year_start = datetime(2026, 1, 1, tzinfo=UTC)
    seconds_in_year = 365 * 24 * 3600
    return [year_start + timedelta(seconds=rng.randrange(seconds_in_year)) for _ in range(count)]


def calls_per_second(calendar: BusinessCalendar, starts: list[datetime]) -> float:
    began = time.perf_counter()
    for start in starts:
        add_business_minutes(calendar, start, MINUTES)
    return len(starts) / (time.perf_counter() - began)


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    starts = spread_starts(calls)
    calendar = build_calendar()
    cold = calls_per_second(calendar, starts)  # includes filling the per-date cache
    warm = max(calls_per_second(calendar, starts) for _ in range(3))
    verdict = "meets" if warm >= TARGET_PER_SECOND else "MISSES"
    print(f"add_business_minutes, {MINUTES} working minutes, {calls:,} starts over 2026")
    print(f"  first pass (cache filling): {cold:>10,.0f} calls/s")
    print(f"  steady state (best of 3):   {warm:>10,.0f} calls/s")
    print(f"  target {TARGET_PER_SECOND:,} calls/s: {verdict}")


if __name__ == "__main__":
    main()
