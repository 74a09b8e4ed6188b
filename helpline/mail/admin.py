"""Mail in for admins: mailboxes, department mail policies, received mail and the quarantine
(with "reprocess" and "dismiss" actions)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html

from helpline.audit.config_admin import AuditedAdmin
from helpline.audit.services import audit_record
from helpline.core.errors import DomainError
from helpline.mail.models import InboundMessage, Mailbox, MailPolicy, QuarantinedMessage
from helpline.mail.services import MailTemporaryFailure, inbound_dismiss, inbound_reprocess

RAW_PREVIEW = 20_000  # characters of the raw message shown in the admin


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current password.",
    )

    class Meta:
        model = Mailbox
        fields = [
            "name", "address", "department", "is_active", "host", "port", "security",
            "username", "password", "folder", "after_processing", "move_to",
        ]  # fmt: skip

    def clean_address(self) -> str:
        return self.cleaned_data["address"].strip().lower()

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        return password or (self.instance.password if self.instance.pk else "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("after_processing") == "move" and not data.get("move_to"):
            self.add_error("move_to", "name the folder to move processed mail to")
        return data


@admin.register(Mailbox)
class MailboxAdmin(AuditedAdmin):
    form = MailboxForm
    list_display = ["name", "address", "department", "host", "is_active", "last_polled_at"]
    list_filter = ["is_active"]
    readonly_fields = ["uidvalidity", "last_uid", "last_polled_at", "last_error"]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        changed = [name for name in form.changed_data if name != "password"]
        before = {name: form.initial.get(name) for name in changed} if change else {}
        admin.ModelAdmin.save_model(self, request, obj, form, change)
        after = {name: form.cleaned_data.get(name) for name in changed}
        if "password" in form.changed_data and form.data.get("password"):
            after["password"] = "(changed)"  # never the secret itself in the audit log
        audit_record(
            actor=request.user,
            action=f"mailbox.{'update' if change else 'create'}",
            obj=obj,
            before=before,
            after=after,
        )


@admin.register(MailPolicy)
class MailPolicyAdmin(AuditedAdmin):
    list_display = ["department", "unknown_sender"]
    list_select_related = ["department"]


class ReadOnlyLedgerAdmin(admin.ModelAdmin):
    """Ledger rows are written only by the ingestion service."""

    list_display = ["id", "received_at", "sender", "subject", "status", "ticket_number"]
    list_filter = ["status", "mailbox"]
    list_select_related = ["ticket"]
    search_fields = ["sender", "subject", "=message_id"]
    show_full_result_count = False
    exclude = ["raw"]
    readonly_fields = [
        "key", "message_id", "mailbox", "sender", "subject", "received_at", "processed_at",
        "status", "reason", "defects", "attempts", "ticket", "entry", "size", "raw_message",
    ]  # fmt: skip

    @admin.display(description="ticket")
    def ticket_number(self, obj: InboundMessage) -> str:
        return f"#{obj.ticket.number}" if obj.ticket is not None else ""

    @admin.display(description="raw message")
    def raw_message(self, obj: InboundMessage) -> str:
        text = bytes(obj.raw).decode("utf-8", "replace")
        more = f"\n… ({obj.size} bytes in all)" if len(text) > RAW_PREVIEW else ""
        return format_html(
            '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}{}</pre>',
            text[:RAW_PREVIEW],
            more,
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyLedgerAdmin):
    pass


@admin.register(QuarantinedMessage)
class QuarantineAdmin(ReadOnlyLedgerAdmin):
    list_display = ["id", "received_at", "sender", "subject", "reason", "attempts"]
    list_filter = ["mailbox"]
    list_select_related = []
    actions = ["reprocess", "dismiss"]

    @admin.action(description="Reprocess the selected messages")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done: dict[str, int] = {}
        for message in queryset.defer("raw"):
            try:
                result = inbound_reprocess(actor=request.user, message=message)  # type: ignore[arg-type]
            except (DomainError, MailTemporaryFailure) as error:
                self.message_user(request, f"{message.pk}: {error}", messages.ERROR)
                continue
            done[result.status] = done.get(result.status, 0) + 1
        if done:
            summary = ", ".join(f"{n} {status}" for status, n in sorted(done.items()))
            self.message_user(request, f"Reprocessed: {summary}.", messages.SUCCESS)

    @admin.action(description="Dismiss the selected messages (keep, do not process)")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = 0
        for message in queryset.defer("raw"):
            try:
                inbound_dismiss(actor=request.user, message=message)  # type: ignore[arg-type]
            except DomainError as error:
                self.message_user(request, f"{message.pk}: {error}", messages.ERROR)
                continue
            count += 1
        self.message_user(request, f"Dismissed {count} message(s).", messages.SUCCESS)
