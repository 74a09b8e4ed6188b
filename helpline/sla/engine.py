"""The SLA clock of one ticket. Pure: no ORM; the services feed it plain values.

A ticket's SLA has three targets, each a number of business minutes of the policy's calendar:
first response (from creation to the first public agent reply), next response (from each
customer message to the next agent reply) and resolution (from creation to resolved). The
clock stops while the ticket waits on the customer (``pending``), while it is resolved or
closed, and while it is on hold if the policy says so; the business minutes spent stopped are
added to the due times, so a pause never counts against the desk.

    due(target) = add_business_minutes(calendar, start, target + paused_minutes)

Each target is in one state: ``ok`` → ``warning`` (a share of the target has elapsed) →
``breached`` (the due time has passed), or ``met`` when it was achieved in time. A target met
late stays ``breached``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from helpline.sla.calendar import BusinessCalendar, add_business_minutes, business_minutes_between


class TargetState(StrEnum):
    NONE = ""  # no target for this ticket (no policy, or the policy has none)
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"

    @property
    def label(self) -> str:
        return self.value.capitalize() if self.value else "—"


TARGETS = ("first_response", "next_response", "resolution")


@dataclass(frozen=True)
class Targets:
    """Business minutes allowed for each target; None means no target."""

    first_response: int | None
    next_response: int | None
    resolution: int | None
    warning_percent: int = 75


@dataclass(frozen=True)
class Clock:
    """The SLA-relevant facts about one ticket."""

    created_at: datetime
    paused_minutes: int = 0
    paused_since: datetime | None = None  # set while the clock is stopped
    first_response_at: datetime | None = None
    awaiting_reply_since: datetime | None = None  # customer message not yet answered
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class TargetStatus:
    state: TargetState
    due_at: datetime | None
    warn_at: datetime | None


@dataclass(frozen=True)
class Status:
    first_response: TargetStatus
    next_response: TargetStatus
    resolution: TargetStatus
    stopped: bool = False

    def next_check_at(self) -> datetime | None:
        """The earliest instant at which a state may change by time alone (None while the
        clock is stopped: then nothing changes until it restarts)."""
        if self.stopped:
            return None
        instants = []
        for name in TARGETS:
            target: TargetStatus = getattr(self, name)
            if target.state is TargetState.OK and target.warn_at is not None:
                instants.append(target.warn_at)
            elif target.state is TargetState.WARNING and target.due_at is not None:
                instants.append(target.due_at)
        return min(instants, default=None)


_NO_TARGET = TargetStatus(TargetState.NONE, None, None)


def pause(clock: Clock, at: datetime) -> Clock:
    """Stop the clock at ``at`` (no-op if stopped)."""
    return clock if clock.paused_since is not None else replace(clock, paused_since=at)


def resume(clock: Clock, calendar: BusinessCalendar, at: datetime) -> Clock:
    """Restart the clock, adding the business minutes it was stopped for."""
    if clock.paused_since is None:
        return clock
    stopped = business_minutes_between(calendar, clock.paused_since, at)
    return replace(clock, paused_minutes=clock.paused_minutes + stopped, paused_since=None)


def _target(
    calendar: BusinessCalendar,
    *,
    start: datetime | None,
    minutes: int | None,
    paused: int,
    met_at: datetime | None,
    warning_percent: int,
    now: datetime,
) -> TargetStatus:
    if start is None or minutes is None:
        return _NO_TARGET
    due = add_business_minutes(calendar, start, minutes + paused)
    warn = add_business_minutes(
        calendar, start, math.ceil(minutes * warning_percent / 100) + paused
    )
    if met_at is not None:
        state = TargetState.MET if met_at <= due else TargetState.BREACHED
        return TargetStatus(state, due, warn)
    if now >= due:
        return TargetStatus(TargetState.BREACHED, due, warn)
    if now >= warn:
        return TargetStatus(TargetState.WARNING, due, warn)
    return TargetStatus(TargetState.OK, due, warn)


def evaluate(clock: Clock, targets: Targets, calendar: BusinessCalendar, now: datetime) -> Status:
    """Due times and states of the three targets at ``now``.

    While the clock is stopped, states are those at the moment it stopped (a pause cannot
    warn or breach) and due times are shown as if the clock restarted ``now``.
    """
    paused = clock.paused_minutes
    evaluated_at = now
    if clock.paused_since is not None:
        paused += business_minutes_between(calendar, clock.paused_since, now)
        evaluated_at = min(now, clock.paused_since)
    percent = targets.warning_percent
    first = _target(
        calendar,
        start=clock.created_at,
        minutes=targets.first_response,
        paused=paused,
        met_at=clock.first_response_at,
        warning_percent=percent,
        now=evaluated_at,
    )
    # The next-response clock starts at the customer's message, which restarts the ticket.
    following = _target(
        calendar,
        start=clock.awaiting_reply_since,
        minutes=targets.next_response,
        paused=0,
        met_at=None,
        warning_percent=percent,
        now=evaluated_at,
    )
    resolution = _target(
        calendar,
        start=clock.created_at,
        minutes=targets.resolution,
        paused=paused,
        met_at=clock.resolved_at,
        warning_percent=percent,
        now=evaluated_at,
    )
    return Status(first, following, resolution, stopped=clock.paused_since is not None)
