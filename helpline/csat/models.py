"""Customer satisfaction: the admin's settings and one survey per resolution.

A survey is opened when a ticket is resolved and carries the rating once given, with the agent
(the assignee at resolution) and the department, so reports never depend on later reassignment.
Resolving the ticket again supersedes the open survey: its link stops working.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from helpline.core import clock
from helpline.csat.scale import SCALE_CHOICES, Scale


class CsatSettings(models.Model):
    """The one row of CSAT settings (pk 1), edited in the admin."""

    enabled = models.BooleanField(default=True, help_text="Ask for a rating on resolution.")
    scale = models.CharField(max_length=10, choices=SCALE_CHOICES, default=Scale.FIVE.value)
    low_threshold = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="On the 1-5 scale, a rating at or below this is low and notifies the "
        "department manager. On good/bad, 'bad' is low.",
    )
    link_valid_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="How long the rating link in the mail works.",
    )

    class Meta:
        verbose_name = "CSAT settings"
        verbose_name_plural = "CSAT settings"

    def __str__(self) -> str:
        return "CSAT settings"


class Channel(models.TextChoices):
    EMAIL = "email", "Email link"
    PORTAL = "portal", "Portal"
    API = "api", "API"


class Survey(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "directory.Department", on_delete=models.PROTECT, related_name="+"
    )
    scale = models.CharField(max_length=10, choices=SCALE_CHOICES)
    # SHA-256 of the link's token; the token itself is only ever in the mail.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    rating = models.SmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    satisfied = models.BooleanField(null=True, blank=True)
    low = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(superseded_at__isnull=True),
                name="csat_one_current_survey",
            )
        ]
        indexes = [
            models.Index(fields=["ticket", "-id"], name="csat_ticket"),
            models.Index(
                fields=["rated_at", "department"],
                condition=models.Q(rated_at__isnull=False),
                name="csat_rated",
            ),
        ]

    def __str__(self) -> str:
        return f"survey {self.pk} on ticket {self.ticket_id}"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_rated(self) -> bool:
        return self.rated_at is not None
