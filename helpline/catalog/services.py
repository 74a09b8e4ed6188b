"""Writers of the catalog app: deflections, and the ticket a guide or a request type ends in.

The ticket itself is opened by ``helpline.tickets.services.ticket_create``, the one writer of
tickets; this module only gathers what the customer answered into it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from helpline.audit.services import audit_record
from helpline.catalog import intake
from helpline.catalog.models import Deflection, DeflectionSource, Guide, GuideStep, RequestType
from helpline.catalog.selectors import step_nodes
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.directory.models import HelpTopic
from helpline.tickets.models import Ticket
from helpline.tickets.services import ticket_create

MAX_FIELD_LENGTH = 2000


def deflection_record(
    *,
    user: Any,
    source: str,
    guide: Guide | None = None,
    step: GuideStep | None = None,
    article: Any = None,
    help_topic: HelpTopic | None = None,
    request_type: RequestType | None = None,
) -> Deflection:
    """Count one problem solved without a ticket. ``article`` must be readable by ``user``."""
    if source not in DeflectionSource.values:
        raise ValidationFailed("unknown deflection source", fields={"source": "invalid"})
    if article is not None:
        from helpline.kb.access import check_can_read

        check_can_read(user, article)
    if step is not None and guide is not None and step.guide_id != guide.pk:
        raise ValidationFailed("that step is not part of this guide", fields={"step": "invalid"})
    if guide is not None:
        help_topic = help_topic or guide.help_topic
        request_type = request_type or guide.request_type
    if help_topic is not None and not help_topic.is_public:
        help_topic = None
    with transaction.atomic():
        deflection = Deflection.objects.create(
            user=user if getattr(user, "pk", None) else None,
            source=source,
            guide=guide,
            step=step,
            article=article,
            help_topic=help_topic,
            request_type=request_type,
        )
        audit_record(
            actor=user,
            action="catalog.deflection",
            obj=deflection,
            after={
                "source": source,
                "step": step,
                "article": article,
                "help_topic": help_topic,
            },
        )
    return deflection


def _extra_field_values(
    request_type: RequestType | None, values: Mapping[str, str]
) -> dict[str, str]:
    if request_type is None:
        return {}
    found: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in request_type.extra_fields or []:
        name = str(spec.get("name", ""))
        if not name:
            continue
        value = (values.get(name) or "").strip()
        if spec.get("required") and not value:
            errors[name] = "required"
        found[name] = value[:MAX_FIELD_LENGTH]
    if errors:
        raise ValidationFailed("please answer the required questions", fields=errors)
    return found


def intake_ticket_create(
    *,
    actor: Any,
    subject: str,
    description: str,
    guide: Guide | None = None,
    request_type: RequestType | None = None,
    help_topic: HelpTopic | None = None,
    trail: str = "",
    fields: Mapping[str, str] | None = None,
    impact: str | None = None,
    urgency: str | None = None,
) -> Ticket:
    """Open the ticket a guide or a catalog request ends in, carrying what was collected.

    Device and location go to the ticket's own fields; the checks already done, the error
    message and the request type's extra answers go into the description as one structured
    block. ``request_type`` must be one the actor may request (``request_type_get``).
    """
    if not actor.is_authenticated:
        raise PermissionDenied("log in to open a ticket")
    values = {key: str(value or "")[:MAX_FIELD_LENGTH] for key, value in (fields or {}).items()}
    if guide is not None:
        request_type = request_type or guide.request_type
        help_topic = help_topic or guide.help_topic
    if request_type is not None and help_topic is None:
        help_topic = request_type.help_topic
    required = [f for f in (guide.required_fields if guide else []) if f in intake.FIELD_LABELS]
    missing = intake.missing_fields(required, values)
    if missing:
        raise ValidationFailed("please fill in the fields the guide asks for", fields=missing)
    extra = _extra_field_values(request_type, values)
    pairs = intake.parse_trail(trail, step_nodes(guide)) if guide is not None else []
    collected = {"error_message": values.get("error_message", ""), **extra}
    labels = {
        str(spec.get("name")): str(spec.get("label") or spec.get("name"))
        for spec in (request_type.extra_fields if request_type else []) or []
    }
    block_title = (
        f"Request: {request_type.name}"
        if request_type is not None
        else f"Guide: {guide.name}"
        if guide is not None
        else ""
    )
    text = (description or "").strip()
    if block_title and (pairs or any(v.strip() for v in collected.values())):
        block = intake.intake_block(title=block_title, pairs=pairs, fields=collected, labels=labels)
        text = f"{text}\n\n{block}" if text else block
    elif block_title and not text:
        text = block_title
    ticket_type = "service_request" if request_type is not None else None
    return ticket_create(
        actor=actor,
        subject=subject,
        description=text,
        help_topic=help_topic,
        type=ticket_type,
        device=values.get("device", ""),
        location=values.get("location", ""),
        impact=impact,
        urgency=urgency,
    )
