"""The append-only audit log: who changed what, when, from what to what."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from helpline.core import clock


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(models.Model):
    """One change to a ticket or a configuration object.

    ``ticket`` is set for ticket events so a ticket's trail is one indexed read; ``object_type``
    and ``object_id`` name any other object. Rows are never updated or deleted by the app.
    """

    created_at = models.DateTimeField(default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
        db_index=False,
    )
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["ticket", "id"], name="audit_ticket_id"),
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit events are append-only")
