"""Open tickets from osTicket-style API requests, through the ticket services."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from helpline.accounts.models import User
from helpline.accounts.selectors import system_user
from helpline.accounts.services import customer_get_or_create
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.directory.models import HelpTopic
from helpline.intake.models import ApiKey
from helpline.intake.payload import IntakePayload
from helpline.tickets import services as ticket_services
from helpline.tickets.models import Ticket
from helpline.tickets.states import Channel

log = logging.getLogger(__name__)
MAX_KEY_LENGTH = 200


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The enabled key behind ``raw``, or None."""
    raw = raw.strip()
    if not raw or len(raw) > MAX_KEY_LENGTH:
        return None
    key = ApiKey.objects.filter(key_hash=ApiKey.hash(raw), enabled=True).first()
    if key is not None:
        now = clock.now()
        if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def api_key_issue(*, actor: User, label: str, **fields: object) -> tuple[ApiKey, str]:
    """A new key; returns it with the raw key, which is shown once and never stored."""
    raw = ApiKey.new_raw_key()
    with transaction.atomic():
        key = ApiKey(label=label, key_hash=ApiKey.hash(raw), prefix=raw[:8], **fields)
        key.full_clean()
        key.save()
        audit_record(actor=actor, action="apikey.create", obj=key, after={"label": label})
    return key, raw


def _description(payload: IntakePayload) -> str:
    if payload.message_is_html:
        try:
            from helpline.mail.inbound.parse import html_to_text
        except ImportError:  # pragma: no cover - the mail app is part of Helpline
            import nh3

            return nh3.clean(payload.message, tags=set()).strip()
        return html_to_text(payload.message)
    return payload.message


def intake_ticket_create(*, key: ApiKey, payload: IntakePayload) -> Ticket:
    """Open the ticket the payload describes, for its requester (created as a customer when
    unknown), as the system user on channel ``api``."""
    actor = system_user()
    topic = None
    if payload.topic_id is not None:
        topic = HelpTopic.objects.select_related("department").filter(pk=payload.topic_id).first()
    if topic is None:
        topic = key.help_topic  # an unknown topicId (an osTicket id) falls back to the key's
    files = [
        SimpleUploadedFile(f.name, f.data, content_type=f.content_type) for f in payload.attachments
    ]
    with transaction.atomic():
        requester = customer_get_or_create(email=payload.email, name=payload.name, actor=actor)
        if payload.phone and not requester.phone:
            User.objects.filter(pk=requester.pk, phone="").update(phone=payload.phone)
        ticket = ticket_services.ticket_create(
            actor=actor,
            subject=payload.subject,
            description=_description(payload),
            requester=requester,
            help_topic=topic,
            impact=payload.impact,
            urgency=payload.urgency,
            channel=Channel.API,
            department=None if topic is not None else key.department,
            attachments=files,  # type: ignore[arg-type]  # UploadedFile fits the protocol
        )
    log.info("api key %s opened ticket %s", key.prefix, ticket.number)
    return ticket
