"""The SLA clock of one ticket (helpline.sla.engine): pure, no database.

The calendar is Mon-Fri 08:00-16:00 UTC, so business minutes are easy to count by hand.
Monday 2026-11-16 is the first day of the working week used throughout.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.sla.calendar import BusinessCalendar, add_business_minutes, business_minutes_between
from helpline.sla.engine import (
    TARGETS,
    Clock,
    Status,
    Targets,
    TargetState,
    TargetStatus,
    evaluate,
    pause,
    resume,
)

OFFICE = BusinessCalendar.from_dict(
    {
        "timezone": "UTC",
        "weekly": {day: [["08:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    }
)
# first response 1 h, next response 2 h, resolution one working day; warn at 75 %
TARGETS_ = Targets(first_response=60, next_response=120, resolution=480, warning_percent=75)
OK, WARNING, BREACHED, MET, NONE = (
    TargetState.OK,
    TargetState.WARNING,
    TargetState.BREACHED,
    TargetState.MET,
    TargetState.NONE,
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2026, UTC (the 16th is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


CREATED = at(16, 9)  # Monday 09:00
FRESH = Clock(created_at=CREATED)


def states(status: Status) -> tuple[TargetState, TargetState, TargetState]:
    return status.first_response.state, status.next_response.state, status.resolution.state


# --- states ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "first_response", "resolution"),
    [
        (at(16, 9), OK, OK),
        (at(16, 9, 44), OK, OK),
        (at(16, 9, 45), WARNING, OK),  # 75 % of 60 minutes
        (at(16, 9, 59), WARNING, OK),
        (at(16, 10), BREACHED, OK),
        (at(16, 14, 59), BREACHED, OK),
        (at(16, 15), BREACHED, WARNING),  # 360 of 480 minutes
        (at(17, 8, 59), BREACHED, WARNING),  # overnight is not working time
        (at(17, 9), BREACHED, BREACHED),
    ],
)
def test_a_running_target_is_ok_then_warning_then_breached(now, first_response, resolution):
    status = evaluate(FRESH, TARGETS_, OFFICE, now)
    assert status.first_response.state is first_response
    assert status.resolution.state is resolution


def test_due_and_warning_times_are_counted_in_business_minutes_from_creation():
    status = evaluate(FRESH, TARGETS_, OFFICE, at(16, 9))
    assert status.first_response == TargetStatus(OK, due_at=at(16, 10), warn_at=at(16, 9, 45))
    # 480 minutes from Monday 09:00 run to 16:00 (420) and on Tuesday 08:00-09:00.
    assert status.resolution == TargetStatus(OK, due_at=at(17, 9), warn_at=at(16, 15))


@pytest.mark.parametrize(
    ("first_response_at", "state"),
    [(at(16, 9, 10), MET), (at(16, 9, 50), MET), (at(16, 10), MET), (at(16, 10, 1), BREACHED)],
)
def test_a_met_target_is_met_in_time_and_breached_when_late(first_response_at, state):
    clock = replace(FRESH, first_response_at=first_response_at)
    status = evaluate(clock, TARGETS_, OFFICE, at(18, 12))
    assert status.first_response.state is state
    assert status.first_response.due_at == at(16, 10)


def test_a_resolution_given_late_stays_breached():
    clock = replace(FRESH, first_response_at=at(16, 9, 5), resolved_at=at(17, 10))
    status = evaluate(pause(clock, at(17, 10)), TARGETS_, OFFICE, at(17, 10))
    assert status.resolution.state is BREACHED


@pytest.mark.parametrize(
    ("percent", "warn_at"),
    [(50, at(16, 9, 30)), (75, at(16, 9, 45)), (90, at(16, 9, 54)), (98, at(16, 9, 59))],
)
def test_the_warning_comes_when_the_policys_share_of_the_target_has_elapsed(percent, warn_at):
    targets = replace(TARGETS_, warning_percent=percent)
    status = evaluate(FRESH, targets, OFFICE, CREATED)
    assert status.first_response.warn_at == warn_at
    just_before = warn_at - timedelta(seconds=1)
    assert evaluate(FRESH, targets, OFFICE, just_before).first_response.state is OK
    assert evaluate(FRESH, targets, OFFICE, warn_at).first_response.state is WARNING


def test_a_warning_share_that_is_not_a_whole_minute_rounds_up():
    targets = Targets(first_response=10, next_response=None, resolution=None, warning_percent=75)
    status = evaluate(FRESH, targets, OFFICE, CREATED)
    assert status.first_response.warn_at == at(16, 9, 8)  # 7.5 minutes → 8


def test_a_missing_target_has_no_state_and_no_due_time():
    targets = Targets(first_response=None, next_response=None, resolution=480)
    status = evaluate(FRESH, targets, OFFICE, at(20, 12))
    assert status.first_response == TargetStatus(NONE, None, None)
    assert status.resolution.state is BREACHED


# --- pause and resume -----------------------------------------------------------------------


def test_pause_then_resume_adds_exactly_the_business_minutes_stopped():
    # Monday 15:00 to Tuesday 10:00: 60 minutes on Monday, 120 on Tuesday, none overnight.
    clock = resume(pause(FRESH, at(16, 15)), OFFICE, at(17, 10))
    assert clock.paused_minutes == 180
    assert clock.paused_since is None
    assert evaluate(clock, TARGETS_, OFFICE, at(17, 10)).resolution.due_at == at(17, 12)


def test_pauses_add_up():
    clock = resume(pause(FRESH, at(16, 10)), OFFICE, at(16, 11))
    clock = resume(pause(clock, at(16, 14)), OFFICE, at(17, 9))
    assert clock.paused_minutes == 60 + 120 + 60


def test_a_pause_outside_working_hours_adds_nothing():
    clock = resume(pause(FRESH, at(20, 16)), OFFICE, at(23, 8))  # Friday close to Monday open
    assert clock.paused_minutes == 0


def test_pausing_a_paused_clock_keeps_the_first_pause_and_resuming_a_running_one_is_a_no_op():
    paused = pause(FRESH, at(16, 10))
    assert pause(paused, at(16, 12)) == paused
    assert resume(FRESH, OFFICE, at(16, 12)) == FRESH


@pytest.mark.parametrize("now", [at(16, 9, 50), at(16, 12), at(18, 12), at(30, 12)])
def test_a_stopped_clock_never_warns_or_breaches(now):
    stopped = pause(FRESH, at(16, 9, 30))  # first response ok, 30 of 60 minutes used
    status = evaluate(stopped, TARGETS_, OFFICE, now)
    assert states(status) == (OK, NONE, OK)
    assert status.stopped


@pytest.mark.parametrize("now", [at(17, 8, 30), at(17, 12), at(30, 12)])
def test_a_stopped_clock_keeps_a_warning_or_breach_it_had_when_it_stopped(now):
    # Stopped on Tuesday 08:30: first response breached, resolution in warning (450 of 480).
    stopped = pause(FRESH, at(17, 8, 30))
    status = evaluate(stopped, TARGETS_, OFFICE, now)
    assert states(status) == (BREACHED, NONE, WARNING)


def test_resuming_after_a_pause_continues_from_the_state_it_stopped_in():
    before = evaluate(FRESH, TARGETS_, OFFICE, at(17, 8, 30))
    clock = resume(pause(FRESH, at(17, 8, 30)), OFFICE, at(19, 8, 30))
    after = evaluate(clock, TARGETS_, OFFICE, at(19, 8, 30))
    assert states(after) == states(before) == (BREACHED, NONE, WARNING)
    assert after.resolution.due_at == at(19, 9)


def test_while_stopped_the_due_time_shown_is_as_if_the_clock_restarted_now():
    stopped = pause(FRESH, at(16, 9, 30))
    status = evaluate(stopped, TARGETS_, OFFICE, at(17, 9, 30))  # 480 minutes stopped so far
    assert status.first_response.due_at == at(17, 10)
    assert status.resolution.due_at == at(18, 9)


def test_a_response_given_while_the_clock_is_stopped_is_in_time_if_it_was_when_it_stopped():
    # Stopped at 09:30 with 30 minutes of the hour left; the reply comes at 11:00.
    clock = replace(pause(FRESH, at(16, 9, 30)), first_response_at=at(16, 11))
    status = evaluate(clock, TARGETS_, OFFICE, at(17, 12))
    assert status.first_response.state is MET
    assert status.first_response.due_at == at(16, 11, 30)


def test_a_late_response_stays_breached_however_long_the_clock_stops_afterwards():
    clock = replace(FRESH, first_response_at=at(16, 10, 30))  # half an hour late
    clock = pause(clock, at(16, 11))
    for now in (at(16, 12), at(18, 12), at(30, 12)):
        assert evaluate(clock, TARGETS_, OFFICE, now).first_response.state is BREACHED


def test_a_late_resolution_stays_breached_while_the_ticket_stays_resolved():
    clock = replace(FRESH, first_response_at=at(16, 9, 5), resolved_at=at(17, 10))
    clock = pause(clock, at(17, 10))
    for now in (at(17, 11), at(20, 15), at(30, 15)):
        assert evaluate(clock, TARGETS_, OFFICE, now).resolution.state is BREACHED


def test_a_resolution_in_time_stays_met_and_keeps_its_due_time_while_resolved():
    clock = replace(FRESH, first_response_at=at(16, 9, 5), resolved_at=at(16, 14))
    clock = pause(clock, at(16, 14))
    for now in (at(16, 15), at(25, 12)):
        status = evaluate(clock, TARGETS_, OFFICE, now)
        assert status.resolution == TargetStatus(MET, due_at=at(17, 9), warn_at=at(16, 15))


# --- next check -----------------------------------------------------------------------------


def test_the_next_check_is_the_earliest_warning_while_everything_is_ok():
    assert evaluate(FRESH, TARGETS_, OFFICE, CREATED).next_check_at() == at(16, 9, 45)


def test_the_next_check_is_the_due_time_of_a_target_in_warning():
    assert evaluate(FRESH, TARGETS_, OFFICE, at(16, 9, 50)).next_check_at() == at(16, 10)


def test_the_next_check_skips_met_and_breached_targets():
    assert evaluate(FRESH, TARGETS_, OFFICE, at(16, 10)).next_check_at() == at(16, 15)
    answered = replace(FRESH, first_response_at=at(16, 9, 10))
    assert evaluate(answered, TARGETS_, OFFICE, at(16, 9, 10)).next_check_at() == at(16, 15)


def test_there_is_no_next_check_when_nothing_can_change_by_time_alone():
    assert evaluate(FRESH, TARGETS_, OFFICE, at(17, 9)).next_check_at() is None
    no_targets = Targets(None, None, None)
    assert evaluate(FRESH, no_targets, OFFICE, CREATED).next_check_at() is None


def test_there_is_no_next_check_while_the_clock_is_stopped():
    stopped = pause(FRESH, at(16, 9, 30))
    assert evaluate(stopped, TARGETS_, OFFICE, at(16, 9, 30)).next_check_at() is None


# --- next response --------------------------------------------------------------------------


def test_the_next_response_target_runs_from_the_unanswered_customer_message():
    clock = replace(FRESH, first_response_at=at(16, 9, 10), awaiting_reply_since=at(16, 13))
    status = evaluate(clock, TARGETS_, OFFICE, at(16, 13))
    assert status.next_response == TargetStatus(OK, due_at=at(16, 15), warn_at=at(16, 14, 30))
    assert status.next_check_at() == at(16, 14, 30)
    assert evaluate(clock, TARGETS_, OFFICE, at(16, 15)).next_response.state is BREACHED


def test_the_next_response_target_continues_on_the_next_working_day():
    clock = replace(FRESH, first_response_at=at(16, 9, 10), awaiting_reply_since=at(16, 15, 30))
    status = evaluate(clock, TARGETS_, OFFICE, at(16, 15, 30))
    assert status.next_response.due_at == at(17, 9, 30)


def test_a_pause_after_the_customer_message_does_not_count_against_the_next_response():
    clock = replace(FRESH, first_response_at=at(16, 9, 10), awaiting_reply_since=at(16, 13))
    # Stopped at 14:00 with an hour of the two used, until Tuesday 10:00 (240 minutes).
    clock = resume(pause(clock, at(16, 14)), OFFICE, at(17, 10))
    status = evaluate(clock, TARGETS_, OFFICE, at(17, 10))
    assert status.next_response == TargetStatus(OK, due_at=at(17, 11), warn_at=at(17, 10, 30))


def test_a_customer_message_during_a_pause_starts_its_clock_when_the_pause_ends():
    clock = pause(replace(FRESH, first_response_at=at(16, 9, 10)), at(16, 12))
    clock = replace(clock, awaiting_reply_since=at(16, 14))
    assert evaluate(clock, TARGETS_, OFFICE, at(17, 12)).next_response.state is OK
    clock = resume(clock, OFFICE, at(17, 9))
    assert clock.awaiting_reply_since == at(17, 9)
    assert evaluate(clock, TARGETS_, OFFICE, at(17, 9)).next_response.due_at == at(17, 11)


def test_there_is_no_next_response_target_while_no_customer_message_waits():
    clock = replace(FRESH, first_response_at=at(16, 9, 10))
    assert evaluate(clock, TARGETS_, OFFICE, at(16, 12)).next_response.state is NONE


# --- invariants -----------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
minutes = st.integers(min_value=0, max_value=20_000)
targets = st.builds(
    Targets,
    first_response=st.none() | st.integers(1, 5_000),
    next_response=st.none() | st.integers(1, 5_000),
    resolution=st.none() | st.integers(1, 20_000),
    warning_percent=st.integers(1, 99),
)


@given(created=instants, paused=minutes, targets=targets, later=minutes)
def test_no_due_time_falls_before_the_ticket_was_created(created, paused, targets, later):
    clock = Clock(created_at=created, paused_minutes=paused, awaiting_reply_since=created)
    status = evaluate(clock, targets, OFFICE, created + timedelta(minutes=later))
    for name in TARGETS:
        target: TargetStatus = getattr(status, name)
        if target.due_at is not None:
            assert target.due_at >= created
            assert target.warn_at is not None
            assert created <= target.warn_at <= target.due_at


@given(created=instants, paused=minutes, more=minutes, targets=targets)
def test_due_times_never_move_earlier_when_paused_minutes_grow(created, paused, more, targets):
    now = created + timedelta(days=1)
    before = evaluate(Clock(created_at=created, paused_minutes=paused), targets, OFFICE, now)
    after = evaluate(Clock(created_at=created, paused_minutes=paused + more), targets, OFFICE, now)
    for name in ("first_response", "resolution"):
        old, new = getattr(before, name), getattr(after, name)
        if old.due_at is not None:
            assert new.due_at >= old.due_at
            assert business_minutes_between(OFFICE, old.due_at, new.due_at) == more


@given(created=instants, stop_after=minutes, stopped_for=minutes, targets=targets)
def test_a_pause_never_changes_a_state(created, stop_after, stopped_for, targets):
    stop = add_business_minutes(OFFICE, created, stop_after)
    clock = Clock(created_at=created, awaiting_reply_since=created)
    when_stopped = evaluate(clock, targets, OFFICE, stop)
    later = add_business_minutes(OFFICE, stop, stopped_for)
    assert states(evaluate(pause(clock, stop), targets, OFFICE, later)) == states(when_stopped)
    resumed = resume(pause(clock, stop), OFFICE, later)
    assert states(evaluate(resumed, targets, OFFICE, later)) == states(when_stopped)
