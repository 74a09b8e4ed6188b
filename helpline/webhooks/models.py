"""Webhook endpoints admins define, and the log of every delivery to them.

Only ``helpline.webhooks.services`` writes these rows.
"""

from __future__ import annotations

import secrets

from django.db import models

from helpline.core import clock


class WebhookEvent(models.TextChoices):
    TICKET_CREATED = "ticket.created", "Ticket created"
    TICKET_UPDATED = "ticket.updated", "Ticket updated"
    STATUS_CHANGED = "ticket.status_changed", "Status changed"
    MESSAGE_ADDED = "ticket.message_added", "Message added"
    SLA_BREACHED = "ticket.sla_breached", "SLA breached"
    RULE = "rule", "Called by an automation rule"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, help_text="http:// or https:// only.")
    secret = models.CharField(
        max_length=200,
        default=new_secret,
        help_text="Signs every delivery (X-Helpline-Signature: sha256=HMAC of timestamp.body).",
    )
    events = models.JSONField(default=list, blank=True, help_text="Subscribed events.")
    include_internal = models.BooleanField(
        "internal",
        default=False,
        help_text="Also receives internal notes. Only for endpoints inside the support team.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Delivered"
    FAILED = "failed", "Failed, will retry"
    DEAD = "dead", "Gave up"


class Delivery(models.Model):
    """One event posted (or to be posted) to one webhook, with its attempts' outcome."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["webhook", "-id"], name="delivery_webhook"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"
