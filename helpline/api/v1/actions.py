"""Ticket actions: ``POST /tickets/{number}/actions/<action>``, one endpoint per action so each
documents its own body. An action that is not listed here is a 404 (see urls.py); one the
lifecycle does not allow now is a 409 ``invalid_transition``; every body may carry the
``version`` the client last saw (409 ``stale_version`` if the ticket changed since).
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Body, Router

from helpline.api.v1 import lookups
from helpline.api.v1.auth import caller
from helpline.api.v1.errors import fields_named
from helpline.api.v1.paths import TICKET
from helpline.api.v1.schemas import (
    ERRORS,
    AssignIn,
    EscalateIn,
    ReopenIn,
    ResolveIn,
    TicketOut,
    VersionIn,
)
from helpline.api.v1.tickets import ticket_out
from helpline.tickets import access, services

router = Router(tags=["ticket actions"])

ACTIONS = f"/tickets/{TICKET}/actions"
NO_BODY = VersionIn()
OptionalBody = Annotated[VersionIn, Body()]  # no body at all means {}


def _transition(
    request: HttpRequest,
    number: int,
    action: str,
    version: int | None,
    *,
    resolution: services.Resolution | None = None,
    reason: str = "",
) -> TicketOut:
    user = caller(request)
    ticket = access.access_ticket(user, number)
    ticket = services.ticket_transition(
        actor=user,
        ticket=ticket,
        action=action,
        resolution=resolution,
        reason=reason,
        expected_version=version,
    )
    return ticket_out(user, ticket)


@router.post(f"{ACTIONS}/take", response={200: TicketOut, **ERRORS})
def ticket_take(request: HttpRequest, number: int, payload: OptionalBody = NO_BODY) -> TicketOut:
    """Assign the ticket to yourself (agents of its department); a new ticket opens."""
    user = caller(request)
    ticket = access.access_ticket(user, number)
    ticket = services.ticket_take(actor=user, ticket=ticket, expected_version=payload.version)
    return ticket_out(user, ticket)


@router.post(f"{ACTIONS}/assign", response={200: TicketOut, **ERRORS})
def ticket_assign(request: HttpRequest, number: int, payload: AssignIn) -> TicketOut:
    """Give the ticket to an agent of its department, or unassign it with ``null``."""
    user = caller(request)
    ticket = access.access_ticket(user, number)
    assignee = lookups.agent(payload.assignee_id, "assignee_id")
    with fields_named(assignee="assignee_id"):
        ticket = services.ticket_assign(
            actor=user, ticket=ticket, assignee=assignee, expected_version=payload.version
        )
    return ticket_out(user, ticket)


@router.post(f"{ACTIONS}/escalate", response={200: TicketOut, **ERRORS})
def ticket_escalate(request: HttpRequest, number: int, payload: EscalateIn) -> TicketOut:
    """To the next support level by default, or to a level, department, team or agent."""
    user = caller(request)
    ticket = access.access_ticket(user, number)
    with fields_named(agent="agent_id"):
        ticket = services.ticket_escalate(
            actor=user,
            ticket=ticket,
            note=payload.note,
            to_level=payload.to_level,
            department=lookups.department(payload.department_id),
            team=lookups.team(payload.team_id),
            agent=lookups.agent(payload.agent_id, "agent_id"),
            expected_version=payload.version,
        )
    return ticket_out(user, ticket)


@router.post(f"{ACTIONS}/pend", response={200: TicketOut, **ERRORS})
def ticket_pend(request: HttpRequest, number: int, payload: OptionalBody = NO_BODY) -> TicketOut:
    """Wait on the customer: the SLA clock pauses."""
    return _transition(request, number, "pend", payload.version)


@router.post(f"{ACTIONS}/hold", response={200: TicketOut, **ERRORS})
def ticket_hold(request: HttpRequest, number: int, payload: OptionalBody = NO_BODY) -> TicketOut:
    """Wait on a third party."""
    return _transition(request, number, "hold", payload.version)


@router.post(f"{ACTIONS}/resume", response={200: TicketOut, **ERRORS})
def ticket_resume(request: HttpRequest, number: int, payload: OptionalBody = NO_BODY) -> TicketOut:
    """Back to open from pending or on hold."""
    return _transition(request, number, "resume", payload.version)


@router.post(f"{ACTIONS}/resolve", response={200: TicketOut, **ERRORS})
def ticket_resolve(request: HttpRequest, number: int, payload: ResolveIn) -> TicketOut:
    """Resolve with a resolution record (problem identified and action taken at least)."""
    resolution = services.Resolution(
        problem_identified=payload.problem_identified,
        action_taken=payload.action_taken,
        confirmation=payload.confirmation,
        next_steps=payload.next_steps,
    )
    return _transition(request, number, "resolve", payload.version, resolution=resolution)


@router.post(f"{ACTIONS}/reopen", response={200: TicketOut, **ERRORS})
def ticket_reopen(request: HttpRequest, number: int, payload: ReopenIn) -> TicketOut:
    """A resolved ticket is not fixed after all (agents, or the customer who asked)."""
    return _transition(request, number, "reopen", payload.version, reason=payload.reason)


@router.post(f"{ACTIONS}/close", response={200: TicketOut, **ERRORS})
def ticket_close(request: HttpRequest, number: int, payload: OptionalBody = NO_BODY) -> TicketOut:
    """Confirm a resolved ticket (agents, or the customer who asked)."""
    return _transition(request, number, "close", payload.version)
