"""A ticket's satisfaction survey: read it (agents of the ticket, the requester), rate it
(the requester)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictInt

from helpline.accounts.models import User
from helpline.api.v1.auth import caller
from helpline.api.v1.paths import TICKET
from helpline.api.v1.schemas import ERRORS, In, Ref, Text
from helpline.core.errors import Conflict, NotFound
from helpline.csat import scale, selectors, services
from helpline.csat.models import Channel, Survey
from helpline.tickets import access
from helpline.tickets.models import Ticket

router = Router(tags=["csat"])


class CsatIn(In):
    rating: StrictInt = Field(description="1-5, or 1 (good) / 0 (bad), as the survey's scale.")
    comment: Annotated[Text, Field(max_length=services.MAX_COMMENT)] = ""


class CsatChoice(Schema):
    rating: int
    label: str


class CsatOut(Schema):
    state: str = Field(description="none (no survey yet), open (can be rated), rated, closed")
    scale: str | None
    choices: list[CsatChoice]
    rating: int | None
    rating_label: str | None
    comment: str
    rated_at: datetime | None
    agent: Ref | None
    department: Ref | None


def _out(survey: Survey | None, ticket: Ticket) -> CsatOut:
    if survey is None:
        return CsatOut(
            state="none",
            scale=None,
            choices=[],
            rating=None,
            rating_label=None,
            comment="",
            rated_at=None,
            agent=None,
            department=None,
        )
    if survey.is_rated:
        state = "rated"
    else:
        try:
            services.check_answerable(survey, ticket, by_link=False)
            state = "open"
        except Conflict:
            state = "closed"
    return CsatOut(
        state=state,
        scale=survey.scale,
        choices=[
            CsatChoice(rating=r, label=scale.label(survey.scale, r))
            for r in scale.ratings(survey.scale)
        ],
        rating=survey.rating,
        rating_label=(
            scale.label(survey.scale, survey.rating) if survey.rating is not None else None
        ),
        comment=survey.comment,
        rated_at=survey.rated_at,
        agent=Ref(id=survey.agent.pk, name=survey.agent.display_name) if survey.agent else None,
        department=Ref(id=survey.department.pk, name=survey.department.name),
    )


def _ticket(user: User, number: int) -> Ticket:
    """The ticket for an agent who sees it, or for its requester; 404 for anyone else."""
    ticket = access.access_ticket(user, number, related=False)
    if not user.is_agent and ticket.requester_id != user.pk:
        raise NotFound("no survey on this ticket for you")
    return ticket


@router.get(f"/tickets/{TICKET}/csat", response={200: CsatOut, **ERRORS})
def csat_detail(request: HttpRequest, number: int) -> CsatOut:
    """The ticket's current survey and its rating, if given."""
    user = caller(request)
    ticket = _ticket(user, number)
    return _out(selectors.current_survey(ticket=ticket), ticket)


@router.post(f"/tickets/{TICKET}/csat", response={201: CsatOut, **ERRORS})
def csat_rate(request: HttpRequest, number: int, payload: CsatIn) -> Status[CsatOut]:
    """Rate the resolved ticket (the requester only): 409 ``already_rated`` the second time,
    409 ``no_survey`` before it is resolved, 400 for a rating off the scale."""
    user = caller(request)
    ticket = _ticket(user, number)
    survey = services.survey_rate(
        actor=user,
        ticket=ticket,
        rating=payload.rating,
        comment=payload.comment,
        channel=Channel.API,
    )
    survey = selectors.current_survey(ticket=ticket) or survey
    return Status(201, _out(survey, ticket))
