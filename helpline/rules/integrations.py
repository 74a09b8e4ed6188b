"""The rule actions carried out by other apps: notifications and webhooks.

Looked up when a rule runs, so that the rules work (and say what they skipped) whether or not
those apps offer the function yet. A missing function is a logged warning and a line in the
rule run's log, never an error that stops the other actions.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

NOTIFY = ("helpline.notifications.services", "notify_users")
# The first of these that exists is called as fn(ticket=..., url=..., method=..., payload=...).
WEBHOOK = (("helpline.webhooks.services", "webhook_call"),)


def _function(module: str, name: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def notify(*, ticket: Any, users: list[Any], text: str) -> str:
    send = _function(*NOTIFY)
    if send is None:
        log.warning("rule notify skipped: %s.%s is not available", *NOTIFY)
        return "notify skipped: notifications are not available"
    count = send(ticket=ticket, users=users, event="rule_notify", text=text)
    return f"notified {count} people"


def webhook(*, ticket: Any, url: str, method: str, payload: str | None) -> str:
    for module, name in WEBHOOK:
        call = _function(module, name)
        if call is not None:
            call(ticket=ticket, url=url, method=method, payload=payload)
            return f"webhook {method} {url} queued"
    log.warning("rule webhook skipped: no webhook function in helpline.webhooks")
    return "webhook skipped: webhooks are not available"
