from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from helpline.audit.config_admin import AuditedAdmin
from helpline.tickets.models import PriorityMatrixEntry, Ticket


@admin.register(PriorityMatrixEntry)
class PriorityMatrixAdmin(AuditedAdmin):
    list_display = ["impact", "urgency", "priority"]
    list_editable = ["priority"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets change only through the services (the workspace and the API)."""

    list_display = ["number", "subject", "status", "priority", "department", "assignee"]
    list_filter = ["status", "priority"]
    list_select_related = ["department", "assignee"]
    search_fields = ["=number"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
