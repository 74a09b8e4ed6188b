"""The business calendar: table-driven cases, DST and date edges, invariants, validation."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.sla.calendar import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    Holiday,
    WorkingHours,
    add_business_minutes,
    business_minutes_between,
    is_open_at,
    next_opening,
)

CPH = ZoneInfo("Europe/Copenhagen")
NY = ZoneInfo("America/New_York")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def calendar(
    timezone: str = "Europe/Copenhagen",
    hours: list[list[str]] | None = None,
    days: tuple[str, ...] = WORKDAYS,
    **extra: Any,
) -> BusinessCalendar:
    weekly = {day: hours or [["08:00", "16:00"]] for day in days}
    return BusinessCalendar.from_dict({"timezone": timezone, "weekly": weekly, **extra})


DK = calendar(country="DK")
DK_CHRISTMAS = calendar(
    country="DK",
    holidays=[
        {"date": "2026-12-24", "hours": [["08:00", "12:00"]]},
        {"from": "2026-12-28", "to": "2026-12-30"},
    ],
)
SPLIT_SHIFTS = calendar(hours=[["08:00", "12:00"], ["12:30", "16:30"]])
EVERY_DAY_CPH = calendar(days=WEEKDAYS)
NIGHTS_NY = calendar("America/New_York", hours=[["22:00", "06:00"]], days=WEEKDAYS)
SATURDAY_NIGHT_CPH = calendar(hours=[["22:00", "06:00"]], days=("sat",))
IN_SKIPPED_HOUR_NY = calendar("America/New_York", hours=[["02:30", "04:00"]], days=WEEKDAYS)
IN_REPEATED_HOUR_NY = calendar("America/New_York", hours=[["01:30", "02:30"]], days=WEEKDAYS)
ALWAYS_CPH = BusinessCalendar.always_open("Europe/Copenhagen")
LATE_TUESDAY = calendar(holidays=[{"date": "2026-11-24", "hours": [["20:00", "10:00"]]}])


def cph(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=CPH)


def ny(*fields: int, fold: int = 0) -> datetime:
    return datetime(*fields, tzinfo=NY, fold=fold)


ADD_CASES = [
    ("friday afternoon plus 24 working hours lands on wednesday",
     DK, cph(2026, 11, 20, 15), 1440, cph(2026, 11, 25, 15)),
    ("minutes running out at closing time end the interval",
     DK, cph(2026, 11, 20, 15), 60, cph(2026, 11, 20, 16)),
    ("zero minutes at closing time give the next opening",
     DK, cph(2026, 11, 20, 16), 0, cph(2026, 11, 23, 8)),
    ("zero minutes inside working hours give the start",
     DK, cph(2026, 11, 23, 9, 17), 0, cph(2026, 11, 23, 9, 17)),
    ("weekend start counts from monday morning",
     DK, cph(2026, 11, 21, 10), 30, cph(2026, 11, 23, 8, 30)),
    ("easter holidays are skipped and the due thursday moves to tuesday",
     DK, cph(2026, 4, 1, 15), 120, cph(2026, 4, 7, 9)),
    ("a dst weekend does not change weekday hours",
     DK, cph(2026, 3, 27, 15), 120, cph(2026, 3, 30, 9)),
    ("a lunch break is not working time",
     SPLIT_SHIFTS, cph(2026, 11, 23, 11), 120, cph(2026, 11, 23, 13, 30)),
    ("the morning shift can end exactly at lunch",
     SPLIT_SHIFTS, cph(2026, 11, 23, 11), 60, cph(2026, 11, 23, 12)),
    ("christmas eve partial day counts only its morning",
     DK_CHRISTMAS, cph(2026, 12, 23, 15), 240, cph(2026, 12, 24, 11)),
    ("christmas eve afternoon and the closed range are skipped",
     DK_CHRISTMAS, cph(2026, 12, 23, 15), 360, cph(2026, 12, 31, 9)),
    ("new years day is skipped at the year end",
     DK, cph(2026, 12, 31, 15), 120, cph(2027, 1, 4, 9)),
    ("leap day is a working day",
     DK, cph(2028, 2, 28, 15), 120, cph(2028, 2, 29, 9)),
    ("the day after leap day is march first",
     DK, cph(2028, 2, 29, 15), 120, cph(2028, 3, 1, 9)),
    ("always open adds real time across spring forward",
     ALWAYS_CPH, cph(2026, 3, 28, 12), 1440, cph(2026, 3, 29, 13)),
    ("always open adds real time across fall back",
     ALWAYS_CPH, cph(2026, 10, 24, 12), 1440, cph(2026, 10, 25, 11)),
    ("always open crosses the leap day",
     ALWAYS_CPH, cph(2028, 2, 28, 12), 2880, cph(2028, 3, 1, 12)),
    ("a day shift on the spring forward sunday keeps eight hours",
     EVERY_DAY_CPH, cph(2026, 3, 29, 8), 480, cph(2026, 3, 29, 16)),
    ("new york night shift across spring forward lasts seven hours",
     NIGHTS_NY, ny(2026, 3, 7, 22), 420, ny(2026, 3, 8, 6)),
    ("new york night shift over after seven hours on spring forward",
     NIGHTS_NY, ny(2026, 3, 7, 22), 421, ny(2026, 3, 8, 22, 1)),
    ("new york night shift across fall back lasts nine hours",
     NIGHTS_NY, ny(2026, 10, 31, 22), 540, ny(2026, 11, 1, 6)),
    ("new york night shift after eight hours on fall back reads five o'clock",
     NIGHTS_NY, ny(2026, 10, 31, 22), 480, ny(2026, 11, 1, 5)),
    ("a shift starting in the skipped hour starts when the clocks jump",
     IN_SKIPPED_HOUR_NY, ny(2026, 3, 8, 0), 0, ny(2026, 3, 8, 3)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cal", "start", "minutes", "due"),
    [case[1:] for case in ADD_CASES],
    ids=[case[0] for case in ADD_CASES],
)
def test_add_business_minutes_lands_on_the_expected_instant(
    cal: BusinessCalendar, start: datetime, minutes: int, due: datetime
) -> None:
    assert add_business_minutes(cal, start, minutes) == due


def test_add_business_minutes_returns_utc() -> None:
    assert add_business_minutes(DK, cph(2026, 11, 20, 15), 1440).tzinfo is UTC


BETWEEN_CASES = [
    ("friday afternoon to wednesday afternoon is 24 hours",
     DK, cph(2026, 11, 20, 15), cph(2026, 11, 25, 15), 1440),
    ("end before start is zero", DK, cph(2026, 11, 25, 15), cph(2026, 11, 20, 15), 0),
    ("a weekend is zero", DK, cph(2026, 11, 21), cph(2026, 11, 23), 0),
    ("a partial minute rounds down to zero",
     DK, cph(2026, 11, 23, 8), cph(2026, 11, 23, 8, 0, 59), 0),
    ("a minute and a half rounds down to one",
     DK, cph(2026, 11, 23, 8), cph(2026, 11, 23, 8, 1, 30), 1),
    ("february of a leap year has 21 working days",
     DK, cph(2028, 2, 1), cph(2028, 3, 1), 21 * 480),
    ("the year end week counts four days and the first monday",
     DK, cph(2026, 12, 28), cph(2027, 1, 5), 5 * 480),
    ("christmas eve counts four hours", DK_CHRISTMAS, cph(2026, 12, 24), cph(2026, 12, 25), 240),
    ("a partial day's night shift and the next morning's shift count once",
     LATE_TUESDAY, cph(2026, 11, 24), cph(2026, 11, 26), 14 * 60 + 6 * 60),
    ("a closed range counts nothing", DK_CHRISTMAS, cph(2026, 12, 28), cph(2026, 12, 31), 0),
    ("the spring forward sunday has 23 hours",
     ALWAYS_CPH, cph(2026, 3, 29), cph(2026, 3, 30), 1380),
    ("the fall back sunday has 25 hours", ALWAYS_CPH, cph(2026, 10, 25), cph(2026, 10, 26), 1500),
    ("a day shift on the fall back sunday keeps eight hours",
     EVERY_DAY_CPH, cph(2026, 10, 25), cph(2026, 10, 26), 480),
    ("copenhagen night shift across spring forward is seven hours",
     SATURDAY_NIGHT_CPH, cph(2026, 3, 28, 12), cph(2026, 3, 29, 12), 420),
    ("copenhagen night shift across fall back is nine hours",
     SATURDAY_NIGHT_CPH, cph(2026, 10, 24, 12), cph(2026, 10, 25, 12), 540),
    ("new york night shift across fall back is nine hours",
     NIGHTS_NY, ny(2026, 10, 31, 12), ny(2026, 11, 1, 12), 540),
    ("a shift starting in the skipped hour loses the skipped part",
     IN_SKIPPED_HOUR_NY, ny(2026, 3, 8), ny(2026, 3, 9), 60),
    ("the same shift on an ordinary day is ninety minutes",
     IN_SKIPPED_HOUR_NY, ny(2026, 3, 9), ny(2026, 3, 10), 90),
    ("a shift starting in the repeated hour starts at its first occurrence",
     IN_REPEATED_HOUR_NY, ny(2026, 11, 1), ny(2026, 11, 2), 120),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cal", "start", "end", "minutes"),
    [case[1:] for case in BETWEEN_CASES],
    ids=[case[0] for case in BETWEEN_CASES],
)
def test_business_minutes_between_counts_the_expected_minutes(
    cal: BusinessCalendar, start: datetime, end: datetime, minutes: int
) -> None:
    assert business_minutes_between(cal, start, end) == minutes


OPEN_CASES = [
    ("opening minute is open", DK, cph(2026, 11, 23, 8), True),
    ("the microsecond before opening is closed",
     DK, cph(2026, 11, 23, 8) - timedelta(microseconds=1), False),
    ("the last minute is open", DK, cph(2026, 11, 23, 15, 59), True),
    ("closing time is closed", DK, cph(2026, 11, 23, 16), False),
    ("a public holiday is closed", DK, cph(2026, 12, 25, 10), False),
    ("christmas eve morning is open", DK_CHRISTMAS, cph(2026, 12, 24, 11), True),
    ("christmas eve afternoon is closed", DK_CHRISTMAS, cph(2026, 12, 24, 13), False),
    ("a night shift is open after midnight", NIGHTS_NY, ny(2026, 11, 24, 3), True),
    ("the repeated hour is open in a night shift", NIGHTS_NY, ny(2026, 11, 1, 1, 30, fold=1), True),
    ("sunday morning is open after a saturday night shift",
     SATURDAY_NIGHT_CPH, cph(2026, 11, 22, 5), True),
    ("monday morning is closed after a sunday without shift",
     SATURDAY_NIGHT_CPH, cph(2026, 11, 23, 5), False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cal", "instant", "expected"),
    [case[1:] for case in OPEN_CASES],
    ids=[case[0] for case in OPEN_CASES],
)
def test_is_open_at_tells_working_time(
    cal: BusinessCalendar, instant: datetime, expected: bool
) -> None:
    assert is_open_at(cal, instant) is expected


def test_next_opening_of_an_open_instant_is_that_instant_in_utc() -> None:
    opening = next_opening(DK, cph(2026, 11, 23, 9, 30, 15))
    assert opening == cph(2026, 11, 23, 9, 30, 15)
    assert opening.tzinfo is UTC


def test_next_opening_after_maundy_thursday_is_easter_tuesday() -> None:
    assert next_opening(DK, cph(2026, 4, 2, 10)) == cph(2026, 4, 7, 8)


def test_an_explicit_partial_day_opens_the_desk_on_a_public_holiday() -> None:
    cal = calendar(country="DK", holidays=[{"date": "2026-12-25", "hours": [["10:00", "12:00"]]}])
    assert is_open_at(cal, cph(2026, 12, 25, 11))


def test_us_subdivision_holidays_apply() -> None:
    cal = calendar("America/New_York", country="US", subdivision="NY")
    assert not is_open_at(cal, ny(2026, 7, 3, 10))  # Independence Day observed (Friday)
    assert is_open_at(cal, ny(2026, 7, 2, 10))


# Round trip and construction


FULL_DATA: dict[str, Any] = {
    "timezone": "Europe/Copenhagen",
    "weekly": {
        "mon": [["08:00", "12:00"], ["12:30", "16:30"]],
        "tue": [["08:00", "16:00"]],
        "wed": [],
        "thu": [["00:00", "24:00"]],
        "fri": [["22:00", "06:00"]],
        "sat": [],
        "sun": [["20:00", "24:00"]],
    },
    "holidays": [
        "2026-12-31",
        {"from": "2026-07-06", "to": "2026-07-24"},
        {"date": "2026-12-24", "hours": [["08:00", "12:00"]]},
        {"from": "2027-12-20", "to": "2027-12-22", "hours": [["09:00", "11:00"]]},
    ],
    "country": "DK",
    "subdivision": None,
}


def test_to_dict_gives_back_the_canonical_input() -> None:
    assert BusinessCalendar.from_dict(FULL_DATA).to_dict() == FULL_DATA


def test_from_dict_of_to_dict_is_an_equal_calendar() -> None:
    cal = BusinessCalendar.from_dict(FULL_DATA)
    again = BusinessCalendar.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal
    assert hash(again) == hash(cal)


def test_missing_weekdays_and_holidays_mean_closed_and_none() -> None:
    cal = BusinessCalendar.from_dict({"timezone": "UTC", "weekly": {"mon": [["08:00", "16:00"]]}})
    assert cal.weekly[1:] == ((),) * 6
    assert cal.holidays == ()
    assert cal.country is None


def test_midnight_end_is_written_as_24_00() -> None:
    assert WorkingHours.parse("22:00", "00:00") == WorkingHours.parse("22:00", "24:00")
    assert WorkingHours.parse("22:00", "00:00").as_pair() == ["22:00", "24:00"]


def test_an_end_before_the_start_runs_overnight() -> None:
    assert WorkingHours.parse("22:00", "06:00") == WorkingHours(22 * 60, 30 * 60)


def test_a_calendar_built_in_python_equals_the_one_from_data() -> None:
    built = BusinessCalendar(
        timezone="Europe/Copenhagen",
        weekly=((WorkingHours(480, 960),),) * 5 + ((), ()),
        holidays=(Holiday.on(date(2026, 12, 24), [WorkingHours(480, 720)]),),
    )
    data = calendar(holidays=[{"date": "2026-12-24", "hours": [["08:00", "12:00"]]}])
    assert built == data


def test_a_calendar_is_immutable() -> None:
    with pytest.raises(FrozenInstanceError):
        DK.timezone = "UTC"  # type: ignore[misc]


def test_always_open_is_open_every_minute_of_the_week() -> None:
    cal = BusinessCalendar.always_open()
    assert business_minutes_between(cal, cph(2026, 11, 23), cph(2026, 11, 30)) == 7 * 1440


# Validation


def weekly_data(**days: Any) -> dict[str, Any]:
    return {"timezone": "Europe/Copenhagen", "weekly": days}


INVALID_CASES = [
    ("start equal to end", weekly_data(mon=[["08:00", "08:00"]]), "weekly.mon[0]",
     "starts and ends at the same time"),
    ("midnight to midnight", weekly_data(mon=[["00:00", "00:00"]]), "weekly.mon[0]",
     "starts and ends at the same time"),
    ("overlap on the same day", weekly_data(mon=[["08:00", "12:00"], ["11:00", "13:00"]]),
     "weekly.mon", "mon 11:00-13:00 overlaps mon 08:00-12:00"),
    ("overnight shift into the next day's shift",
     weekly_data(mon=[["22:00", "06:00"]], tue=[["05:00", "10:00"]]), "weekly.tue",
     "tue 05:00-10:00 overlaps mon 22:00-06:00"),
    ("sunday night into monday morning",
     weekly_data(sun=[["22:00", "06:00"]], mon=[["05:00", "10:00"]]), "weekly.mon",
     "overlaps sun 22:00-06:00"),
    ("no working time", weekly_data(), "weekly", "^the calendar has no working time$"),
    ("only closed days", weekly_data(mon=[], sat=[]), "weekly", "the calendar has no working time"),
    ("hour out of range", weekly_data(mon=[["25:00", "26:00"]]), "weekly.mon[0]", "HH:MM"),
    ("time without leading zero", weekly_data(mon=[["8:00", "16:00"]]), "weekly.mon[0]", "HH:MM"),
    ("24:00 as a start", weekly_data(mon=[["24:00", "06:00"]]), "weekly.mon[0]", "HH:MM"),
    ("not a pair", weekly_data(mon=[["08:00"]]), "weekly.mon[0]", "pair"),
    ("day not a list", weekly_data(mon="08:00-16:00"), "weekly.mon", "list"),
    ("unknown weekday", weekly_data(monday=[["08:00", "16:00"]]), "weekly.monday", "weekday"),
    ("weekly missing", {"timezone": "UTC"}, "weekly", "required"),
    ("timezone missing", {"weekly": {"mon": [["08:00", "16:00"]]}}, "timezone", "required"),
    ("unknown timezone", {**weekly_data(mon=[["08:00", "16:00"]]), "timezone": "Mars/Olympus"},
     "timezone", "unknown time zone 'Mars/Olympus'"),
    ("unknown field", {**weekly_data(mon=[["08:00", "16:00"]]), "tz": "UTC"}, "tz", "unknown"),
    ("unknown country", {**weekly_data(mon=[["08:00", "16:00"]]), "country": "XX"}, "country",
     "no public holidays known for 'XX'"),
    ("lower case country", {**weekly_data(mon=[["08:00", "16:00"]]), "country": "dk"}, "country",
     "'dk'"),
    ("unknown subdivision",
     {**weekly_data(mon=[["08:00", "16:00"]]), "country": "US", "subdivision": "ZZ"},
     "subdivision", "US has no subdivision 'ZZ'"),
    ("subdivision without country",
     {**weekly_data(mon=[["08:00", "16:00"]]), "subdivision": "NY"}, "subdivision", "country"),
    ("country not text", {**weekly_data(mon=[["08:00", "16:00"]]), "country": 45}, "country",
     "text"),
    ("holiday not a date", {**weekly_data(mon=[["08:00", "16:00"]]), "holidays": ["2026-02-30"]},
     "holidays[0]", "YYYY-MM-DD"),
    ("holiday range backwards",
     {**weekly_data(mon=[["08:00", "16:00"]]),
      "holidays": [{"from": "2026-12-30", "to": "2026-12-28"}]},
     "holidays[0].to", "before"),
    ("holiday with neither date nor range",
     {**weekly_data(mon=[["08:00", "16:00"]]), "holidays": [{"day": "2026-12-24"}]},
     "holidays[0]", "needs"),
    ("overlapping holidays",
     {**weekly_data(mon=[["08:00", "16:00"]]),
      "holidays": ["2026-12-29", {"from": "2026-12-28", "to": "2026-12-30"}]},
     "holidays", "two holidays cover 2026-12-29"),
    ("overlapping partial day hours",
     {**weekly_data(mon=[["08:00", "16:00"]]),
      "holidays": [{"date": "2026-12-24", "hours": [["08:00", "12:00"], ["09:00", "10:00"]]}]},
     "holidays[0].hours", "overlaps"),
    ("bad partial day time",
     {**weekly_data(mon=[["08:00", "16:00"]]),
      "holidays": [{"date": "2026-12-24", "hours": [["08:00", "12"]]}]},
     "holidays[0].hours[0]", "HH:MM"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [case[1:] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_from_dict_rejects_bad_data_naming_the_field(
    data: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(CalendarError, match=message) as raised:
        BusinessCalendar.from_dict(data)
    assert raised.value.field == field


def test_calendar_error_is_a_value_error() -> None:
    assert issubclass(CalendarError, ValueError)


def test_weekly_needs_seven_days() -> None:
    with pytest.raises(CalendarError, match="needs 7 days"):
        BusinessCalendar(timezone="UTC", weekly=((WorkingHours(480, 960),),))


def test_working_hours_reject_a_day_or_longer() -> None:
    with pytest.raises(CalendarError, match="not a working interval"):
        WorkingHours(480, 480 + 1440)


NAIVE = datetime(2026, 11, 23, 9)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_minutes(DK, NAIVE, 60),
        lambda: business_minutes_between(DK, NAIVE, cph(2026, 11, 24)),
        lambda: business_minutes_between(DK, cph(2026, 11, 22), NAIVE),
        lambda: is_open_at(DK, NAIVE),
        lambda: next_opening(DK, NAIVE),
    ],
    ids=["add", "between start", "between end", "is_open_at", "next_opening"],
)
def test_naive_datetimes_raise_value_error(call: Any) -> None:
    with pytest.raises(ValueError, match="naive"):
        call()


def test_negative_minutes_raise_value_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(DK, cph(2026, 11, 23, 9), -1)


# Invariants


ZONES = ["Europe/Copenhagen", "America/New_York", "Australia/Lord_Howe", "UTC"]
# Clock changes of 2026 in the zones above; instants are drawn around them and across the years.
CLOCK_CHANGES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
]


@st.composite
def quarter_hour_intervals(draw: st.DrawFn) -> list[list[str]]:
    """Zero to two intervals, possibly overnight, on quarter hours (the DST hours included)."""
    points = draw(st.lists(st.integers(0, 95), min_size=0, max_size=4, unique=True))
    points = sorted(points[: len(points) // 2 * 2])
    pairs = [points[index : index + 2] for index in range(0, len(points), 2)]
    if pairs and draw(st.booleans()):
        pairs[-1] = [pairs[-1][1], pairs[0][0]]  # the last one runs into the next day
    return [[f"{q // 4:02d}:{q % 4 * 15:02d}" for q in pair] for pair in pairs]


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    if draw(st.integers(0, 9)) == 0:
        return BusinessCalendar.always_open(draw(st.sampled_from(ZONES)))
    holidays = []
    for first in sorted(draw(st.sets(st.dates(date(2026, 1, 1), date(2028, 12, 1)), max_size=3))):
        hours = draw(st.one_of(st.just([]), quarter_hour_intervals()))
        holidays.append({"date": first.isoformat(), "hours": hours})
    data = {
        "timezone": draw(st.sampled_from(ZONES)),
        "weekly": {day: draw(quarter_hour_intervals()) for day in WEEKDAYS},
        "holidays": holidays,
        "country": draw(st.sampled_from([None, "DK", "US"])),
    }
    try:
        return BusinessCalendar.from_dict(data)
    except CalendarError:
        return draw(st.nothing())


def _minute_instants() -> st.SearchStrategy[datetime]:
    near_clock_change = st.builds(
        lambda change, minutes: change + timedelta(minutes=minutes),
        st.sampled_from(CLOCK_CHANGES),
        st.integers(-3 * 1440, 3 * 1440),
    )
    over_years = st.builds(
        lambda minutes: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes),
        st.integers(0, 3 * 366 * 1440),
    )
    return st.one_of(near_clock_change, over_years)


MINUTE_INSTANTS = _minute_instants()
ANY_INSTANTS = st.builds(
    lambda instant, microseconds: instant + timedelta(microseconds=microseconds),
    MINUTE_INSTANTS,
    st.integers(0, 60_000_000 - 1),
)
MINUTES = st.integers(0, 3000)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)


@PROPERTY_SETTINGS
@given(calendars(), ANY_INSTANTS, MINUTES)
def test_a_due_time_is_open_or_the_exact_end_of_a_working_interval(
    cal: BusinessCalendar, start: datetime, minutes: int
) -> None:
    due = add_business_minutes(cal, start, minutes)
    if minutes == 0:
        assert is_open_at(cal, due)
    else:
        assert is_open_at(cal, due) or is_open_at(cal, due - timedelta(microseconds=1))


@PROPERTY_SETTINGS
@given(calendars(), ANY_INSTANTS, MINUTES)
def test_the_minutes_between_start_and_due_time_are_the_minutes_added(
    cal: BusinessCalendar, start: datetime, minutes: int
) -> None:
    due = add_business_minutes(cal, start, minutes)
    assert business_minutes_between(cal, start, due) == minutes


@PROPERTY_SETTINGS
@given(calendars(), MINUTE_INSTANTS, st.integers(0, 4 * 1440))
def test_adding_the_minutes_between_reaches_the_end_or_its_next_opening(
    cal: BusinessCalendar, start: datetime, span: int
) -> None:
    end = start + timedelta(minutes=span)
    due = add_business_minutes(cal, start, business_minutes_between(cal, start, end))
    assert due <= next_opening(cal, end)
    assert next_opening(cal, due) == next_opening(cal, end)


@PROPERTY_SETTINGS
@given(calendars(), ANY_INSTANTS, MINUTES, MINUTES)
def test_more_minutes_never_give_an_earlier_due_time(
    cal: BusinessCalendar, start: datetime, fewer: int, more: int
) -> None:
    fewer, more = sorted((fewer, more))
    assert add_business_minutes(cal, start, fewer) <= add_business_minutes(cal, start, more)


@PROPERTY_SETTINGS
@given(calendars(), ANY_INSTANTS, st.integers(0, 4 * 1440 * 60_000_000), MINUTES)
def test_a_later_start_never_gives_an_earlier_due_time(
    cal: BusinessCalendar, earlier: datetime, delay_us: int, minutes: int
) -> None:
    later = earlier + timedelta(microseconds=delay_us)
    assert add_business_minutes(cal, earlier, minutes) <= add_business_minutes(cal, later, minutes)


@PROPERTY_SETTINGS
@given(calendars(), MINUTE_INSTANTS, st.integers(0, 3 * 1440), st.integers(0, 3 * 1440))
def test_minutes_between_add_up_over_a_split_point(
    cal: BusinessCalendar, start: datetime, first_span: int, second_span: int
) -> None:
    split = start + timedelta(minutes=first_span)
    end = split + timedelta(minutes=second_span)
    assert business_minutes_between(cal, start, split) + business_minutes_between(
        cal, split, end
    ) == business_minutes_between(cal, start, end)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(calendars(), MINUTE_INSTANTS, st.integers(0, 1500))
def test_minutes_between_equal_the_open_minutes_counted_one_by_one(
    cal: BusinessCalendar, start: datetime, span: int
) -> None:
    open_minutes = sum(is_open_at(cal, start + timedelta(minutes=k)) for k in range(span))
    assert business_minutes_between(cal, start, start + timedelta(minutes=span)) == open_minutes


@PROPERTY_SETTINGS
@given(calendars())
def test_to_dict_round_trips_any_valid_calendar(cal: BusinessCalendar) -> None:
    assert BusinessCalendar.from_dict(json.loads(json.dumps(cal.to_dict()))) == cal
