from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from helpline.audit.config_admin import AuditedAdmin
from helpline.core.errors import ValidationFailed
from helpline.webhooks.models import Delivery, Webhook, WebhookEvent
from helpline.webhooks.services import SUBSCRIBABLE, webhook_check_url


class WebhookForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(e.value, e.label) for e in WebhookEvent if e.value in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "secret", "events", "include_internal", "enabled"]

    def clean_url(self) -> str:
        try:
            return webhook_check_url(self.cleaned_data.get("url", ""))
        except ValidationFailed as error:
            raise ValidationError(error.message) from None

    def clean_events(self) -> list[str]:
        return sorted(self.cleaned_data.get("events") or [])


@admin.register(Webhook)
class WebhookAdmin(AuditedAdmin):
    form = WebhookForm
    list_display = ["name", "url", "enabled", "include_internal"]
    list_filter = ["enabled"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log, read-only, with each answer's status code."""

    list_display = [
        "created_at", "webhook", "event", "ticket", "status", "attempts", "response_code",
        "next_attempt_at",
    ]  # fmt: skip
    list_filter = ["status", "event", "webhook"]
    list_select_related = ["webhook", "ticket"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
