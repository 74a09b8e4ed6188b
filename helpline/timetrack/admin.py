from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from helpline.audit.config_admin import AuditedAdmin
from helpline.timetrack.models import ActivityType, AgentRate, LevelRate, TimeEntry


@admin.register(ActivityType)
class ActivityTypeAdmin(AuditedAdmin):
    list_display = ("name", "is_active", "order")
    list_editable = ("is_active", "order")


@admin.register(LevelRate)
class LevelRateAdmin(AuditedAdmin):
    list_display = ("support_level", "hourly_rate")


@admin.register(AgentRate)
class AgentRateAdmin(AuditedAdmin):
    list_display = ("agent", "hourly_rate")
    list_select_related = ("agent",)
    autocomplete_fields = ()
    raw_id_fields = ("agent",)


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    """Read-only: time is logged and corrected on the ticket, where it is audited."""

    list_display = ("ticket", "agent", "activity", "minutes", "cost", "work_date")
    list_filter = ("activity", "department")
    list_select_related = ("ticket", "agent", "activity")
    date_hierarchy = "work_date"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
