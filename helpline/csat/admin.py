from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from helpline.audit.config_admin import AuditedAdmin
from helpline.csat.models import CsatSettings, Survey


@admin.register(CsatSettings)
class CsatSettingsAdmin(AuditedAdmin):
    list_display = ("__str__", "enabled", "scale", "low_threshold", "link_valid_days")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row (pk 1), created with the defaults on first use.
        return not CsatSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Read-only: ratings come from customers, never from the admin."""

    list_display = ("ticket", "department", "agent", "rating", "scale", "rated_at", "low")
    list_filter = ("scale", "low", "department")
    list_select_related = ("ticket", "department", "agent")
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
