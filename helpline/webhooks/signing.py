"""Webhook signatures and which events a ticket change is. Pure: no ORM.

A receiver checks a delivery by computing HMAC-SHA256 with the webhook's secret over
``<X-Helpline-Timestamp>.<raw body>`` and comparing it with ``X-Helpline-Signature``
(``sha256=<hex>``); it should also refuse timestamps more than a few minutes old (replays).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADER = "X-Helpline-Signature"
TIMESTAMP_HEADER = "X-Helpline-Timestamp"
EVENT_HEADER = "X-Helpline-Event"
DELIVERY_HEADER = "X-Helpline-Delivery"

MESSAGE_ACTIONS = {"ticket.reply", "ticket.customer_message"}
NOTE_ACTIONS = {"ticket.note"}
SLA_BREACH_ACTIONS = {"sla.breach", "ticket.sla_breached"}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def change_events(action: str, changes: Mapping[str, Any]) -> tuple[set[str], bool]:
    """(events, internal) for a ticket change recorded as ``action`` with ``changes``.

    ``internal`` is True for an internal note: only endpoints marked internal get it."""
    if action in NOTE_ACTIONS:
        return {"ticket.message_added", "ticket.updated"}, True
    if action == "ticket.create":
        return {"ticket.created"}, False
    events = {"ticket.updated"}
    if "status" in changes:
        events.add("ticket.status_changed")
    if action in MESSAGE_ACTIONS:
        events.add("ticket.message_added")
    if action in SLA_BREACH_ACTIONS:
        events.add("ticket.sla_breached")
    return events, False
