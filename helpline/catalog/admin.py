"""Admin configuration of the service catalog and the intake guides."""

from __future__ import annotations

from django.contrib import admin

from helpline.catalog.models import Deflection, Guide, GuideStep, RequestType, Service


class RequestTypeInline(admin.StackedInline):
    model = RequestType
    extra = 0
    filter_horizontal = ("organizations",)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [RequestTypeInline]


class GuideStepInline(admin.TabularInline):
    model = GuideStep
    fk_name = "guide"
    extra = 1
    raw_id_fields = ("article", "on_yes", "on_no")


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    list_display = ("name", "help_topic", "request_type", "is_active")
    inlines = [GuideStepInline]


@admin.register(Deflection)
class DeflectionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "source", "guide", "step", "article", "help_topic")
    list_filter = ("source",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
