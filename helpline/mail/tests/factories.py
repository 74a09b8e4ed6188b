"""Messages and mailboxes for the mail-in tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from helpline.core import clock
from helpline.directory.models import Department
from helpline.mail.models import Mailbox

SUPPORT = "support@helpline.example.com"


def mailbox(*, department: Department | None = None, **fields: Any) -> Mailbox:
    fields.setdefault("name", "support")
    fields.setdefault("address", SUPPORT)
    return Mailbox.objects.create(department=department, **fields)


def message(
    *,
    sender: str = "ana@example.org",
    subject: str = "VPN drops every few minutes",
    body: str = "Hello,\n\nthe VPN drops every few minutes.\n\nAna",
    to: str = SUPPORT,
    message_id: str | None = None,
    in_reply_to: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
) -> bytes:
    """A well-formed message as a mail client would send it."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(clock.now())
    mail["Message-ID"] = message_id or make_msgid(domain="mail.example.org")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    for filename, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()
