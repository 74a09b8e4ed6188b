"""Automation rules and canned responses (macros), stored as data and edited by admins.

A rule's ``conditions`` and ``actions`` are the JSON the pure evaluator
(:mod:`helpline.rules.engine`) validates; :func:`Rule.as_engine_data` is what it receives.
Only :mod:`helpline.rules.services` writes these rows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from helpline.core import clock


class Trigger(models.TextChoices):
    CREATED = "created", "Ticket created"
    UPDATED = "updated", "Ticket updated"
    CUSTOMER_REPLIED = "customer_replied", "Customer replied"
    TIME = "time", "Time-based (checked by the worker)"


class Match(models.TextChoices):
    ALL = "all", "All conditions"
    ANY = "any", "Any condition"


_RULE_FORM_FIELDS = frozenset({"name", "trigger", "match", "conditions", "actions", "stop"})


class Rule(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    enabled = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.CREATED)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(
        default=list,
        blank=True,
        help_text='A list of {"field", "op", "value"}; none: the rule matches every ticket.',
    )
    actions = models.JSONField(default=list, help_text='A list of {"type", ...parameters}.')
    stop = models.BooleanField(
        default=False, help_text="When this rule matches, no later rule is evaluated."
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["trigger", "enabled", "order"], name="rule_trigger")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Validate conditions and actions with the engine; errors land on the form field
        they belong to (``conditions``, ``actions``), each naming its path."""
        from helpline.rules.services import rule_problems

        errors: dict[str, list[str]] = {}
        for path, message in rule_problems(self).items():
            name = path.split("[", 1)[0].split(".", 1)[0]
            name = name if name in _RULE_FORM_FIELDS else NON_FIELD_ERRORS
            errors.setdefault(name, []).append(f"{path}: {message}")
        if errors:
            raise ValidationError(errors)

    def as_engine_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "trigger": self.trigger,
            "match": self.match,
            "conditions": self.conditions,
            "actions": self.actions,
            "stop": self.stop,
            "enabled": self.enabled,
        }
        if self.pk is not None:
            data["id"] = self.pk
        return data


class RuleRun(models.Model):
    """One rule that matched a ticket, and what applying its actions did."""

    rule = models.ForeignKey(Rule, null=True, on_delete=models.SET_NULL, related_name="runs")
    rule_name = models.CharField(max_length=120)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    depth = models.PositiveSmallIntegerField(default=0, help_text="Position in a rule chain.")
    ticket_version = models.PositiveIntegerField(
        default=0, help_text="The ticket's version after the actions were applied."
    )
    applied = models.JSONField(default=list, help_text="One line per action.")
    errors = models.JSONField(default=list)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["rule", "ticket", "-id"], name="rulerun_rule_ticket")]

    def __str__(self) -> str:
        return f"{self.rule_name} on ticket {self.ticket_id}"


class SweepCursor(models.Model):
    """Where the time-based sweep left off (one row per sweep name), so each minute reads the
    next batch of open tickets rather than the same first ones."""

    name = models.CharField(max_length=32, primary_key=True)
    last_ticket_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_ticket_id}"


class MacroStatus(models.TextChoices):
    NONE = "", "Leave the status"
    PEND = "pend", "Pending (waiting on the customer)"
    HOLD = "hold", "On hold"


class Macro(models.Model):
    """A canned response: a reply body with variables, and optional status and field changes."""

    name = models.CharField(max_length=120)
    department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Blank: every department.",
    )
    body = models.TextField(
        help_text="Variables: {{ ticket.number }}, {{ ticket.subject }}, {{ requester.name }}, "
        "{{ agent.name }} … (see docs/automation.md)."
    )
    status_action = models.CharField(
        max_length=10, choices=MacroStatus.choices, default=MacroStatus.NONE, blank=True
    )
    field_changes = models.JSONField(
        default=dict,
        blank=True,
        help_text='Optional: {"priority": "high", "type": "incident", "impact": "high", '
        '"urgency": "low", "add_tags": ["vpn"]}.',
    )
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="unique_macro_name")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from helpline.rules.macros import macro_problems

        problems = macro_problems(body=self.body, field_changes=self.field_changes)
        if problems:
            raise ValidationError(problems)
