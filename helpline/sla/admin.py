from django.contrib import admin

from helpline.audit.config_admin import AuditedAdmin
from helpline.sla.models import Calendar, Policy, Target


@admin.register(Calendar)
class CalendarAdmin(AuditedAdmin):
    list_display = ["name", "timezone", "country", "subdivision"]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


@admin.register(Policy)
class PolicyAdmin(AuditedAdmin):
    list_display = ["name", "calendar", "is_default", "pause_on_hold", "warning_percent"]
    inlines = [TargetInline]
