"""Mail in: the mailboxes Helpline reads, per-department mail policy, and the ledger of every
message received (which doubles as the quarantine).

Only ``helpline.mail.services`` writes ledger rows; the admin edits mailboxes and policies.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

from django.db import models

from helpline.core import clock


class Security(models.TextChoices):
    TLS = "tls", "TLS (IMAPS, usually port 993)"
    STARTTLS = "starttls", "STARTTLS (usually port 143)"
    NONE = "none", "None (loopback or testing only)"


class AfterProcessing(models.TextChoices):
    MARK_SEEN = "seen", "Mark as seen"
    MOVE = "move", "Move to a folder"


class Mailbox(models.Model):
    """One IMAP mailbox polled by the worker, mapped to a department.

    ``uidvalidity`` and ``last_uid`` remember how far the mailbox was read, so each message is
    fetched once; if the server changes UIDVALIDITY the mailbox is read again from the start
    and the ledger's Message-ID key keeps that from creating duplicates.
    """

    name = models.CharField(max_length=100, unique=True)
    address = models.EmailField(
        help_text="The address customers write to. Mail from it is never ingested (loops).",
    )
    department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="New tickets from this mailbox go here (empty: the first active department).",
    )
    is_active = models.BooleanField(default=True, help_text="Polled by the worker.")
    host = models.CharField(max_length=255, blank=True, help_text="Empty for a pipe-only box.")
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=255, blank=True)
    password = models.CharField(max_length=255, blank=True)
    folder = models.CharField(max_length=255, default="INBOX")
    after_processing = models.CharField(
        max_length=10, choices=AfterProcessing.choices, default=AfterProcessing.MARK_SEEN
    )
    move_to = models.CharField(
        max_length=255, blank=True, help_text="Folder for processed mail when moving."
    )
    uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def is_polled(self) -> bool:
        return self.is_active and bool(self.host)


class UnknownSender(models.TextChoices):
    NEW_TICKET = "new_ticket", "Open a new ticket for the sender"
    QUARANTINE = "quarantine", "Hold the message in quarantine for an admin"


class MailPolicy(models.Model):
    """What a department does with a reply from an address that may not post on the ticket
    it answers (not the requester, a CC'd collaborator or an agent who sees the ticket)."""

    department = models.OneToOneField(
        "directory.Department", on_delete=models.CASCADE, related_name="mail_policy"
    )
    unknown_sender = models.CharField(
        max_length=12, choices=UnknownSender.choices, default=UnknownSender.NEW_TICKET
    )

    class Meta:
        verbose_name_plural = "mail policies"

    def __str__(self) -> str:
        return f"mail policy of {self.department}"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    CREATED = "created", "Created a ticket"
    THREADED = "threaded", "Added to a ticket"
    IGNORED = "ignored", "Ignored (automatic mail)"
    QUARANTINED = "quarantined", "Quarantined"
    DISMISSED = "dismissed", "Dismissed by an admin"


def message_key(message_id: str, raw: bytes) -> str:
    """The ledger's idempotency key: the Message-ID, or the content when it has none."""
    if message_id:
        return hashlib.sha256(b"id:" + message_id.encode("utf-8", "replace")).hexdigest()
    return hashlib.sha256(b"raw:" + raw).hexdigest()


class InboundMessage(models.Model):
    """Every message received, once (unique ``key``), with its raw bytes and what became of
    it. The quarantine is the rows with status ``quarantined``."""

    key = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=255, blank=True)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=250, blank=True)
    received_at = models.DateTimeField(default=clock.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    reason = models.TextField(blank=True)
    defects = models.TextField(blank=True, help_text="What the parser found odd.")
    attempts = models.PositiveIntegerField(default=1)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entry = models.ForeignKey(
        "tickets.ThreadEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    size = models.PositiveIntegerField(default=0)
    raw = models.BinaryField()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["sender", "received_at"], name="inbound_sender_time"),
            models.Index(fields=["status", "-id"], name="inbound_status"),
            models.Index(fields=["message_id"], name="inbound_message_id"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.key[:12]} ({self.status})"


class QuarantineManager(models.Manager["QuarantinedMessage"]):
    def get_queryset(self) -> models.QuerySet[QuarantinedMessage]:
        return super().get_queryset().filter(status=InboundStatus.QUARANTINED)


class QuarantinedMessage(InboundMessage):
    """The quarantine: messages that could not be processed, for an admin to look at."""

    objects: ClassVar[QuarantineManager] = QuarantineManager()  # type: ignore[assignment]

    class Meta:
        proxy = True
        verbose_name = "quarantined message"
