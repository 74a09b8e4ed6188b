"""How the support organisation is laid out: departments, teams, help topics, categories."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from helpline.tickets.states import Priority, TicketType, choices


class Department(models.Model):
    """A queue with members, a default service level and an escalation path."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    email = models.EmailField(blank=True, help_text="Address mail for this queue arrives at.")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation_department = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where tickets go when escalated past level 3 of this department.",
    )
    is_active = models.BooleanField(default=True)
    sla_policy = models.ForeignKey(
        "sla.Policy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Default SLA policy of this department's tickets.",
    )
    pending_reminder_days = models.PositiveSmallIntegerField(
        default=3, help_text="Remind the customer after this many days pending without answer."
    )
    pending_resolve_days = models.PositiveSmallIntegerField(
        default=7, help_text="Resolve a pending ticket after this many days without answer."
    )
    autoclose_days = models.PositiveSmallIntegerField(
        default=3, help_text="Close a resolved ticket after this many days unless reopened."
    )
    members = models.ManyToManyField(  # type: ignore[var-annotated]
        settings.AUTH_USER_MODEL, through="DepartmentMembership", related_name="departments"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DepartmentMembership(models.Model):
    department = models.ForeignKey(Department, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    is_manager = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["department", "user"], name="unique_membership")
        ]
        indexes = [models.Index(fields=["user", "department"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.department}"


class Team(models.Model):
    """A cross-department group with a lead."""

    name = models.CharField(max_length=120, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(  # type: ignore[var-annotated]
        settings.AUTH_USER_MODEL, blank=True, related_name="teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A node of the category tree (hardware > laptop > battery)."""

    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unique_category_name")
        ]

    def __str__(self) -> str:
        return f"{self.parent} › {self.name}" if self.parent_id else self.name


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HelpTopic(models.Model):
    """What a customer picks when asking for help; sets the ticket's defaults."""

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=20, choices=choices(TicketType), default=TicketType.INCIDENT)
    priority = models.CharField(
        max_length=10,
        choices=choices(Priority),
        blank=True,
        help_text="Fixed priority for this topic; blank derives it from impact and urgency.",
    )
    sla_class = models.CharField(
        max_length=1,
        blank=True,
        choices=[("A", "A: urgent"), ("B", "B: normal"), ("C", "C: non-urgent")],
    )
    sla_policy = models.ForeignKey(
        "sla.Policy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Overrides the department's SLA policy.",
    )
    is_public = models.BooleanField(default=True, help_text="Customers may pick it.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Strategy(models.TextChoices):
    LOAD_BALANCED = "load_balanced", "Load-balanced (fewest open tickets)"
    ROUND_ROBIN = "round_robin", "Round robin"
    MANUAL = "manual", "Manual claim (left unassigned)"


class AssignmentStrategy(models.Model):
    """How new and escalated tickets of one department and support level get an agent.

    Without a row the department and level are load-balanced. The row is also the round-robin
    pointer (``last_agent``); pickers lock it with ``select_for_update`` so two tickets created
    at once never get the same turn.
    """

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="assignment_strategies"
    )
    level = models.PositiveSmallIntegerField(
        choices=[(1, "Level 1"), (2, "Level 2"), (3, "Level 3")], default=1
    )
    strategy = models.CharField(
        max_length=20, choices=Strategy.choices, default=Strategy.LOAD_BALANCED
    )
    use_skills = models.BooleanField(
        default=False,
        help_text="Prefer agents whose skills cover one of the ticket's tags "
        "(everyone in the pool when nobody has the skill).",
    )
    last_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="Round robin: who got the last ticket.",
    )

    class Meta:
        ordering = ["department__name", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "level"], name="unique_assignment_strategy"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} level {self.level}: {self.get_strategy_display()}"
