"""Business calendars for SLA clocks: when the desk works, and how much working time lies between
two instants. Pure module: no Django, no ORM.

Conventions (every function below follows them):

- Working hours are wall-clock times in the calendar's time zone. A day on which the clocks
  change has an hour more or less of working time only if a working interval spans the change.
  A wall time that occurs twice (clocks set back) means its first occurrence; a wall time that
  never occurs (clocks jump forward over it) means the instant of the jump.
- Working intervals are half-open, [start, end): a desk working 08:00-16:00 is open at 08:00 and
  closed at 16:00.
- An interval whose end is not after its start runs overnight: 22:00-06:00 ends at 06:00 the next
  day. An overnight shift belongs to the date it starts on, so a holiday or a partial day applies
  to the shifts that start that day. Where a partial day's overnight shift would run into the next
  day's first shift, the earlier shift wins.
- Explicit holidays take precedence over the country's public holidays, so a partial day can open
  the desk on a public holiday.
- All functions need aware datetimes (naive ones raise ValueError) and return aware UTC ones.
- `add_business_minutes` returns the instant at which the working minutes are used up. That is
  an open instant or the exact end of a working interval: Friday 15:00 + 60 minutes is Friday
  16:00, not Monday 08:00. Adding 0 minutes returns `next_opening(start)`.
- `business_minutes_between` rounds down to whole minutes, so that
  `business_minutes_between(cal, t, add_business_minutes(cal, t, m)) == m`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from holidays import HolidayBase, country_holidays, list_supported_countries

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY: Final = 24 * 60

_MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY
_US_PER_MINUTE: Final = 60_000_000
_ONE_US: Final = timedelta(microseconds=1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE: Final = datetime(1970, 1, 1)  # noqa: DTZ001 - wall-clock arithmetic base
_CACHED_DATES_LIMIT: Final = 50_000
_DICT_FIELDS: Final = frozenset({"timezone", "weekly", "holidays", "country", "subdivision"})

# A working interval in UTC microseconds since the epoch, [start, end).
type _Span = tuple[int, int]


class CalendarError(ValueError):
    """A calendar definition that cannot be used. `field` names the offending part, such as
    "weekly.mon[1]" or "holidays[2].to"; the message is meant for the person who wrote it."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _invalid(field: str, problem: str) -> CalendarError:
    return CalendarError(f"{field}: {problem}" if field else problem, field=field)


@dataclass(frozen=True, slots=True, order=True)
class WorkingHours:
    """One working interval, in wall-clock minutes after midnight.

    `end` may pass midnight (1440): 22:00-06:00 is `WorkingHours(1320, 1800)` and runs into the
    next day. An interval is shorter than a day, except 00:00-24:00. Build one from text with
    `WorkingHours.parse("22:00", "06:00")`.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        same_day = 0 <= self.start < self.end <= MINUTES_PER_DAY
        overnight = MINUTES_PER_DAY < self.end < self.start + MINUTES_PER_DAY
        if not (same_day or overnight):
            raise _invalid("", f"({self.start}, {self.end}) is not a working interval")

    @classmethod
    def parse(cls, start: str, end: str, *, field: str = "") -> WorkingHours:
        """Read "HH:MM" texts; `end` may be "24:00", and an `end` not after `start` means the
        interval runs overnight. Raises CalendarError naming `field`."""
        first = _parse_minutes(start, field, allow_midnight_end=False)
        last = _parse_minutes(end, field, allow_midnight_end=True)
        if first == last:
            raise _invalid(field, f"{start}-{end} starts and ends at the same time")
        if last <= first:
            last += MINUTES_PER_DAY
        return cls(first, last)

    def as_pair(self) -> list[str]:
        """The `["HH:MM", "HH:MM"]` form that `parse` reads back."""
        end = "24:00" if self.end == MINUTES_PER_DAY else _format_minutes(self.end)
        return [_format_minutes(self.start), end]

    def __str__(self) -> str:
        return "-".join(self.as_pair())


def _parse_minutes(text: object, field: str, *, allow_midnight_end: bool) -> int:
    if allow_midnight_end and text == "24:00":
        return MINUTES_PER_DAY
    try:
        if not isinstance(text, str) or len(text) != 5:
            raise ValueError
        parsed = time.fromisoformat(text)
    except ValueError:
        raise _invalid(field, f"{text!r} is not a time of day written HH:MM") from None
    return parsed.hour * 60 + parsed.minute


def _format_minutes(minutes: int) -> str:
    hours, minutes = divmod(minutes % MINUTES_PER_DAY, 60)
    return f"{hours:02d}:{minutes:02d}"


@dataclass(frozen=True, slots=True)
class Holiday:
    """The dates `first` to `last` (inclusive) on which the weekly hours do not apply: the desk is
    closed, or, with `hours`, open for those hours only (Christmas Eve 08:00-12:00)."""

    first: date
    last: date
    hours: tuple[WorkingHours, ...] = ()

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise _invalid("", f"the holiday ends ({self.last}) before it starts ({self.first})")
        _check_no_overlap(
            [(hours.start, hours.end, "", str(hours)) for hours in self.hours],
            period=MINUTES_PER_DAY,
        )

    @classmethod
    def on(cls, day: date, hours: Sequence[WorkingHours] = ()) -> Holiday:
        """A single date, closed or with reduced `hours`."""
        return cls(day, day, tuple(hours))

    def to_dict(self) -> str | dict[str, Any]:
        if self.first == self.last and not self.hours:
            return self.first.isoformat()
        data: dict[str, Any] = (
            {"date": self.first.isoformat()}
            if self.first == self.last
            else {"from": self.first.isoformat(), "to": self.last.isoformat()}
        )
        if self.hours:
            data["hours"] = [hours.as_pair() for hours in self.hours]
        return data


def _check_no_overlap(intervals: list[tuple[int, int, str, str]], *, period: int) -> None:
    """Raise if any two (start, end, field, label) intervals overlap on a clock that wraps every
    `period` minutes (a week for the weekly hours, a day for a holiday's hours)."""
    pieces = []
    for start, end, where, label in intervals:
        pieces.append((start, min(end, period), where, label))
        if end > period:
            pieces.append((0, end - period, where, label))
    pieces.sort()
    for earlier, later in pairwise(pieces):
        if later[0] < earlier[1]:
            raise _invalid(later[2], f"{later[3]} overlaps {earlier[3]}")


@dataclass(frozen=True)
class BusinessCalendar:
    """When a desk works: weekly hours in a time zone, minus holidays.

    Immutable and cheap to build; per-date working intervals are computed on first use and
    cached on the instance. Build one from stored data with `from_dict`, or a round-the-clock
    one with `always_open`. Invalid definitions raise CalendarError.
    """

    timezone: str
    weekly: tuple[tuple[WorkingHours, ...], ...]  # Monday first
    holidays: tuple[Holiday, ...] = ()
    country: str | None = None
    subdivision: str | None = None

    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _public_holidays: HolidayBase | None = field(init=False, repr=False, compare=False)
    _holidays_by_first: tuple[Holiday, ...] = field(init=False, repr=False, compare=False)
    _holiday_firsts: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _spans_by_ordinal: dict[int, tuple[_Span, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        set_attr = object.__setattr__
        set_attr(self, "_zone", _zone_named(self.timezone))
        self._check_weekly()
        by_first = tuple(sorted(self.holidays, key=lambda holiday: holiday.first))
        for earlier, later in pairwise(by_first):
            if later.first <= earlier.last:
                raise _invalid("holidays", f"two holidays cover {later.first}")
        set_attr(self, "_holidays_by_first", by_first)
        set_attr(self, "_holiday_firsts", tuple(holiday.first for holiday in by_first))
        set_attr(self, "_public_holidays", _public_holidays(self.country, self.subdivision))

    def _check_weekly(self) -> None:
        if len(self.weekly) != len(WEEKDAYS):
            raise _invalid("weekly", f"needs {len(WEEKDAYS)} days, Monday first")
        if not any(self.weekly):
            raise CalendarError("the calendar has no working time", field="weekly")
        week = []
        offsets = range(0, _MINUTES_PER_WEEK, MINUTES_PER_DAY)
        for name, day, offset in zip(WEEKDAYS, self.weekly, offsets, strict=True):
            week += [
                (offset + hours.start, offset + hours.end, f"weekly.{name}", f"{name} {hours}")
                for hours in day
            ]
        _check_no_overlap(week, period=_MINUTES_PER_WEEK)

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> BusinessCalendar:
        """A 24/7 calendar: every instant is working time, so working minutes are real minutes."""
        full_day = (WorkingHours(0, MINUTES_PER_DAY),)
        return cls(timezone=timezone, weekly=(full_day,) * len(WEEKDAYS))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build a calendar from JSON-like data, as stored by `to_dict`::

            {"timezone": "Europe/Copenhagen",
             "weekly": {"mon": [["08:00", "12:00"], ["12:30", "16:30"]], ...},  # absent: closed
             "holidays": ["2026-12-31",                                   # closed all day
                          {"from": "2026-07-06", "to": "2026-07-24"},     # closed, inclusive
                          {"date": "2026-12-24", "hours": [["08:00", "12:00"]]}],  # partial
             "country": "DK", "subdivision": null}                       # public holidays

        Raises CalendarError whose `field` names the bad part.
        """
        if not isinstance(data, Mapping):
            raise _invalid("", "a calendar must be an object")
        unknown = sorted(set(data) - _DICT_FIELDS)
        if unknown:
            raise _invalid(unknown[0], "unknown field")
        timezone = data.get("timezone")
        if not isinstance(timezone, str):
            raise _invalid("timezone", "required: a time zone name such as 'Europe/Copenhagen'")
        raw_holidays = data.get("holidays") or []
        if not isinstance(raw_holidays, list):
            raise _invalid("holidays", "must be a list")
        return cls(
            timezone=timezone,
            weekly=_weekly_from_dict(data.get("weekly")),
            holidays=tuple(
                _holiday_from_dict(raw, f"holidays[{index}]")
                for index, raw in enumerate(raw_holidays)
            ),
            country=_optional_text(data, "country"),
            subdivision=_optional_text(data, "subdivision"),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data that `from_dict` turns back into an equal calendar."""
        return {
            "timezone": self.timezone,
            "weekly": {
                name: [hours.as_pair() for hours in day]
                for name, day in zip(WEEKDAYS, self.weekly, strict=True)
            },
            "holidays": [holiday.to_dict() for holiday in self.holidays],
            "country": self.country,
            "subdivision": self.subdivision,
        }

    def hours_on(self, day: date) -> tuple[WorkingHours, ...]:
        """The working hours of the shifts that start on `day` (local date)."""
        index = bisect_right(self._holiday_firsts, day) - 1
        if index >= 0 and day <= self._holidays_by_first[index].last:
            return self._holidays_by_first[index].hours
        if self._public_holidays is not None and day in self._public_holidays:
            return ()
        return self.weekly[day.weekday()]

    def _spans_on(self, ordinal: int) -> tuple[_Span, ...]:
        """UTC spans of the shifts starting on the local date `ordinal`, sorted and merged.
        The last one may run into the next date's first ones (see `_open_spans_from`)."""
        spans = self._spans_by_ordinal.get(ordinal)
        if spans is None:
            if len(self._spans_by_ordinal) >= _CACHED_DATES_LIMIT:
                self._spans_by_ordinal.clear()
            spans = self._spans_by_ordinal[ordinal] = self._compute_spans(date.fromordinal(ordinal))
        return spans

    def _compute_spans(self, day: date) -> tuple[_Span, ...]:
        merged: list[list[int]] = []
        for hours in sorted(self.hours_on(day)):
            start = _wall_to_us(self._zone, day, hours.start)
            end = _wall_to_us(self._zone, day, hours.end)
            if end <= start:  # wholly inside a skipped DST hour
                continue
            if merged and merged[-1][1] >= start:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return tuple((start, end) for start, end in merged)

    def _open_spans_from(self, instant: datetime) -> Iterator[_Span]:
        """Working spans from `instant` on, disjoint and in order, the first one cut to start at
        `instant`. Endless.

        Dates' spans come in order of their starts; cutting each at the end of the last one
        yielded is what lets an earlier date's overnight shift win over an overlapping one.
        """
        at = _to_us(instant)
        # A shift that started the previous local day may still be running.
        ordinal = instant.astimezone(self._zone).toordinal() - 1
        while True:
            for start, end in self._spans_on(ordinal):
                if end > at:
                    yield (start if start > at else at), end
                    at = end
            ordinal += 1


def _zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise _invalid("timezone", f"unknown time zone {name!r}") from None


def _public_holidays(country: str | None, subdivision: str | None) -> HolidayBase | None:
    if country is None:
        if subdivision is not None:
            raise _invalid("subdivision", "needs a country")
        return None
    subdivisions = list_supported_countries().get(country)
    if subdivisions is None:
        raise _invalid("country", f"no public holidays known for {country!r}")
    if subdivision is not None and subdivision not in subdivisions:
        raise _invalid("subdivision", f"{country} has no subdivision {subdivision!r}")
    return country_holidays(country, subdiv=subdivision)


def _wall_to_us(zone: ZoneInfo, day: date, minutes: int) -> int:
    """The instant (UTC microseconds) at which the clocks in `zone` show `minutes` after the
    midnight starting `day`; see the module docstring for repeated and skipped wall times."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    earlier_offset = wall.replace(tzinfo=zone).utcoffset()
    later_offset = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert earlier_offset is not None and later_offset is not None
    if earlier_offset >= later_offset:  # an ordinary or a repeated wall time
        return (wall - earlier_offset - _EPOCH_NAIVE) // _ONE_US
    # Skipped: the jump lies between the two readings. Offsets change on whole seconds.
    low = (wall - later_offset - _EPOCH_NAIVE) // timedelta(seconds=1)
    high = (wall - earlier_offset - _EPOCH_NAIVE) // timedelta(seconds=1)
    while high - low > 1:
        middle = (low + high) // 2
        if (_EPOCH + timedelta(seconds=middle)).astimezone(zone).utcoffset() == later_offset:
            high = middle
        else:
            low = middle
    return high * 1_000_000


def _weekly_from_dict(raw: object) -> tuple[tuple[WorkingHours, ...], ...]:
    if not isinstance(raw, Mapping):
        raise _invalid("weekly", 'required: working hours per weekday, {"mon": [["08:00", ...')
    unknown = sorted(set(raw) - set(WEEKDAYS))
    if unknown:
        raise _invalid(f"weekly.{unknown[0]}", f"not a weekday; use {', '.join(WEEKDAYS)}")
    return tuple(_hours_from_dict(raw.get(name, []), f"weekly.{name}") for name in WEEKDAYS)


def _hours_from_dict(raw: object, field: str) -> tuple[WorkingHours, ...]:
    if not isinstance(raw, list):
        raise _invalid(field, 'must be a list of ["HH:MM", "HH:MM"] pairs')
    hours = []
    for index, pair in enumerate(raw):
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise _invalid(f"{field}[{index}]", f'{pair!r} is not a ["HH:MM", "HH:MM"] pair')
        hours.append(WorkingHours.parse(pair[0], pair[1], field=f"{field}[{index}]"))
    return tuple(hours)


def _holiday_from_dict(raw: object, field: str) -> Holiday:
    if isinstance(raw, str):
        return Holiday.on(_date_from_dict(raw, field))
    if not isinstance(raw, Mapping):
        raise _invalid(field, "must be a date or an object with date or from/to")
    keys = set(raw) - {"hours"}
    if keys == {"date"}:
        first = last = _date_from_dict(raw["date"], f"{field}.date")
    elif keys == {"from", "to"}:
        first = _date_from_dict(raw["from"], f"{field}.from")
        last = _date_from_dict(raw["to"], f"{field}.to")
        if last < first:
            raise _invalid(f"{field}.to", f"{last} is before {first}")
    else:
        raise _invalid(field, 'needs "date", or "from" and "to" (and optionally "hours")')
    hours = _hours_from_dict(raw.get("hours", []), f"{field}.hours")
    try:
        return Holiday(first, last, hours)
    except CalendarError as error:
        raise _invalid(f"{field}.hours", error.message) from None


def _date_from_dict(raw: object, field: str) -> date:
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise _invalid(field, f"{raw!r} is not a date written YYYY-MM-DD") from None


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _invalid(key, "must be text or null")
    return value


def _to_us(instant: datetime) -> int:
    if instant.utcoffset() is None:
        raise ValueError(f"{instant!r} is naive; the SLA calendar needs aware datetimes")
    return (instant - _EPOCH) // _ONE_US


def _from_us(microseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=microseconds)


def add_business_minutes(calendar: BusinessCalendar, start: datetime, minutes: int) -> datetime:
    """The instant, in UTC, at which `minutes` of working time counted from `start` are used up.

    `start` must be aware (naive raises ValueError); `minutes` must not be negative. The result
    is open, or the exact end of a working interval when the minutes run out there. With 0
    minutes it is `next_opening(calendar, start)`.
    """
    if minutes < 0:
        raise ValueError(f"cannot add a negative number of working minutes ({minutes})")
    remaining = minutes * _US_PER_MINUTE
    for open_at, closes_at in calendar._open_spans_from(start):
        if remaining <= closes_at - open_at:
            return _from_us(open_at + remaining)
        remaining -= closes_at - open_at
    raise AssertionError("unreachable: a calendar always opens again")


def business_minutes_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Whole minutes of working time in [start, end), rounded down; 0 if `end` <= `start`.

    Both must be aware datetimes (naive raises ValueError).
    """
    until = _to_us(end)
    total = 0
    for open_at, closes_at in calendar._open_spans_from(start):
        if open_at >= until:
            break
        total += min(closes_at, until) - open_at
    return total // _US_PER_MINUTE


def next_opening(calendar: BusinessCalendar, instant: datetime) -> datetime:
    """The first open instant at or after `instant`, in UTC (`instant` itself if open).

    `instant` must be aware (naive raises ValueError).
    """
    open_at, _ = next(calendar._open_spans_from(instant))
    return _from_us(open_at)


def is_open_at(calendar: BusinessCalendar, instant: datetime) -> bool:
    """Whether `instant` is working time. `instant` must be aware (naive raises ValueError)."""
    open_at, _ = next(calendar._open_spans_from(instant))
    return open_at == _to_us(instant)
