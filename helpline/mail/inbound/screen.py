"""Which inbound mail is automatic: bounces, auto-replies, list mail, our own mail coming back.

Such mail never opens a ticket and never gets an automatic answer, so two robots cannot mail
each other forever. Pure: stdlib only, no Django.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from collections.abc import Collection
from email.message import Message

from helpline.mail.inbound.parse import ParsedMessage

_SYSTEM_SENDERS = ("mailer-daemon", "postmaster")
_BULK = ("bulk", "junk", "list", "auto_reply")
# Subjects that clients without Auto-Submitted put on out-of-office replies (Outlook, Exchange,
# Lotus, German/French Outlook), anchored at the start so "Out of office laptop" is not one.
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto-?reply|autoreply|out of office(?: autoreply)?"
    r"|abwesenheitsnotiz|réponse automatique|respuesta automática)\s*:",
    re.IGNORECASE,
)


_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")


def _headers(raw: bytes) -> Message | None:
    end = _END_OF_HEADERS.search(raw)  # only the header section: the body is not looked at
    try:
        return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
            raw if end is None else raw[: end.end()]
        )
    except Exception:  # headers we cannot read at all: the parsed message decides alone
        return None


def _value(headers: Message | None, name: str) -> str:
    if headers is None:
        return ""
    try:
        value = headers.get(name)
    except Exception:
        return ""
    return " ".join(str(value or "").split()).strip()


def automatic_reason(raw: bytes, parsed: ParsedMessage, own_addresses: Collection[str] = ()) -> str:
    """Why this message is automatic mail to be recorded and ignored; "" when a person sent it.

    ``own_addresses`` are Helpline's own addresses (lowercase): mail from them is our own
    notification coming back, a loop.
    """
    headers = _headers(raw)
    sender = parsed.from_address.lower()
    local_part = sender.partition("@")[0]
    auto_submitted = _value(headers, "Auto-Submitted")
    precedence = _value(headers, "Precedence").lower()
    if parsed.is_bounce:
        return "bounce (delivery status notification)"
    if local_part in _SYSTEM_SENDERS:
        return f"mail from a mail system ({sender})"
    if sender and sender in own_addresses:
        return f"sent by Helpline's own address {sender} (mail loop)"
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        return f"automatic mail (Auto-Submitted: {auto_submitted[:60]})"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _value(headers, name):
            return f"automatic reply ({name})"
    if precedence in _BULK:
        return f"bulk mail (Precedence: {precedence})"
    list_id = _value(headers, "List-Id")
    if list_id:
        return f"mailing-list mail (List-Id: {list_id[:80]})"
    if _value(headers, "Return-Path") == "<>":
        return "automatic mail (empty Return-Path)"
    if parsed.auto_submitted:  # multipart/report and whatever else the parser recognised
        return "automatic mail (report or auto-reply)"
    if _AUTO_SUBJECT.match(parsed.subject):
        return f"automatic reply (subject {parsed.subject[:60]!r})"
    return ""
