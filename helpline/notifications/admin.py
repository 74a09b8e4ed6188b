from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from helpline.audit.config_admin import AuditedAdmin
from helpline.notifications.forms import EmailTemplateForm
from helpline.notifications.models import EmailTemplate, OutboundMessage
from helpline.notifications.registry import EVENTS, example_context
from helpline.notifications.services import outbound_requeue
from helpline.notifications.templating import render_sources


@admin.register(EmailTemplate)
class EmailTemplateAdmin(AuditedAdmin):
    """Admins' versions of the notification mails. Each event documents its variables; the
    preview renders the saved template with the event's example values."""

    form = EmailTemplateForm
    list_display = ["event", "language", "subject", "updated_at"]
    list_filter = ["event", "language"]
    readonly_fields = ["variables", "preview"]
    fields = ["event", "language", "subject", "text", "html", "variables", "preview"]

    @admin.display(description="Variables")
    def variables(self, obj: EmailTemplate | None) -> str:
        if obj is None or obj.event not in EVENTS:
            return format_html(
                "{}",
                "Save once to see the variables of the chosen event (docs/notifications.md "
                "lists them all).",
            )
        rows = sorted(EVENTS[obj.event].variables.items())
        return format_html(
            "<dl>{}</dl>",
            format_html_join("", "<dt><code>{{{{ {} }}}}</code></dt><dd>{}</dd>", rows),
        )

    @admin.display(description="Preview (example values)")
    def preview(self, obj: EmailTemplate | None) -> str:
        if obj is None or obj.pk is None or obj.event not in EVENTS:
            return "Save to preview."
        try:
            subject, text, html = render_sources(
                obj.subject, obj.text, obj.html, example_context(obj.event)
            )
        except Exception as error:  # the preview shows the problem instead of failing
            return f"Cannot render: {error}"
        return format_html(
            "<p><strong>{}</strong></p><pre>{}</pre>{}",
            subject,
            text,
            format_html("<iframe sandbox srcdoc='{}' style='width:100%'></iframe>", html)
            if html
            else "",
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from helpline.core import clock

        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """The mail log, read-only: what was sent, to whom, and what went wrong."""

    list_display = ["created_at", "event", "ticket", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "event"]
    list_select_related = ["ticket"]
    search_fields = ["=message_id", "subject"]
    show_full_result_count = False

    actions = ["send_again"]

    @admin.action(description="Send again (failed or given-up messages)")
    def send_again(self, request: HttpRequest, queryset: Any) -> None:
        actor: Any = request.user  # the admin site lets only staff in
        count = outbound_requeue(actor=actor, pks=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) queued; the worker sends them shortly.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
