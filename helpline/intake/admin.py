from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from helpline.audit.config_admin import AuditedAdmin
from helpline.intake.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedAdmin):
    list_display = ["label", "prefix", "enabled", "department", "help_topic", "last_used_at"]
    list_filter = ["enabled"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if not change:
            raw = ApiKey.new_raw_key()
            obj.key_hash, obj.prefix = ApiKey.hash(raw), raw[:8]
            messages.warning(
                request,
                f"The new API key is {raw} — copy it now: it is stored hashed and not shown again.",
            )
        super().save_model(request, obj, form, change)
