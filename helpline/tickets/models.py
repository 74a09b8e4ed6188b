"""Tickets, their threads and attachments.

Only ``helpline.tickets.services`` writes these rows; everything else reads through
``selectors`` and ``access``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from helpline.core import clock
from helpline.tickets.states import (
    Channel,
    Level,
    Priority,
    Status,
    TicketType,
    choices,
)

# Where ticket numbers come from on PostgreSQL (migration 0012); elsewhere the ``ticket`` counter.
TICKET_NUMBER_SEQUENCE = "tickets_ticket_number_seq"


class Counter(models.Model):
    """Named monotonic counters, incremented under a row lock: ticket numbers on SQLite (on
    PostgreSQL a sequence gives them, ``TICKET_NUMBER_SEQUENCE``), benchmark bookkeeping."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class QueueCount(models.Model):
    """A signed change to how many active tickets a (department, assignee) holds, written by
    triggers on the ticket table; a key's count is the sum of its rows (see ``queuecounts``).
    No foreign keys: the database writes these rows; a department with tickets cannot be
    deleted, and deleting an agent unassigns their tickets, which the triggers count."""

    department_id = models.IntegerField()
    assignee_id = models.IntegerField()  # 0: unassigned
    active = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["department_id", "assignee_id", "active"], name="queuecount_department"
            ),
            models.Index(fields=["assignee_id", "active"], name="queuecount_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.assignee_id}: {self.active:+d}"


class PriorityMatrixEntry(models.Model):
    """One cell of the impact × urgency → priority matrix, editable by admins."""

    impact = models.CharField(max_length=10, choices=choices(Level))
    urgency = models.CharField(max_length=10, choices=choices(Level))
    priority = models.CharField(max_length=10, choices=choices(Priority))

    class Meta:
        verbose_name_plural = "priority matrix"
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="unique_matrix_cell")
        ]

    def __str__(self) -> str:
        return f"impact {self.impact} × urgency {self.urgency} → {self.priority}"


# The foreign keys a ticket may leave empty, indexed only where set: a lookup by a value (the
# related lists, the database's SET NULL when the row referred to is deleted) reads the same
# entries, and the many tickets without one cost no index entry (see migration 0013).
OPTIONAL_REFERENCES = (
    "category",
    "organization",
    "team",
    "help_topic",
    "parent",
    "follow_up_of",
    "sla_policy",
)


class Ticket(models.Model):
    number = models.BigIntegerField(unique=True)
    subject = models.CharField(max_length=250)
    description = models.TextField()
    description_html = models.TextField(blank=True)
    type = models.CharField(max_length=20, choices=choices(TicketType), default="incident")
    status = models.CharField(max_length=16, choices=choices(Status), default="new")
    # The optional references are indexed where set only (``OPTIONAL_REFERENCES``, Meta).
    category = models.ForeignKey(
        "directory.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    tags = models.ManyToManyField("directory.Tag", blank=True, related_name="tickets")  # type: ignore[var-annotated]
    impact = models.CharField(max_length=10, choices=choices(Level), default="medium")
    urgency = models.CharField(max_length=10, choices=choices(Level), default="medium")
    priority = models.CharField(max_length=10, choices=choices(Priority), default="medium")

    # The requester's, department's and assignee's tickets are found through the composite
    # indexes in Meta, which lead with the same column: no index of the column alone.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        db_index=False,
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    collaborators = models.ManyToManyField(  # type: ignore[var-annotated]
        settings.AUTH_USER_MODEL, blank=True, related_name="cc_tickets"
    )
    device = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=10, choices=choices(Channel), default="web")

    department = models.ForeignKey(
        "directory.Department", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    team = models.ForeignKey(
        "directory.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,
    )
    support_level = models.PositiveSmallIntegerField(default=1)
    help_topic = models.ForeignKey(
        "directory.HelpTopic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        db_index=False,
    )
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        db_index=False,
    )

    # The resolution record, required to resolve.
    resolution_problem = models.TextField("problem identified", blank=True)
    resolution_action = models.TextField("action taken", blank=True)
    resolution_confirmation = models.TextField("confirmation", blank=True)
    resolution_next_steps = models.TextField("next steps", blank=True)

    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    status_changed_at = models.DateTimeField(default=clock.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    # The SLA clock (helpline.sla): kept current by the ticket services, checked by sweeps.
    sla_policy = models.ForeignKey(
        "sla.Policy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_state = models.CharField(max_length=10, blank=True)
    next_response_state = models.CharField(max_length=10, blank=True)
    resolution_state = models.CharField(max_length=10, blank=True)
    sla_paused_minutes = models.PositiveIntegerField(default=0)
    sla_paused_since = models.DateTimeField(null=True, blank=True)
    awaiting_reply_since = models.DateTimeField(null=True, blank=True)
    # Mirrored, indexed, by sla.NextCheck (sla.services.sla_schedule), which the sweep reads.
    sla_next_check_at = models.DateTimeField(null=True, blank=True)
    pending_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Queue views: a department's tickets in a status, newest first.
            models.Index(fields=["department", "status", "-id"], name="ticket_dept_status"),
            models.Index(fields=["assignee", "status", "-id"], name="ticket_assignee_status"),
            # An agent's tickets outside their departments (access.ticket_scope), read from the
            # index alone: through the foreign key's index it read every ticket they ever had.
            models.Index(fields=["assignee", "department", "id"], name="ticket_assignee_dept"),
            models.Index(fields=["requester", "-id"], name="ticket_requester"),
            models.Index(fields=["status", "status_changed_at"], name="ticket_status_age"),
            # Queue sorts (helpline.search.ordering) within a department or assignee queue,
            # and over everything for admins; created_at for date filters.
            models.Index(
                fields=["department", "status", "updated_at", "id"], name="ticket_dept_updated"
            ),
            models.Index(
                fields=["department", "status", "priority", "id"], name="ticket_dept_priority"
            ),
            models.Index(
                fields=["department", "status", "resolution_due_at", "id"], name="ticket_dept_due"
            ),
            models.Index(
                fields=["assignee", "status", "updated_at", "id"], name="ticket_assignee_updated"
            ),
            models.Index(
                fields=["assignee", "status", "resolution_due_at", "id"], name="ticket_assignee_due"
            ),
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            models.Index(fields=["priority", "id"], name="ticket_priority"),
            models.Index(fields=["resolution_due_at", "id"], name="ticket_due"),
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            # No index on an SLA column: the sweep finds due tickets through sla.NextCheck,
            # so its writes here are updates in place (see migration 0006).
            *(
                models.Index(
                    fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"ticket_{name}"
                )
                for name in OPTIONAL_REFERENCES
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def resolution(self) -> dict[str, str]:
        return {
            "problem_identified": self.resolution_problem,
            "action_taken": self.resolution_action,
            "confirmation": self.resolution_confirmation,
            "next_steps": self.resolution_next_steps,
        }

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


class EntryKind(models.TextChoices):
    CUSTOMER_MESSAGE = "customer_message", "Customer message"
    REPLY = "reply", "Reply"
    NOTE = "note", "Internal note"
    EVENT = "event", "System event"


PUBLIC_ENTRY_KINDS = (EntryKind.CUSTOMER_MESSAGE, EntryKind.REPLY, EntryKind.EVENT)


class ThreadEntry(models.Model):
    """One message on a ticket. ``note`` entries never reach a customer, by any path."""

    # Indexed by (ticket, id) below, which also serves the foreign key.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    body_html = models.TextField(blank=True)
    channel = models.CharField(max_length=10, choices=choices(Channel), default="web")
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "thread entries"
        indexes = [
            # A page of a thread, newest first: the last 50 of 500 entries read as 50 rows.
            models.Index(fields=["ticket", "id"], name="entry_ticket"),
            models.Index(fields=["ticket", "kind", "id"], name="entry_ticket_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"

    @property
    def is_internal(self) -> bool:
        return self.kind == EntryKind.NOTE


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the client's name on disk: a random stem avoids traversal and collisions.
    import uuid

    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a ticket, stored outside the web root, served only by a permission check."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(
        ThreadEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, default="application/octet-stream")
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
