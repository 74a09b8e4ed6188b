"""Parse an osTicket-style ticket payload. Pure: no Django, no ORM.

osTicket's documented JSON payload (``POST /api/tickets.json``)::

    {"alert": true, "autorespond": true, "source": "API",
     "name": "Angry User", "email": "api@osticket.com", "phone": "3185558634X123",
     "subject": "Testing API", "ip": "123.211.233.122",
     "message": "data:text/html,MESSAGE <b>HERE</b>",
     "topicId": 1, "priority": 2,
     "attachments": [{"file.txt": "data:text/plain;charset=utf-8,content"},
                     {"image.gif": "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///…"}]}

``message`` is plain text or an RFC 2397 data URL (``data:[<type>][;charset=…][;base64],…``);
HTML is turned into text. Keys this module does not know are ignored, as osTicket ignores
custom fields it has no form for.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

MAX_SUBJECT = 250
MAX_NAME = 200
MAX_PHONE = 50
MAX_ATTACHMENTS = 20

# osTicket's priority ids and names → (impact, urgency).
PRIORITIES: dict[str, tuple[str, str]] = {
    "1": ("low", "low"),
    "low": ("low", "low"),
    "2": ("medium", "medium"),
    "normal": ("medium", "medium"),
    "medium": ("medium", "medium"),
    "3": ("medium", "high"),
    "high": ("medium", "high"),
    "4": ("high", "high"),
    "emergency": ("high", "high"),
    "critical": ("high", "high"),
}

_DATA_URL = re.compile(r"^data:(?P<meta>[^,]*?),(?P<data>.*)$", re.DOTALL | re.IGNORECASE)
_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$", re.IGNORECASE)


class PayloadError(ValueError):
    """The payload cannot make a ticket; the message says why (answered as 400)."""


@dataclass(frozen=True)
class DataUrl:
    content_type: str
    charset: str
    data: bytes

    def text(self) -> str:
        try:
            return self.data.decode(self.charset or "utf-8", errors="replace")
        except LookupError:  # an unknown charset name
            return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class IntakePayload:
    name: str
    email: str
    subject: str
    message: str
    message_is_html: bool
    phone: str = ""
    topic_id: int | None = None
    impact: str | None = None
    urgency: str | None = None
    alert: bool = True
    autorespond: bool = True
    source: str = "API"
    ip: str = ""
    attachments: tuple[File, ...] = ()


def parse_data_url(value: str) -> DataUrl | None:
    """The parts of an RFC 2397 data URL, or None if ``value`` is not one; PayloadError if it
    is one but its data does not decode."""
    match = _DATA_URL.match(value.strip()) if value.lstrip()[:5].lower() == "data:" else None
    if match is None:
        return None
    params = [part.strip() for part in match["meta"].split(";")]
    content_type = params[0].lower() if params and _TYPE.match(params[0]) else "text/plain"
    is_base64 = any(part.lower() == "base64" for part in params[1:])
    charset = ""
    for part in params[1:]:
        key, _, val = part.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip('"')
    raw = match["data"]
    if is_base64:
        try:
            data = base64.b64decode("".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            raise PayloadError("a data URL's base64 does not decode") from None
    else:
        data = unquote_to_bytes(raw)
    return DataUrl(content_type=content_type, charset=charset, data=data)


def _text(payload: dict[str, Any], key: str, max_length: int, *, required: bool) -> str:
    value = payload.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PayloadError(f"Required field missing: {key}")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and key == "phone":
        value = str(value)
    if not isinstance(value, str):
        raise PayloadError(f"{key} must be a string")
    if "\x00" in value:
        raise PayloadError(f"{key} must not contain NUL characters")
    value = " ".join(value.split()) if key != "message" else value.strip()
    if len(value) > max_length:
        raise PayloadError(f"{key} is longer than {max_length} characters")
    return value


def _flag(payload: dict[str, Any], key: str) -> bool:
    value = payload.get(key, True)
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def _topic(payload: dict[str, Any]) -> int | None:
    value = payload.get("topicId")
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise PayloadError("topicId must be a positive integer")
    return value


def _priority(payload: dict[str, Any]) -> tuple[str, str] | None:
    value = payload.get("priorityId", payload.get("priority"))
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PayloadError("priority must be an id (1-4) or a name")
    found = PRIORITIES.get(str(value).strip().lower())
    if found is None:
        raise PayloadError(f"unknown priority {value!r}")
    return found


def _attachments(payload: dict[str, Any]) -> tuple[File, ...]:
    raw = payload.get("attachments") or []
    if not isinstance(raw, list):
        raise PayloadError("attachments must be a list of {filename: data URL}")
    files: list[File] = []
    for item in raw:
        if not isinstance(item, dict):
            raise PayloadError("attachments must be a list of {filename: data URL}")
        for name, value in item.items():
            if not isinstance(value, str):
                raise PayloadError(f"attachment {name!r} must be a data URL")
            parsed = parse_data_url(value)
            if parsed is None:
                raise PayloadError(f"attachment {name!r} must be a data URL")
            clean = str(name).replace("\\", "/").rsplit("/", 1)[-1].strip()[:255] or "attachment"
            files.append(File(name=clean, content_type=parsed.content_type, data=parsed.data))
    if len(files) > MAX_ATTACHMENTS:
        raise PayloadError(f"at most {MAX_ATTACHMENTS} attachments")
    return tuple(files)


def parse_payload(payload: Any) -> IntakePayload:
    """Check and normalise an osTicket ticket payload (already decoded from JSON)."""
    if not isinstance(payload, dict):
        raise PayloadError("the body must be a JSON object")
    message = _text(payload, "message", 1_000_000, required=True)
    is_html = False
    data = parse_data_url(message)
    if data is not None:
        is_html = data.content_type == "text/html"
        message = data.text().strip()
        if not message:
            raise PayloadError("Required field missing: message")
    priority = _priority(payload)
    return IntakePayload(
        name=_text(payload, "name", MAX_NAME, required=True),
        email=_text(payload, "email", 254, required=True),
        subject=_text(payload, "subject", MAX_SUBJECT, required=True),
        message=message,
        message_is_html=is_html,
        phone=_text(payload, "phone", MAX_PHONE, required=False),
        topic_id=_topic(payload),
        impact=priority[0] if priority else None,
        urgency=priority[1] if priority else None,
        alert=_flag(payload, "alert"),
        autorespond=_flag(payload, "autorespond"),
        source=_text(payload, "source", 32, required=False) or "API",
        ip=_text(payload, "ip", 64, required=False),
        attachments=_attachments(payload),
    )
