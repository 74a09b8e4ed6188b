"""Admin pages: rules (with a dry run), rule runs, macros, assignment strategies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from helpline.accounts.models import User
from helpline.audit.config_admin import AuditedAdmin
from helpline.core.errors import DomainError
from helpline.directory.models import AssignmentStrategy
from helpline.rules import services
from helpline.rules.models import Macro, Rule, RuleRun


class DryRunForm(forms.Form):
    ticket = forms.IntegerField(min_value=1, max_value=10**18, label="Ticket number")


@admin.register(Rule)
class RuleAdmin(AuditedAdmin):
    list_display = ["name", "trigger", "match", "enabled", "order", "stop", "test_link"]
    list_editable = ["enabled", "order"]
    list_filter = ["trigger", "enabled"]
    search_fields = ["name", "description"]
    readonly_fields = ["test_link", "created_at", "updated_at"]
    fields = [
        "name", "description", "enabled", "order", "trigger", "match", "conditions",
        "actions", "stop", "test_link", "created_at", "updated_at",
    ]  # fmt: skip

    @admin.display(description="Dry run")
    def test_link(self, obj: Rule) -> str:
        if obj.pk is None:
            return "Save the rule first."
        url = reverse("admin:rules_rule_test", args=[obj.pk])
        return format_html('<a href="{}">Test this rule against a ticket</a>', url)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<int:rule_id>/test/",
                self.admin_site.admin_view(self.dry_run_view),
                name="rules_rule_test",
            )
        ]
        return extra + super().get_urls()  # type: ignore[operator]

    def dry_run_view(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        """Test this rule against ticket N: whether it matches and what it would do."""
        rule = get_object_or_404(Rule, pk=rule_id)
        if not self.has_view_permission(request, rule):
            return HttpResponse(status=403)
        form = DryRunForm(request.POST or None)
        result = None
        status = 200
        if request.method == "POST" and form.is_valid():
            assert isinstance(request.user, User)
            try:
                result = services.rule_dry_run(
                    actor=request.user, rule=rule, ticket_number=form.cleaned_data["ticket"]
                )
            except DomainError as error:
                form.add_error("ticket", error.message)
                status = 400
        elif request.method == "POST":
            status = 400
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule,
            "title": f"Test “{rule.name}”",
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "web/rules/admin_dry_run.html", context, status=status)


@admin.register(RuleRun)
class RuleRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "rule_name", "ticket", "trigger", "depth", "error_count"]
    list_filter = ["trigger"]
    list_select_related = ["ticket"]
    search_fields = ["rule_name"]

    @admin.display(description="Errors")
    def error_count(self, obj: RuleRun) -> int:
        return len(obj.errors)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Macro)
class MacroAdmin(AuditedAdmin):
    list_display = ["name", "department", "status_action", "enabled"]
    list_filter = ["enabled", "department"]
    search_fields = ["name", "body"]
    exclude = ["created_by"]

    def save_model(self, request: HttpRequest, obj: Macro, form: Any, change: bool) -> None:
        if not change and isinstance(request.user, User):
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AssignmentStrategy)
class AssignmentStrategyAdmin(AuditedAdmin):
    list_display = ["department", "level", "strategy", "use_skills", "last_agent"]
    list_filter = ["strategy", "level"]
    readonly_fields = ["last_agent"]
