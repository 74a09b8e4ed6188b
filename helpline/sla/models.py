"""Business calendars and SLA policies, as admins configure them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from helpline.sla import calendar as cal
from helpline.sla.engine import Targets
from helpline.tickets.states import Priority, choices


def default_weekly() -> dict[str, list[list[str]]]:
    return {day: [["08:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


class Calendar(models.Model):
    """When the desk works: a timezone, weekly hours, holidays, optionally public holidays."""

    name = models.CharField(max_length=120, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    weekly = models.JSONField(
        default=default_weekly,
        help_text='Working hours per weekday, e.g. {"mon": [["08:00", "12:00"], '
        '["12:30", "16:30"]]}. A missing day is closed; 22:00-06:00 runs overnight.',
    )
    holidays = models.JSONField(
        default=list,
        blank=True,
        help_text='Dates closed: "2026-12-24", {"from": "2026-12-24", "to": "2026-12-31"}, '
        'or a partial day {"date": "2026-12-24", "hours": [["08:00", "12:00"]]}.',
    )
    country = models.CharField(
        max_length=8, blank=True, help_text="ISO country code for public holidays, e.g. DK."
    )
    subdivision = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "weekly": self.weekly,
            "holidays": self.holidays,
            "country": self.country or None,
            "subdivision": self.subdivision or None,
        }

    def to_business_calendar(self) -> cal.BusinessCalendar:
        """The pure calendar; cached per row version since building it parses holidays."""
        key = (self.pk, self.updated_at)
        cached = _calendars.get(key)
        if cached is None:
            cached = cal.BusinessCalendar.from_dict(self.as_dict())
            if len(_calendars) > 100:
                _calendars.clear()
            _calendars[key] = cached
        return cached

    def clean(self) -> None:
        try:
            cal.BusinessCalendar.from_dict(self.as_dict())
        except cal.CalendarError as error:
            field = error.field.split(".")[0].split("[")[0] or None
            if field not in {"timezone", "weekly", "holidays", "country", "subdivision"}:
                field = None
            raise ValidationError({field: error.message} if field else error.message) from None


_calendars: dict[tuple[Any, Any], cal.BusinessCalendar] = {}


class Policy(models.Model):
    """Targets per priority for first response, next response and resolution."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="policies")
    is_default = models.BooleanField(
        default=False, help_text="Used when neither the help topic nor the department names one."
    )
    pause_on_hold = models.BooleanField(
        default=False, help_text="Stop the clock while a ticket waits on a third party."
    )
    warning_percent = models.PositiveSmallIntegerField(
        default=75, help_text="Warn when this share of a target has elapsed."
    )
    escalate_on_breach = models.BooleanField(
        default=False, help_text="Escalate to the next support level when resolution breaches."
    )
    is_public = models.BooleanField(default=True, help_text="Shown on the public SLA page.")

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_sla_policy",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not 1 <= self.warning_percent <= 99:
            raise ValidationError({"warning_percent": "between 1 and 99"})

    def targets_for(self, priority: str) -> Targets:
        """The targets for a priority; cached on the instance (call with targets prefetched
        or accept one query)."""
        rows = getattr(self, "_targets_by_priority", None)
        if rows is None:
            rows = {t.priority: t for t in self.targets.all()}
            self._targets_by_priority = rows
        row = rows.get(priority)
        if row is None:
            return Targets(None, None, None, self.warning_percent)
        return Targets(
            row.first_response_minutes,
            row.next_response_minutes,
            row.resolution_minutes,
            self.warning_percent,
        )


class Target(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, choices=choices(Priority))
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="one_target_per_priority")
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.priority}"


class NextCheck(models.Model):
    """When the SLA sweep must look at a ticket again (its earliest warning or due time still
    ahead): the sweep's index, one narrow row per ticket with a running target.

    ``Ticket.sla_next_check_at`` is the truth, read and re-checked under the ticket's lock;
    this table mirrors it (``sla.services.sla_schedule``) so that moving a ticket's next
    check rewrites two small index entries here instead of every index of the wide ticket
    row, whose SLA columns are then all unindexed and updated in place (a HOT update on
    PostgreSQL)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="next_check"
    )
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} at {self.at:%Y-%m-%d %H:%M}"
