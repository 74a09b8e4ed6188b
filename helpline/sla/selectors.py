"""Reads of SLA configuration and of a ticket's SLA as people see it.

Pages and API responses show the SLA of many tickets at once; everything here reads the
policies (and their calendars) once per request or page, never once per ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch, QuerySet

from helpline.core.configcache import ConfigCache
from helpline.sla import engine
from helpline.sla.calendar import BusinessCalendar, business_minutes_between
from helpline.sla.models import Calendar, Policy, Target
from helpline.tickets.models import Ticket

POLICY_NAMES_KEY = "sla:policy-names"
POLICY_NAMES_SECONDS = 300

TARGET_LABELS = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}


# --- configuration ----------------------------------------------------------------------------


def policy_list() -> list[Policy]:
    """Every policy with its calendar and targets (three queries whatever the count)."""
    return list(
        Policy.objects.select_related("calendar")
        .prefetch_related(Prefetch("targets", queryset=Target.objects.order_by("id")))
        .order_by("name")
    )


def policy_get(policy_id: int) -> Policy | None:
    return policy_queryset().filter(pk=policy_id).first()


def policy_queryset() -> QuerySet[Policy]:
    return Policy.objects.select_related("calendar").prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("id"))
    )


def public_policy_list() -> list[Policy]:
    """The policies customers may read about, for the public SLA page."""
    return [policy for policy in policy_list() if policy.is_public]


def calendar_list() -> list[Calendar]:
    return list(Calendar.objects.order_by("name"))


def policy_names() -> dict[int, str]:
    """Policy id → name, from the cache (one query when the cache is cold).

    The ticket JSON names its policy; reading the name through this cache keeps a page of
    tickets from costing a query each. Writes to a policy clear the cache (see ``apps``).
    """
    names = cache.get(POLICY_NAMES_KEY)
    if names is None:
        names = dict(Policy.objects.values_list("pk", "name"))
        cache.set(POLICY_NAMES_KEY, names, POLICY_NAMES_SECONDS)
    return names


def policy_name(policy_id: int) -> str:
    """The name of a policy; reads the database again when the cache does not know the id."""
    name = policy_names().get(policy_id)
    if name is None:
        forget_policy_names()
        name = policy_names().get(policy_id, "")
    return name


def forget_policy_names(**_: Any) -> None:
    """Clear the name cache now and again after commit (other processes read committed rows)."""
    cache.delete(POLICY_NAMES_KEY)
    transaction.on_commit(lambda: cache.delete(POLICY_NAMES_KEY))


# --- a ticket's SLA as shown --------------------------------------------------------------------


@dataclass(frozen=True)
class TargetView:
    """One target of a ticket, ready to display."""

    name: str  # first_response | next_response | resolution
    label: str
    state: str  # ok | warning | breached | met | "" (no target)
    due_at: datetime | None
    met_at: datetime | None
    minutes_left: int | None  # business minutes until due; None when met, paused or no target

    @property
    def is_open(self) -> bool:
        return self.state in ("ok", "warning", "breached") and self.met_at is None


@dataclass(frozen=True)
class TicketSla:
    policy: Policy | None
    targets: list[TargetView]
    paused: bool
    paused_since: datetime | None
    paused_status: str  # the status that stopped the clock, "" when running
    paused_minutes: int

    @property
    def nearest(self) -> TargetView | None:
        """The open target due first (what a queue row shows)."""
        open_targets = [t for t in self.targets if t.is_open and t.due_at is not None]
        return min(open_targets, key=lambda t: t.due_at or _far_future(), default=None)


def _far_future() -> datetime:
    return datetime.max.replace(tzinfo=UTC)


def _load_policies() -> tuple[dict[int, Policy], int | None]:
    """Every policy with its calendar and targets, and the default policy's id."""
    policies = {
        policy.pk: policy
        for policy in Policy.objects.select_related("calendar").prefetch_related("targets")
    }
    default = Policy.objects.filter(is_default=True).values_list("pk", flat=True).first()
    return policies, default


_policies = ConfigCache("sla-policies", _load_policies, models=[Policy, Calendar, Target])


def cached_policies() -> tuple[dict[int, Policy], int | None]:
    """Every policy by id, with its calendar and targets, and the default policy's id, from
    the per-process configuration cache (``helpline.core.configcache``). The instances are
    shared: read them, never change them."""
    return _policies.get()


def forget_policies() -> None:
    """Drop the cached policies (one was created in another process since they were read)."""
    _policies.clear()


class PolicyCache:
    """The policies and their business calendars for every ticket of a page, from the
    per-process configuration cache (``cached_policies``). Build one per request
    (``for_request``), so that a page reads one set of policies."""

    def __init__(self) -> None:
        self._policies: dict[int, Policy] | None = None

    @classmethod
    def for_request(cls, request: Any) -> PolicyCache:
        cached = getattr(request, "_sla_policy_cache", None) if request is not None else None
        if cached is None:
            cached = cls()
            if request is not None:
                request._sla_policy_cache = cached
        return cached

    def policies(self) -> dict[int, Policy]:
        if self._policies is None:
            self._policies = cached_policies()[0]
        return self._policies

    def get(self, policy_id: int | None) -> Policy | None:
        if policy_id is None:
            return None
        policy = self.policies().get(policy_id)
        if policy is None:  # created in another process since the cache was filled
            forget_policies()
            self._policies = None
            policy = self.policies().get(policy_id)
        return policy


def ticket_sla(ticket: Ticket, *, now: datetime, policies: PolicyCache) -> TicketSla:
    """The ticket's SLA at ``now``: each target's state, due time and business time left.

    The stored states are the sweep's; a target whose due time has passed since the last sweep
    is shown breached already.
    """
    policy = policies.get(ticket.sla_policy_id)
    calendar: BusinessCalendar | None = None
    if policy is not None:
        try:
            calendar = policy.calendar.to_business_calendar()
        except ValueError:  # a calendar broken outside the validated paths: show no time left
            calendar = None
    paused = ticket.sla_paused_since is not None
    met = {"first_response": ticket.first_response_at, "resolution": ticket.resolved_at}
    targets = []
    for name in engine.TARGETS:
        state = getattr(ticket, f"{name}_state") or ""
        due_at = getattr(ticket, f"{name}_due_at")
        met_at = met.get(name) if state in ("met", "breached") else None
        left = None
        if state in ("ok", "warning", "breached") and met_at is None and due_at is not None:
            if not paused and state != "breached" and now >= due_at:
                state = "breached"
            if calendar is not None and not paused:
                if due_at > now:
                    left = business_minutes_between(calendar, now, due_at)
                else:
                    left = -business_minutes_between(calendar, due_at, now)
        targets.append(TargetView(name, TARGET_LABELS[name], state, due_at, met_at, left))
    return TicketSla(
        policy=policy,
        targets=targets,
        paused=paused,
        paused_since=ticket.sla_paused_since,
        paused_status=ticket.get_status_display() if paused else "",
        paused_minutes=ticket.sla_paused_minutes,
    )


def format_minutes(minutes: int | None) -> str:
    """Business time as people say it: ``2 h 15 min``, ``45 min``, ``3 h overdue``."""
    if minutes is None:
        return ""
    overdue = minutes < 0
    hours, rest = divmod(abs(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if rest or not hours:
        parts.append(f"{rest} min")
    text = " ".join(parts)
    return f"{text} overdue" if overdue else f"{text} left"


def format_duration(minutes: int | None) -> str:
    """A target's length: ``1440`` → ``24 h``, ``90`` → ``1 h 30 min``, None → ``—``."""
    if minutes is None:
        return "—"
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"
