"""Opening a ticket."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from helpline.accounts.models import User
from helpline.accounts.services import customer_get_or_create
from helpline.audit.services import audit_record
from helpline.core import clock, rows
from helpline.core.errors import (
    PermissionDenied,
    ValidationFailed,
)
from helpline.core.html import render
from helpline.directory.models import Category, Department, HelpTopic
from helpline.directory.selectors import default_department
from helpline.notifications import events as notify
from helpline.sla.services import sla_refresh, sla_schedule
from helpline.tickets.assignment import pick_agent
from helpline.tickets.models import (
    Ticket,
)
from helpline.tickets.priority import derive_priority
from helpline.tickets.services._common import (
    UploadedFileLike,
    _assign,
    _clean_text,
    _enum,
    _next_ticket_number,
    _snapshot,
    _store_attachments,
    _tags,
    check_attachments,
    priority_matrix,
)
from helpline.tickets.states import (
    Channel,
    Level,
    Priority,
    Status,
    TicketType,
)

# --- create --------------------------------------------------------------------------------


def ticket_create(
    *,
    actor: User,
    subject: str,
    description: str,
    requester: User | None = None,
    requester_email: str | None = None,
    help_topic: HelpTopic | None = None,
    type: str | None = None,
    category: Category | None = None,
    impact: str | None = None,
    urgency: str | None = None,
    tags: Iterable[str] = (),
    device: str = "",
    location: str = "",
    channel: str = Channel.WEB,
    department: Department | None = None,
    attachments: Sequence[UploadedFileLike] = (),
    text_format: str = "markdown",
) -> Ticket:
    """Open a ticket, route it by help topic and assign it to a level-1 agent.

    Customers always create for themselves; agents may name a requester by email (created as
    a customer if unknown). ``text_format`` is how the description is written: "markdown"
    (the web form, the API) or "text" (a plain-text email).
    """
    subject = _clean_text(subject, field="subject", max_length=250)
    description = _clean_text(description, field="description", max_length=100_000)
    impact_level = _enum(Level, impact or Level.MEDIUM, "impact")
    urgency_level = _enum(Level, urgency or Level.MEDIUM, "urgency")
    channel_kind = _enum(Channel, channel, "channel")
    device = _clean_text(device, field="device", max_length=200, required=False)
    location = _clean_text(location, field="location", max_length=200, required=False)
    check_attachments(attachments)
    if help_topic is not None and not help_topic.is_public and not actor.is_agent:
        raise ValidationFailed("unknown help topic", fields={"help_topic_id": "unknown"})
    if requester_email and not actor.is_agent:
        raise PermissionDenied("only the support team can open a ticket for someone else")

    # Worked out before the transaction, as nothing here writes: on SQLite the transaction
    # holds the database's one write lock, which every other writer waits for. The
    # department and the SLA policy come from the configuration cache.
    description_html = render(description, text_format)
    department = department or (help_topic.department if help_topic else None)
    if department is None:
        department = default_department()
        if department is None:
            raise ValidationFailed("no department is configured to receive tickets")
    ticket_type = _enum(
        TicketType, type or (help_topic.type if help_topic else TicketType.INCIDENT), "type"
    )
    if help_topic is not None and help_topic.priority:
        priority = Priority(help_topic.priority)
    else:
        priority = derive_priority(impact_level, urgency_level, priority_matrix())
    now = clock.now()
    ticket = Ticket(
        subject=subject,
        description=description,
        description_html=description_html,
        type=ticket_type.value,
        status=Status.NEW.value,
        category=category,
        impact=impact_level.value,
        urgency=urgency_level.value,
        priority=priority.value,
        device=device,
        location=location,
        channel=channel_kind.value,
        department=department,
        support_level=1,
        help_topic=help_topic,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    sla_refresh(ticket, now=now)  # the policy is the help topic's or the department's

    with transaction.atomic():
        if not actor.is_agent:
            requester = actor
        elif requester is None:
            requester = (
                customer_get_or_create(email=requester_email, actor=actor)
                if requester_email
                else actor
            )
        ticket.requester = requester
        ticket.organization_id = requester.organization_id
        # The counter row stays locked until the commit, and every create writes it: a
        # concurrent create waits on it only while this one picks its agent, inserts its rows
        # and commits (on PostgreSQL; SQLite queues whole write transactions anyway). The pick
        # comes after it, so that each create sees the tickets of those before it and the
        # load stays balanced.
        ticket.number = _next_ticket_number()
        agent = pick_agent(department_id=department.pk, level=1, tags=tags)
        if agent is not None:
            _assign(ticket, agent)
        rows.insert(ticket)  # the ORM's INSERT of ~50 columns cost more than the write
        if ticket.sla_next_check_at is not None:
            sla_schedule([ticket])
        tag_rows = _tags(tags) if tags else []
        if tag_rows:
            # A new ticket has no tags to compare with: one INSERT (no m2m_changed receivers).
            Ticket.tags.through.objects.bulk_create(
                Ticket.tags.through(ticket_id=ticket.pk, tag_id=tag.pk) for tag in tag_rows
            )
        # What the caller shows next (the API's answer, the page) reads them with no query.
        rows.set_prefetched(ticket, "tags", tag_rows)
        _store_attachments(ticket, None, attachments)
        audit_record(
            actor=actor,
            action="ticket.create",
            obj=ticket,
            ticket=ticket,
            after=_snapshot(
                ticket,
                ["status", "priority", "department", "assignee", "support_level", "requester"],
            ),
        )
        notify.ticket_opened(ticket, agent)
    return ticket
