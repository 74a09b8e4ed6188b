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
    # The start of the next-response target: the customer message not yet answered, moved on
    # by the business minutes the clock stopped after it (see ``resume``).
    awaiting_reply_since: datetime | None = None
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
    """Restart the clock, adding the business minutes it was stopped for.

    A customer message still waiting for an answer has its start moved on by the minutes
    stopped after it arrived, so the next-response target does not count the pause either.
    """
    if clock.paused_since is None:
        return clock
    stopped = business_minutes_between(calendar, clock.paused_since, at)
    waiting = clock.awaiting_reply_since
    if waiting is not None:
        stopped_since_message = business_minutes_between(
            calendar, max(waiting, clock.paused_since), at
        )
        if stopped_since_message:
            waiting = add_business_minutes(calendar, waiting, stopped_since_message)
    return replace(
        clock,
        paused_minutes=clock.paused_minutes + stopped,
        paused_since=None,
        awaiting_reply_since=waiting,
    )


def _target(
    calendar: BusinessCalendar,
    *,
    start: datetime | None,
    minutes: int | None,
    paused: int,
    paused_now: int,
    met_at: datetime | None,
    paused_at_met: int,
    warning_percent: int,
    judged_at: datetime,
) -> TargetStatus:
    """One target. ``paused`` are the minutes stopped before ``judged_at`` (the state is judged
    against them), ``paused_now`` those up to now (the due time shown while stopped), and
    ``paused_at_met`` those up to ``met_at``."""
    if start is None or minutes is None:
        return _NO_TARGET
    warn_minutes = math.ceil(minutes * warning_percent / 100)

    def due_and_warn(stopped: int) -> tuple[datetime, datetime]:
        return (
            add_business_minutes(calendar, start, minutes + stopped),
            add_business_minutes(calendar, start, warn_minutes + stopped),
        )

    if met_at is not None:
        due, warn = due_and_warn(paused_at_met)
        return TargetStatus(TargetState.MET if met_at <= due else TargetState.BREACHED, due, warn)
    due, warn = due_and_warn(paused)
    if judged_at >= due:
        state = TargetState.BREACHED
    elif judged_at >= warn:
        state = TargetState.WARNING
    else:
        state = TargetState.OK
    if paused_now != paused:
        due, warn = due_and_warn(paused_now)
    return TargetStatus(state, due, warn)


def evaluate(clock: Clock, targets: Targets, calendar: BusinessCalendar, now: datetime) -> Status:
    """Due times and states of the three targets at ``now``.

    While the clock is stopped, states are judged as at the moment it stopped, against the due
    times of that moment: a pause can neither warn or breach nor take a warning or a breach
    back. The due times shown are those the targets would have if the clock restarted ``now``.

    A target met while the clock was stopped is judged with the minutes stopped up to then.
    The engine cannot tell pauses before a target was met from pauses after it, so callers keep
    a met (or late) target as it was first judged (``sla.services.sla_refresh`` does).
    """
    since = clock.paused_since
    judged_at = now if since is None else min(now, since)

    def stopped_between(start: datetime | None, end: datetime) -> int:
        """Minutes of the current pause that fall between ``start`` and ``end``."""
        if since is None or end <= since:
            return 0
        return business_minutes_between(calendar, max(since, start or since), end)

    percent = targets.warning_percent
    paused = clock.paused_minutes
    paused_now = paused + stopped_between(None, now)
    responded, resolved = clock.first_response_at, clock.resolved_at
    first = _target(
        calendar,
        start=clock.created_at,
        minutes=targets.first_response,
        paused=paused,
        paused_now=paused_now,
        met_at=responded,
        paused_at_met=paused + stopped_between(None, responded) if responded else 0,
        warning_percent=percent,
        judged_at=judged_at,
    )
    # The next-response clock starts at the customer's message and only pauses after it count:
    # ``resume`` moved its start on by each finished one; the current one counts here.
    waiting = clock.awaiting_reply_since
    following = _target(
        calendar,
        start=waiting,
        minutes=targets.next_response,
        paused=0,
        paused_now=stopped_between(waiting, now) if waiting else 0,
        met_at=None,
        paused_at_met=0,
        warning_percent=percent,
        judged_at=judged_at,
    )
    resolution = _target(
        calendar,
        start=clock.created_at,
        minutes=targets.resolution,
        paused=paused,
        paused_now=paused_now,
        met_at=resolved,
        paused_at_met=paused + stopped_between(None, resolved) if resolved else 0,
        warning_percent=percent,
        judged_at=judged_at,
    )
    return Status(first, following, resolution, stopped=since is not None)
