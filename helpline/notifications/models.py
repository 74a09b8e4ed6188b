"""Mail out (the outbox and its delivery log), email templates admins edit, per-agent
notification preferences and in-app notifications.

Only ``helpline.notifications.services`` writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from helpline.accounts.models import language_choices
from helpline.core import clock


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    DEAD = "dead", "Gave up"


class Audience(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"


class OutboundMessage(models.Model):
    """One email Helpline sends, rendered and stored before the first attempt.

    ``message_id`` (with angle brackets) is what a reply's In-Reply-To names: mail ingestion
    looks it up to thread the reply into ``ticket``.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_messages",
    )
    entry = models.ForeignKey(
        "tickets.ThreadEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.CharField(max_length=40)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.CUSTOMER)
    from_email = models.CharField(max_length=300, blank=True)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=400)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The retry sweep reads only what is due.
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
            models.Index(fields=["ticket", "id"], name="outbound_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {', '.join(self.to)} ({self.status})"


class EmailTemplate(models.Model):
    """An admin's version of one event's mail in one language; overrides the file default."""

    event = models.CharField(max_length=40)
    language = models.CharField(max_length=10, choices=language_choices, default="en")
    subject = models.CharField(max_length=400)
    text = models.TextField("text body")
    html = models.TextField("HTML body", blank=True, help_text="Optional.")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["event", "language"]
        constraints = [
            models.UniqueConstraint(fields=["event", "language"], name="unique_template_language")
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.language})"


class NotificationPreference(models.Model):
    """How one agent wants to hear about one event. No row: the event's defaults."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    event = models.CharField(max_length=40)
    email = models.BooleanField(default=True)
    in_app = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="unique_pref_user_event")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}: email={self.email} in_app={self.in_app}"


class Notification(models.Model):
    """An in-app notification for one agent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(max_length=40)
    text = models.CharField(max_length=500)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at", "id"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.text}"
