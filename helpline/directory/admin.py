from django.contrib import admin

from helpline.audit.config_admin import AuditedAdmin
from helpline.directory.models import (
    Category,
    Department,
    DepartmentMembership,
    HelpTopic,
    Tag,
    Team,
)


class MembershipInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["name", "manager", "email", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    search_fields = ["name"]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "lead"]
    filter_horizontal = ["members"]
    search_fields = ["name"]


@admin.register(HelpTopic)
class HelpTopicAdmin(AuditedAdmin):
    list_display = ["name", "department", "type", "priority", "sla_class", "is_public", "order"]
    list_editable = ["order"]


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["__str__", "parent"]
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    search_fields = ["name"]
