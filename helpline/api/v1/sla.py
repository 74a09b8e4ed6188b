"""SLA configuration for admins (policies, business calendars), and an agent's change of a
ticket's policy. Every write goes through ``helpline.sla.services`` (validated, audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from helpline.accounts.models import User
from helpline.api.v1.auth import caller
from helpline.api.v1.errors import fields_named
from helpline.api.v1.paths import TICKET
from helpline.api.v1.schemas import ERRORS, Id, In, QueryId, Ref, Text, TicketOut, Version
from helpline.api.v1.tickets import ticket_out
from helpline.core.errors import NotFound, PermissionDenied, ValidationFailed
from helpline.sla import selectors, services
from helpline.sla.models import Calendar, Policy
from helpline.tickets import access
from helpline.tickets import services as ticket_services

router = Router(tags=["sla"])

Minutes = Annotated[StrictInt, Field(ge=1, le=services.MAX_TARGET_MINUTES)] | None
Name = Annotated[Text, Field(min_length=1, max_length=120)]
# The calendar's JSON parts are checked by the calendar module, which names the bad part.
Weekly = dict[str, Any]
Holidays = list[Any]


# --- schemas ----------------------------------------------------------------------------------


class CalendarIn(In):
    name: Name
    timezone: Annotated[Text, Field(max_length=64)] = "UTC"
    weekly: Weekly = Field(description='Per weekday, e.g. {"mon": [["08:00", "16:00"]]}.')
    holidays: Holidays = Field(
        default=[], description='"2026-12-31", {"from", "to"}, or {"date", "hours"}.'
    )
    country: Annotated[Text, Field(max_length=8)] = ""
    subdivision: Annotated[Text, Field(max_length=16)] = ""


class CalendarPatch(In):
    name: Name | None = None
    timezone: Annotated[Text, Field(max_length=64)] | None = None
    weekly: Weekly | None = None
    holidays: Holidays | None = None
    country: Annotated[Text, Field(max_length=8)] | None = None
    subdivision: Annotated[Text, Field(max_length=16)] | None = None


class CalendarOut(Schema):
    id: int
    name: str
    timezone: str
    weekly: dict[str, Any]
    holidays: list[Any]
    country: str
    subdivision: str
    updated_at: datetime


class CalendarList(Schema):
    items: list[CalendarOut]


class TargetIO(In):
    priority: Text = Field(description="critical, high, medium or low.")
    first_response_minutes: Minutes = None
    next_response_minutes: Minutes = None
    resolution_minutes: Minutes = None


class PolicyIn(In):
    name: Name
    description: Annotated[Text, Field(max_length=5000)] = ""
    calendar_id: Id
    is_default: StrictBool = False
    pause_on_hold: StrictBool = False
    warning_percent: Annotated[StrictInt, Field(ge=1, le=99)] = 75
    escalate_on_breach: StrictBool = False
    is_public: StrictBool = True
    targets: Annotated[list[TargetIO], Field(max_length=10)] = []


class PolicyPatch(In):
    name: Name | None = None
    description: Annotated[Text, Field(max_length=5000)] | None = None
    calendar_id: Id | None = None
    is_default: StrictBool | None = None
    pause_on_hold: StrictBool | None = None
    warning_percent: Annotated[StrictInt, Field(ge=1, le=99)] | None = None
    escalate_on_breach: StrictBool | None = None
    is_public: StrictBool | None = None
    targets: Annotated[list[TargetIO], Field(max_length=10)] | None = Field(
        default=None, description="When sent, replaces all of the policy's targets."
    )


class TargetOut(Schema):
    priority: str
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None


class PolicyOut(Schema):
    id: int
    name: str
    description: str
    calendar: Ref
    is_default: bool
    pause_on_hold: bool
    warning_percent: int
    escalate_on_breach: bool
    is_public: bool
    targets: list[TargetOut]


class PolicyList(Schema):
    items: list[PolicyOut]


class TicketPolicyIn(In):
    policy_id: Id
    reason: Annotated[Text, Field(max_length=5000)]
    version: Version | None = None


# --- helpers ----------------------------------------------------------------------------------


def _admin(request: HttpRequest, what: str) -> User:
    user = caller(request)
    if not user.is_admin:
        raise PermissionDenied(f"only admins can {what}")
    return user


def _calendar_out(calendar: Calendar) -> CalendarOut:
    return CalendarOut(
        id=calendar.pk,
        name=calendar.name,
        timezone=calendar.timezone,
        weekly=calendar.weekly,
        holidays=calendar.holidays,
        country=calendar.country,
        subdivision=calendar.subdivision,
        updated_at=calendar.updated_at,
    )


def _policy_out(policy: Policy) -> PolicyOut:
    """Call with the calendar and targets loaded (``selectors.policy_queryset``)."""
    return PolicyOut(
        id=policy.pk,
        name=policy.name,
        description=policy.description,
        calendar=Ref(id=policy.calendar.pk, name=policy.calendar.name),
        is_default=policy.is_default,
        pause_on_hold=policy.pause_on_hold,
        warning_percent=policy.warning_percent,
        escalate_on_breach=policy.escalate_on_breach,
        is_public=policy.is_public,
        targets=[
            TargetOut(
                priority=target.priority,
                first_response_minutes=target.first_response_minutes,
                next_response_minutes=target.next_response_minutes,
                resolution_minutes=target.resolution_minutes,
            )
            for target in policy.targets.all()
        ],
    )


def _calendar(calendar_id: int, field: str = "") -> Calendar:
    calendar = Calendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        if field:
            raise ValidationFailed("unknown calendar", fields={field: "unknown"})
        raise NotFound("no such calendar")
    return calendar


def _policy(policy_id: int) -> Policy:
    policy = selectors.policy_get(policy_id)
    if policy is None:
        raise NotFound("no such SLA policy")
    return policy


def _targets(targets: list[TargetIO] | None) -> list[services.TargetSpec] | None:
    if targets is None:
        return None
    return [services.TargetSpec(**target.model_dump()) for target in targets]


# --- calendars --------------------------------------------------------------------------------


@router.get("/calendars", response={200: CalendarList, **ERRORS})
def calendar_list(request: HttpRequest) -> CalendarList:
    _admin(request, "read calendars")
    return CalendarList(items=[_calendar_out(c) for c in selectors.calendar_list()])


@router.post("/calendars", response={201: CalendarOut, **ERRORS})
def calendar_create(request: HttpRequest, payload: CalendarIn) -> Status[CalendarOut]:
    """A business calendar: 400 ``validation_error`` if it has no working time, overlapping
    intervals, an unknown time zone or country."""
    user = _admin(request, "configure calendars")
    calendar = services.calendar_create(actor=user, **payload.model_dump())
    return Status(201, _calendar_out(calendar))


@router.get("/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def calendar_detail(request: HttpRequest, calendar_id: QueryId) -> CalendarOut:
    _admin(request, "read calendars")
    return _calendar_out(_calendar(calendar_id))


@router.patch("/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def calendar_update(
    request: HttpRequest, calendar_id: QueryId, payload: CalendarPatch
) -> CalendarOut:
    user = _admin(request, "configure calendars")
    calendar = services.calendar_update(
        actor=user, calendar=_calendar(calendar_id), changes=payload.model_dump(exclude_unset=True)
    )
    return _calendar_out(calendar)


# --- policies ---------------------------------------------------------------------------------


@router.get("/sla-policies", response={200: PolicyList, **ERRORS})
def policy_list(request: HttpRequest) -> PolicyList:
    _admin(request, "read SLA policies")
    return PolicyList(items=[_policy_out(p) for p in selectors.policy_list()])


@router.post("/sla-policies", response={201: PolicyOut, **ERRORS})
def policy_create(request: HttpRequest, payload: PolicyIn) -> Status[PolicyOut]:
    """An SLA policy with targets per priority, in business minutes of its calendar."""
    user = _admin(request, "configure SLA policies")
    values = payload.model_dump(exclude={"calendar_id", "targets"})
    with fields_named(calendar="calendar_id"):
        policy = services.policy_create(
            actor=user,
            calendar=_calendar(payload.calendar_id, "calendar_id"),
            targets=_targets(payload.targets),
            **values,
        )
    return Status(201, _policy_out(_policy(policy.pk)))


@router.get("/sla-policies/{policy_id}", response={200: PolicyOut, **ERRORS})
def policy_detail(request: HttpRequest, policy_id: QueryId) -> PolicyOut:
    _admin(request, "read SLA policies")
    return _policy_out(_policy(policy_id))


@router.patch("/sla-policies/{policy_id}", response={200: PolicyOut, **ERRORS})
def policy_update(request: HttpRequest, policy_id: QueryId, payload: PolicyPatch) -> PolicyOut:
    """Change a policy; ``targets``, when sent, replace all of them. Open tickets keep their
    due times until their next change."""
    user = _admin(request, "configure SLA policies")
    changes = payload.model_dump(exclude_unset=True, exclude={"targets"})
    if "calendar_id" in changes:
        calendar_id = changes.pop("calendar_id")
        changes["calendar"] = _calendar(calendar_id, "calendar_id") if calendar_id else None
    targets = _targets(payload.targets) if "targets" in payload.model_fields_set else None
    with fields_named(calendar="calendar_id"):
        policy = services.policy_update(
            actor=user, policy=_policy(policy_id), changes=changes, targets=targets
        )
    return _policy_out(_policy(policy.pk))


# --- a ticket's policy ------------------------------------------------------------------------


@router.post(f"/tickets/{TICKET}/sla-policy", response={200: TicketOut, **ERRORS})
def ticket_sla_policy(request: HttpRequest, number: int, payload: TicketPolicyIn) -> TicketOut:
    """Put the ticket under another SLA policy (agents), with a reason kept as an internal
    note and in the audit trail."""
    user = caller(request)
    ticket = access.access_ticket(user, number)
    policy = Policy.objects.filter(pk=payload.policy_id).first()
    if policy is None:
        raise ValidationFailed("unknown SLA policy", fields={"policy_id": "unknown"})
    with fields_named(policy="policy_id"):
        ticket = ticket_services.ticket_set_sla_policy(
            actor=user,
            ticket=ticket,
            policy=policy,
            reason=payload.reason,
            expected_version=payload.version,
        )
    return ticket_out(user, ticket)
