"""A business calendar in words, for the public SLA page. Pure: no ORM.

"Monday to Friday 08:00–16:00 (Europe/Copenhagen), closed on Danish public holidays
and on 31 Dec 2026."
"""

from __future__ import annotations

import re
from functools import cache

from helpline.sla.calendar import MINUTES_PER_DAY, BusinessCalendar, Holiday, WorkingHours

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Adjectives people expect for the countries of the demo and its neighbours; others are named.
DEMONYMS = {
    "DK": "Danish", "DE": "German", "SE": "Swedish", "NO": "Norwegian", "FI": "Finnish",
    "NL": "Dutch", "FR": "French", "GB": "British", "UK": "British", "US": "US",
    "IE": "Irish", "ES": "Spanish", "IT": "Italian", "PL": "Polish", "CH": "Swiss",
}  # fmt: skip


def hours_text(hours: tuple[WorkingHours, ...]) -> str:
    """``08:00–12:00 and 12:30–16:30``; an all-day interval is ``all day``."""
    if hours == (WorkingHours(0, MINUTES_PER_DAY),):
        return "all day"
    parts = ["–".join(interval.as_pair()) for interval in hours]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def week_text(weekly: tuple[tuple[WorkingHours, ...], ...]) -> str:
    """Runs of days with the same hours: ``Monday to Friday 08:00–16:00; Saturday 10:00–14:00``."""
    if all(day == (WorkingHours(0, MINUTES_PER_DAY),) for day in weekly):
        return "around the clock, every day"
    runs: list[tuple[int, int]] = []
    for index, day in enumerate(weekly):
        if not day:
            continue
        if runs and runs[-1][1] == index - 1 and weekly[runs[-1][0]] == day:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    parts = []
    for first, last in runs:
        if first == last:
            days = DAY_NAMES[first]
        elif last == first + 1:
            days = f"{DAY_NAMES[first]} and {DAY_NAMES[last]}"
        else:
            days = f"{DAY_NAMES[first]} to {DAY_NAMES[last]}"
        parts.append(f"{days} {hours_text(weekly[first])}")
    return "; ".join(parts)


@cache
def country_name(code: str) -> str:
    """``DK`` → ``Denmark``, ``US`` → ``United States`` (from the holidays package)."""
    from holidays.registry import COUNTRIES

    for class_name, *codes in COUNTRIES.values():
        if code in codes:
            return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)
    return code


def holiday_text(holiday: Holiday) -> str:
    def day(value: object) -> str:
        return f"{value:%-d %b %Y}"

    when = (
        day(holiday.first)
        if holiday.first == holiday.last
        else f"{day(holiday.first)} to {day(holiday.last)}"
    )
    if holiday.hours:
        return f"{when} (open {hours_text(holiday.hours)} only)"
    return when


def describe_calendar(calendar: BusinessCalendar) -> str:
    """The calendar as one sentence for customers."""
    text = f"{week_text(calendar.weekly)} ({calendar.timezone})"
    closed = []
    if calendar.country:
        where = calendar.country
        if calendar.subdivision:
            where = f"{calendar.country}-{calendar.subdivision}"
            closed.append(f"public holidays in {country_name(calendar.country)} ({where})")
        elif calendar.country in DEMONYMS:
            closed.append(f"{DEMONYMS[calendar.country]} public holidays")
        else:
            closed.append(f"public holidays in {country_name(calendar.country)}")
    full_days = [holiday_text(h) for h in calendar.holidays if not h.hours]
    partial_days = [holiday_text(h) for h in calendar.holidays if h.hours]
    if full_days:
        closed.append(("also on " if closed else "") + ", ".join(full_days))
    if closed:
        text += ", closed on " + " and ".join(closed)
    if partial_days:
        text += "; reduced hours on " + ", ".join(partial_days)
    return text[0].upper() + text[1:] + "."
