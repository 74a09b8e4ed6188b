from decimal import Decimal

import pytest

from helpline.timetrack import cost


@pytest.mark.parametrize(
    ("minutes", "rate", "expected"),
    [
        (60, "50.00", "50.00"),
        (30, "50.00", "25.00"),
        (1, "50.00", "0.83"),
        (7, "45.50", "5.31"),
        (1440, "100.00", "2400.00"),
        (45, "0.00", "0.00"),
    ],
)
def test_an_entry_costs_minutes_times_the_hourly_rate_in_cents(minutes, rate, expected):
    assert cost.entry_cost(minutes, Decimal(rate)) == Decimal(expected)


def test_the_agent_rate_overrides_the_level_rate():
    assert cost.pick_rate(agent_rate=Decimal("80"), level_rate=Decimal("40")) == Decimal("80")
    assert cost.pick_rate(agent_rate=None, level_rate=Decimal("40")) == Decimal("40")
    assert cost.pick_rate(agent_rate=None, level_rate=None) == Decimal("0.00")


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 1), (1, 1), (59, 1), (60, 1), (61, 2), (3600, 60), (-5, 1)]
)
def test_a_timer_logs_whole_minutes_rounded_up(seconds, minutes):
    assert cost.minutes_between(seconds) == minutes


@pytest.mark.parametrize(
    ("minutes", "ok"),
    [
        (1, True),
        (1440, True),
        (0, False),
        (-3, False),
        (1441, False),
        (2.5, False),
        ("30", False),
        (True, False),
    ],
)
def test_minutes_must_be_whole_and_within_a_day(minutes, ok):
    assert (cost.check_minutes(minutes) is None) is ok
