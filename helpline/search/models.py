"""Saved views: a named ticket list (search text, structured filters, sort, columns).

A personal view is its owner's; a shared one is listed for every agent and changed only by
its owner or an admin. What the fields may hold is checked by ``services`` through
``criteria``, the same reader the search page and the API use.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from helpline.core import clock


class SavedView(models.Model):
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    shared = models.BooleanField(default=False)
    query = models.CharField(max_length=1000, blank=True)  # the search box language
    filters = models.JSONField(default=dict, blank=True)  # criteria.read_criteria input
    sort = models.CharField(max_length=20, default="created")
    columns = models.JSONField(default=list, blank=True)  # names from criteria.COLUMNS
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_owner_name")
        ]
        indexes = [
            models.Index(
                fields=["name", "id"], condition=models.Q(shared=True), name="saved_view_shared"
            )
        ]

    def __str__(self) -> str:
        return self.name
