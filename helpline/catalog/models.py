"""The service catalog (services and the request types customers may start), guided intake
(ordered, branching steps per help topic or request type) and the deflections they count.

Only ``helpline.catalog.services`` writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from helpline.core import clock

GUIDE_FIELDS = [
    ("device", "Device"),
    ("location", "Location"),
    ("error_message", "Error message"),
]


class Service(models.Model):
    """Something the desk offers ("Workplace equipment", "Accounts and access")."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class RequestType(models.Model):
    """One thing a customer may ask for under a service ("New laptop")."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="request_types")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    help_topic = models.ForeignKey(
        "directory.HelpTopic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Routes the ticket (department, type, priority, SLA).",
    )
    organizations = models.ManyToManyField(  # type: ignore[var-annotated]
        "accounts.Organization",
        blank=True,
        related_name="+",
        help_text="Who may request it; none chosen means every customer.",
    )
    extra_fields = models.JSONField(
        default=list,
        blank=True,
        help_text='Extra questions: [{"name": "cost_centre", "label": "Cost centre", '
        '"required": true}].',
    )
    fulfilment_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Expected fulfilment time in working hours."
    )
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="catalog_unique_request")
        ]

    def __str__(self) -> str:
        return f"{self.service} › {self.name}"


class Guide(models.Model):
    """A guided checklist shown before a ticket is opened, for a help topic or request type."""

    name = models.CharField(max_length=120)
    intro = models.TextField(blank=True)
    help_topic = models.OneToOneField(
        "directory.HelpTopic",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="intake_guide",
    )
    request_type = models.OneToOneField(
        RequestType, null=True, blank=True, on_delete=models.CASCADE, related_name="guide"
    )
    required_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="Asked before the ticket is opened: any of device, location, error_message.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StepKind(models.TextChoices):
    QUESTION = "question", "Question (yes / no)"
    INSTRUCTION = "instruction", "Instruction"


class GuideStep(models.Model):
    """One step. A question branches on its answer (``on_yes`` / ``on_no``, default: the next
    step in order); an instruction continues to ``on_yes`` or the next step. Any step may
    suggest an article, and "this solved it" ends the guide with a deflection."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=StepKind.choices, default=StepKind.QUESTION)
    text = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    article = models.ForeignKey(
        "kb.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_yes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_no = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["guide", "order", "id"]

    def __str__(self) -> str:
        return self.text


class DeflectionSource(models.TextChoices):
    GUIDE = "guide", "Guided intake"
    SUGGESTION = "suggestion", "Suggested article"


class Deflection(models.Model):
    """A problem solved without a ticket: one row per "this solved it"."""

    created_at = models.DateTimeField(default=clock.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=12, choices=DeflectionSource.choices)
    guide = models.ForeignKey(
        Guide, null=True, blank=True, on_delete=models.SET_NULL, related_name="deflections"
    )
    step = models.ForeignKey(
        GuideStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="deflections"
    )
    article = models.ForeignKey(
        "kb.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="deflections"
    )
    help_topic = models.ForeignKey(
        "directory.HelpTopic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request_type = models.ForeignKey(
        RequestType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"deflection {self.pk} ({self.source})"
