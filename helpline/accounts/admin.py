from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from helpline.accounts.models import ApiToken, Organization, User
from helpline.audit.config_admin import AuditedAdmin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "role", "support_level", "availability", "organization"]
    list_filter = ["role", "support_level", "availability", "is_active", "language"]
    search_fields = ["email", "name"]
    autocomplete_fields = ["skills"]
    fieldsets = (
        (None, {"fields": ("email", "password", "name", "phone", "timezone", "language")}),
        ("Role", {"fields": ("role", "organization", "is_active", "is_staff", "is_superuser")}),
        (
            "Agent profile",
            {"fields": ("support_level", "availability", "away_until", "capacity", "skills")},
        ),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "name", "role", "password1", "password2")},
        ),
    )


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "domain", "shares_tickets"]
    search_fields = ["name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix", "created_at", "last_used_at"]
