"""Factories for automation rules and macros (stored through the models' validation)."""

from __future__ import annotations

import itertools
from typing import Any

from helpline.rules.models import Macro, Rule

_seq = itertools.count(1)


def rule(**fields: Any) -> Rule:
    fields.setdefault("name", f"Rule {next(_seq)}")
    fields.setdefault("trigger", "created")
    fields.setdefault("actions", [{"type": "add_tags", "tags": ["ruled"]}])
    row = Rule(**fields)
    row.full_clean()
    row.save()
    return row


def macro(**fields: Any) -> Macro:
    fields.setdefault("name", f"Macro {next(_seq)}")
    fields.setdefault("body", "Hello {{ requester.name }}, about #{{ ticket.number }}.")
    row = Macro(**fields)
    row.full_clean()
    row.save()
    return row
