"""``{% csat_portal_panel %}``: the rating box on the requester's portal ticket page."""

from __future__ import annotations

from typing import Any

from django import template

from helpline.core.errors import Conflict
from helpline.csat import scale, selectors, services
from helpline.csat.forms import RatingForm

register = template.Library()


@register.inclusion_tag("web/csat/_portal_panel.html", takes_context=True)
def csat_portal_panel(context: template.Context) -> dict[str, Any]:
    """Needs ``ticket`` and ``request`` in the context. One query (the current survey), none
    unless the ticket is resolved or closed."""
    ticket = context.get("ticket")
    request = context.get("request")
    user = getattr(request, "user", None)
    if ticket is None or user is None or ticket.requester_id != user.pk:
        return {"show": False}
    if ticket.status not in services.RATABLE:
        return {"show": False}  # no survey can be answered: skip the query
    survey = selectors.current_survey(ticket=ticket)
    if survey is None:
        return {"show": False}
    answerable = True
    try:
        services.check_answerable(survey, ticket, by_link=False)
    except Conflict:
        answerable = False
    return {
        "show": survey.is_rated or answerable,
        "survey": survey,
        "ticket": ticket,
        "rating_label": scale.label(survey.scale, survey.rating)
        if survey.rating is not None
        else "",
        "form": RatingForm(survey_scale=survey.scale, auto_id="csat-%s"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("web/csat/_desk_rating.html", takes_context=True)
def csat_desk_rating(context: template.Context) -> dict[str, Any]:
    """The customer's rating of a resolved ticket, for agents. One query, none before the
    ticket is resolved."""
    ticket = context.get("ticket")
    if ticket is None or ticket.status not in services.RATABLE:
        return {"survey": None}
    survey = selectors.current_survey(ticket=ticket)
    label = ""
    if survey is not None and survey.rating is not None:
        label = scale.label(survey.scale, survey.rating)
    return {"survey": survey, "rating_label": label}
