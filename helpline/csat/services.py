"""The only writers of surveys and ratings.

A survey opens when a ticket is resolved (``survey_open``, from the ``ticket_changed``
receiver) and its link is issued by the mail task (``survey_issue_link``), so the raw token
exists only in the mail. A rating is recorded once, by the link, the portal or the API; a low
rating is an audit event on the ticket (rules can react) and a mail to the department manager.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction

from helpline.accounts.models import User
from helpline.accounts.selectors import system_user
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.core.tasks_backend import enqueue_on_commit
from helpline.csat import scale
from helpline.csat.models import Channel, Survey
from helpline.csat.selectors import csat_settings
from helpline.tickets.models import Ticket
from helpline.tickets.states import Status

MAX_COMMENT = 5000
RATABLE = (Status.RESOLVED, Status.CLOSED)


def survey_open(*, ticket_id: int) -> Survey | None:
    """Open a survey for a ticket that was just resolved, superseding any earlier one, and
    mail the requester its link once this commits. None if CSAT is off or the ticket is no
    longer resolved (reopened before this ran)."""
    config = csat_settings()
    if not config.enabled:
        return None
    now = clock.now()
    with transaction.atomic():
        Ticket.objects.select_for_update().filter(pk=ticket_id).values_list("pk").first()
        ticket = (
            Ticket.objects.select_related("assignee", "department").filter(pk=ticket_id).first()
        )
        if ticket is None or ticket.status != Status.RESOLVED:
            return None
        Survey.objects.filter(ticket=ticket, superseded_at__isnull=True).update(superseded_at=now)
        survey = Survey.objects.create(
            ticket=ticket,
            agent=ticket.assignee,
            department=ticket.department,
            scale=config.scale,
            created_at=now,
            expires_at=now + timedelta(days=config.link_valid_days),
        )
        audit_record(
            actor=system_user(),
            action="csat.survey_opened",
            obj=survey,
            ticket=ticket,
            after={"scale": survey.scale, "agent": ticket.assignee},
        )
        from helpline.csat.tasks import send_survey

        enqueue_on_commit(send_survey, survey_id=survey.pk)
    return survey


def survey_issue_link(*, survey_id: int) -> tuple[Survey, str] | None:
    """A fresh link token for a survey still waiting for its rating (replacing any earlier
    token), or None. Only the token's hash is stored."""
    with transaction.atomic():
        survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
        if survey is None or survey.is_rated or survey.superseded_at is not None:
            return None
        raw = secrets.token_urlsafe(32)
        survey.token_hash = Survey.hash(raw)
        survey.save(update_fields=["token_hash"])
    return survey, raw


def check_answerable(survey: Survey, ticket: Ticket, *, by_link: bool) -> None:
    """Raise Conflict unless ``survey`` can take a rating now. Codes: ``already_rated``,
    ``superseded``, ``reopened``, ``expired`` (links only: the portal and the API accept a
    rating for as long as the survey is the ticket's current one)."""
    if survey.is_rated:
        raise Conflict("this ticket has already been rated; thank you", code="already_rated")
    if survey.superseded_at is not None:
        raise Conflict(
            "this rating link was replaced by a newer one after the ticket was resolved again",
            code="superseded",
        )
    if ticket.status not in RATABLE:
        raise Conflict(
            "the ticket was reopened; you can rate it once it is resolved again", code="reopened"
        )
    if by_link and survey.expires_at <= clock.now():
        raise Conflict("this rating link has expired", code="expired")


def _clean(survey: Survey, rating: object, comment: str) -> str:
    if not scale.is_valid(survey.scale, rating):
        allowed = ", ".join(str(r) for r in scale.ratings(survey.scale))
        raise ValidationFailed(
            f"the rating must be one of {allowed}", fields={"rating": f"one of {allowed}"}
        )
    comment = (comment or "").replace("\x00", "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"the comment is too long (at most {MAX_COMMENT} characters)",
            fields={"comment": "too long"},
        )
    return comment


def _record(
    survey_id: int,
    *,
    rating: object,
    comment: str,
    rated_by: User | None,
    channel: Channel,
    by_link: bool,
    actor: User | None = None,
) -> Survey:
    """Lock the survey, check it, store the rating, audit it, and schedule the low-rating
    alert. The caller has checked who may rate."""
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey_id)
        ticket = Ticket.objects.select_related("department").get(pk=survey.ticket_id)
        check_answerable(survey, ticket, by_link=by_link)
        comment = _clean(survey, rating, comment)
        assert isinstance(rating, int)
        config = csat_settings()
        survey.rating = rating
        survey.comment = comment
        survey.rated_at = clock.now()
        survey.rated_by = rated_by
        survey.channel = channel
        survey.satisfied = scale.is_satisfied(survey.scale, rating)
        survey.low = scale.is_low(survey.scale, rating, config.low_threshold)
        survey.save()
        after = {"rating": rating, "scale": survey.scale, "channel": channel.value}
        audit_record(
            actor=actor,
            action="csat.rated",
            obj=survey,
            ticket=ticket,
            after=after,
            note=comment,
        )
        if survey.low:
            audit_record(
                actor=actor,
                action="csat.low_rating",
                obj=survey,
                ticket=ticket,
                after=after,
                note=comment,
            )
            from helpline.csat.tasks import send_low_rating_alert

            enqueue_on_commit(send_low_rating_alert, survey_id=survey.pk)
    return survey


def survey_rate(
    *, actor: User, ticket: Ticket, rating: object, comment: str = "", channel: Channel
) -> Survey:
    """The requester rates their resolved ticket (portal, API). NotFound without a survey."""
    if ticket.requester_id != actor.pk:
        raise PermissionDenied("only the requester can rate this ticket")
    survey = Survey.objects.filter(ticket=ticket, superseded_at__isnull=True).first()
    if survey is None:
        raise Conflict("this ticket has no survey to answer yet", code="no_survey")
    return _record(
        survey.pk,
        rating=rating,
        comment=comment,
        rated_by=actor,
        channel=channel,
        by_link=False,
        actor=actor,
    )


def survey_rate_by_token(*, token: str, rating: object, comment: str = "") -> Survey:
    """A rating through the mailed link, no login: the token is the requester's proof.
    NotFound for a token that matches no survey (mistyped, tampered, or replaced)."""
    from helpline.csat.selectors import survey_by_token

    survey = survey_by_token(token)
    if survey is None:
        raise NotFound("this rating link is not valid", code="invalid_link")
    requester = User.objects.filter(pk=survey.ticket.requester_id).first()
    return _record(
        survey.pk,
        rating=rating,
        comment=comment,
        rated_by=requester,
        channel=Channel.EMAIL,
        by_link=True,
        actor=requester,
    )
