"""Time logged on tickets, the admin's activity types and hourly rates, running timers.

An entry keeps the hourly rate that applied when it was logged and its cost, so changing a rate
later never rewrites what past work cost.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from helpline.core import clock


class ActivityType(models.Model):
    name = models.CharField(max_length=80, unique=True)
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class LevelRate(models.Model):
    """The hourly cost of an agent of a support level without a rate of their own."""

    support_level = models.PositiveSmallIntegerField(
        unique=True, choices=[(1, "Level 1"), (2, "Level 2"), (3, "Level 3")]
    )
    hourly_rate = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["support_level"]

    def __str__(self) -> str:
        return f"Level {self.support_level}: {self.hourly_rate}/h"


class AgentRate(models.Model):
    """An agent's own hourly cost; overrides their level's rate."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"role__in": ["agent", "admin"]},
    )
    hourly_rate = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["agent__email"]

    def __str__(self) -> str:
        return f"{self.agent}: {self.hourly_rate}/h"


class TimeEntry(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    # The ticket's department when the time was logged: cost reports stay stable.
    department = models.ForeignKey(
        "directory.Department", on_delete=models.PROTECT, related_name="+"
    )
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    note = models.CharField(max_length=500, blank=True)
    work_date = models.DateField()
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2)
    cost = models.DecimalField(max_digits=12, decimal_places=2)
    # The reply this time was spent on, if any.
    entry = models.OneToOneField(
        "tickets.ThreadEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["work_date", "id"]
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(fields=["ticket", "id"], name="time_ticket"),
            models.Index(fields=["work_date", "department"], name="time_date_dept"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1, minutes__lte=24 * 60), name="time_minutes_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on ticket {self.ticket_id}"


class Timer(models.Model):
    """A running timer of one agent on one ticket, kept server-side so it survives reloads."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "ticket"], name="one_timer_per_agent_ticket")
        ]

    def __str__(self) -> str:
        return f"timer of {self.agent_id} on {self.ticket_id}"
