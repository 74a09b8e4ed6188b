"""CSAT mail, sent by the worker: the rating link to the requester, the low-rating alert to
the department manager."""

from __future__ import annotations

import logging

from django.conf import settings
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from helpline.core.mail import Email
from helpline.csat import scale
from helpline.csat.models import Survey
from helpline.directory.models import DepartmentMembership

log = logging.getLogger(__name__)


def _send(template: str, context: dict, to: list[str], ticket_number: int) -> int:
    subject = render_to_string(f"csat/email/{template}_subject.txt", context)
    body = render_to_string(f"csat/email/{template}_body.txt", context)
    message = Email(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={"Auto-Submitted": "auto-generated", "X-Helpline-Ticket": str(ticket_number)},
    )
    return message.send()


@task()
def send_survey(survey_id: int) -> int:
    """Mail the requester the one-click rating links; returns how many messages went out."""
    from helpline.csat.services import survey_issue_link

    issued = survey_issue_link(survey_id=survey_id)
    if issued is None:
        return 0
    survey, token = issued
    ticket = survey.ticket
    if not ticket.requester.email:
        return 0
    base = settings.SITE_URL + reverse("csat_rate", args=[token])
    choices = [
        {
            "rating": rating,
            "label": scale.label(survey.scale, rating),
            "url": f"{base}?rating={rating}",
        }
        for rating in scale.ratings(survey.scale)
    ]
    context = {
        "ticket": ticket,
        "survey": survey,
        "choices": choices,
        "ticket_url": f"{settings.SITE_URL}/tickets/{ticket.number}/",
    }
    return _send("survey", context, [ticket.requester.email], ticket.number)


def manager_emails(department_id: int) -> list[str]:
    """The department's manager, else its members marked as managers."""
    from helpline.directory.models import Department

    department = Department.objects.select_related("manager").filter(pk=department_id).first()
    if department is not None and department.manager is not None and department.manager.email:
        return [department.manager.email]
    memberships = DepartmentMembership.objects.filter(
        department_id=department_id, is_manager=True, user__is_active=True
    ).select_related("user")
    return sorted({m.user.email for m in memberships if m.user.email})


@task()
def send_low_rating_alert(survey_id: int) -> int:
    """Tell the department manager about a low rating."""
    survey = (
        Survey.objects.select_related("ticket__requester", "agent", "department")
        .filter(pk=survey_id, low=True)
        .first()
    )
    if survey is None:
        return 0
    to = manager_emails(survey.department_id)
    if not to:
        log.info("low CSAT rating on survey %s: department has no manager to tell", survey_id)
        return 0
    ticket = survey.ticket
    context = {
        "ticket": ticket,
        "survey": survey,
        "rating_label": scale.label(survey.scale, survey.rating or 0),
        "ticket_url": f"{settings.SITE_URL}/desk/tickets/{ticket.number}/",
    }
    return _send("low_rating", context, to, ticket.number)
