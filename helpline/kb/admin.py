"""Admin configuration of the knowledge base: categories and the portal settings. Articles
are written in the agent workspace (/desk/kb/), where every change is a revision."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from helpline.kb.models import KbCategory, KbSettings


@admin.register(KbCategory)
class KbCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "order")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(KbSettings)
class KbSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "publish_permission", "anonymous_reading", "refuse_outside_catalog")
    raw_id_fields = ("sla_article", "catalog_article")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not KbSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
