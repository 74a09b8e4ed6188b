"""The knowledge base: articles in a category tree, their revisions, the links to the tickets
they came from or resolved, and the admin's portal settings (designated documents).

Only ``helpline.kb.services`` writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from helpline.core import clock


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal (support team)"
    PUBLIC = "public", "Public"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class PublishPermission(models.TextChoices):
    ANY_AGENT = "any_agent", "Any agent"
    MANAGERS = "managers", "Admins and department managers"


class KbCategory(models.Model):
    """A node of the knowledge base's own category tree (Printing › Drivers)."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "KB category"
        verbose_name_plural = "KB categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="kb_unique_category_name")
        ]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    body = models.TextField(help_text="Markdown.")
    body_html = models.TextField(blank=True)
    keywords = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    category = models.ForeignKey(
        KbCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    status = models.CharField(
        max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kb_articles"
    )
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    revision_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["status", "visibility", "category"], name="kb_article_reading"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED and self.visibility == Visibility.PUBLIC


class ArticleRevision(models.Model):
    """The article as it was saved once. Append-only; a restore adds a new revision."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    keywords = models.CharField(max_length=300, blank=True)
    category = models.ForeignKey(
        KbCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_unique_revision")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class LinkKind(models.TextChoices):
    SOURCE = "source", "Written from this ticket's resolution"
    RESOLVED = "resolved", "Resolved this ticket"


class ArticleTicketLink(models.Model):
    """Which article a ticket's resolution became, or which article resolved a ticket."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "ticket", "kind"], name="kb_unique_ticket_link"
            )
        ]
        indexes = [models.Index(fields=["ticket", "kind"], name="kb_link_ticket")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.kind} {self.ticket_id}"


class KbSettings(models.Model):
    """The one row of portal knowledge settings, chosen by an admin (``settings_get``)."""

    publish_permission = models.CharField(
        max_length=10, choices=PublishPermission.choices, default=PublishPermission.ANY_AGENT
    )
    anonymous_reading = models.BooleanField(
        default=True, help_text="Visitors who are not logged in may read public articles."
    )
    sla_article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The SLA document; blank shows the generated SLA page if there is one.",
    )
    catalog_article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Introduction shown above the service catalog (optional).",
    )
    refuse_outside_catalog = models.BooleanField(
        default=False,
        help_text="Customers can only ask for what the service catalog or a guide offers.",
    )

    class Meta:
        verbose_name = "knowledge base settings"
        verbose_name_plural = "knowledge base settings"

    def __str__(self) -> str:
        return "Knowledge base settings"
