"""Opening a ticket."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from helpline.accounts.models import User
from helpline.accounts.services import customer_email, customer_get_or_create
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
    _clean_text,
    _enum,
    _insert_ticket,
    _snapshot,
    _store_attachments,
    _tag_names,
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

    Ticket numbers are unique and increasing in the order they are taken; on PostgreSQL a
    create that fails after taking its number (a database error, not a refusal of its
    input) leaves that number unused.
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
    if requester_email and requester is None:
        requester_email = customer_email(requester_email)
    tag_names = _tag_names(tags)

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

    # Where rows have locks of their own (PostgreSQL), the agent is picked before the
    # ticket's transaction and committed at once (one statement, or a short transaction for
    # the strategies that lock: see pick_agent), and the number is taken by the INSERT: the
    # next create never waits for this one's inserts. SQLite queues whole write transactions
    # anyway; inside a caller's transaction (mail intake) there is nothing to commit apart.
    pick_apart = connection.features.has_select_for_update and not connection.in_atomic_block
    if pick_apart:
        agent = _pick(ticket, tag_names)
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
        if not pick_apart:
            agent = _pick(ticket, tag_names)
        _insert_ticket(ticket)  # numbered by it; the ORM's INSERT cost more than the write
        if ticket.sla_next_check_at is not None:
            sla_schedule([ticket])
        tag_rows = _tags(tag_names) if tag_names else []
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


def _pick(ticket: Ticket, tags: list[str]) -> User | None:
    """Give ``ticket`` its level-1 agent, returned (None: it waits in the queue), and make
    this the agent's latest assignment, which the next pick sees."""
    ticket.assignee = pick_agent(
        department_id=ticket.department_id, level=1, tags=tags, assigned_at=clock.now()
    )
    return ticket.assignee
