"""The calendar in words (pure, no database)."""

from __future__ import annotations

import pytest

from helpline.sla.calendar import BusinessCalendar
from helpline.sla.wording import country_name, describe_calendar

OFFICE = {"mon": [["08:00", "16:00"]], "tue": [["08:00", "16:00"]], "wed": [["08:00", "16:00"]],
          "thu": [["08:00", "16:00"]], "fri": [["08:00", "16:00"]]}  # fmt: skip


def words(**data: object) -> str:
    return describe_calendar(BusinessCalendar.from_dict({"timezone": "UTC", **data}))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"timezone": "Europe/Copenhagen", "weekly": OFFICE, "country": "DK"},
            "Monday to Friday 08:00–16:00 (Europe/Copenhagen), closed on Danish public holidays.",
        ),
        (
            {
                "weekly": {
                    d: [["00:00", "24:00"]]
                    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                }
            },
            "Around the clock, every day (UTC).",
        ),
        (
            {"weekly": {**OFFICE, "sat": [["10:00", "14:00"]]}},
            "Monday to Friday 08:00–16:00; Saturday 10:00–14:00 (UTC).",
        ),
        (
            {
                "weekly": {
                    "mon": [["08:00", "12:00"], ["12:30", "16:30"]],
                    "tue": [["08:00", "12:00"], ["12:30", "16:30"]],
                }
            },
            "Monday and Tuesday 08:00–12:00 and 12:30–16:30 (UTC).",
        ),
        (
            {"weekly": {"sun": [["22:00", "06:00"]]}},
            "Sunday 22:00–06:00 (UTC).",
        ),
        (
            {
                "weekly": OFFICE,
                "country": "DK",
                "holidays": [{"from": "2026-12-24", "to": "2026-12-26"}, "2026-12-31"],
            },
            "Monday to Friday 08:00–16:00 (UTC), closed on Danish public holidays and also on "
            "24 Dec 2026 to 26 Dec 2026, 31 Dec 2026.",
        ),
        (
            {"weekly": OFFICE, "holidays": [{"date": "2026-12-24", "hours": [["08:00", "12:00"]]}]},
            "Monday to Friday 08:00–16:00 (UTC); reduced hours on 24 Dec 2026 (open 08:00–12:00 "
            "only).",
        ),
        (
            {"weekly": OFFICE, "country": "US", "subdivision": "CA"},
            "Monday to Friday 08:00–16:00 (UTC), closed on public holidays in United States "
            "(US-CA).",
        ),
        (
            {"weekly": OFFICE, "country": "AR"},
            "Monday to Friday 08:00–16:00 (UTC), closed on public holidays in Argentina.",
        ),
    ],
)
def test_a_calendar_reads_as_one_sentence(data, expected):
    assert words(**data) == expected


def test_an_unknown_country_code_is_named_by_its_code():
    assert country_name("QQ") == "QQ"
