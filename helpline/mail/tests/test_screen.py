"""Which mail is automatic (pure: runs without a database)."""

from __future__ import annotations

import pytest

from helpline.mail.inbound.parse import parse_message
from helpline.mail.inbound.screen import automatic_reason


@pytest.fixture(autouse=True)
def _test_settings() -> None:
    """A pure module: nothing to configure (replaces the Django settings fixture)."""


def reason(headers: str, own: frozenset[str] = frozenset()) -> str:
    raw = f"{headers.strip()}\nSubject: x\n\nHello.\n".replace("\n", "\r\n").encode()
    return automatic_reason(raw, parse_message(raw), own)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("From: a@example.org", ""),
        ("From: a@example.org\nAuto-Submitted: no", ""),
        ("From: a@example.org\nAuto-Submitted: auto-replied", "Auto-Submitted"),
        ("From: a@example.org\nAuto-Submitted: auto-generated; owner-email=x", "Auto-Submitted"),
        ("From: a@example.org\nPrecedence: bulk", "Precedence: bulk"),
        ("From: a@example.org\nPrecedence: Junk", "Precedence: junk"),
        ("From: a@example.org\nPrecedence: list", "Precedence: list"),
        ("From: a@example.org\nPrecedence: first-class", ""),
        ("From: a@example.org\nX-Autoreply: yes", "X-Autoreply"),
        ("From: a@example.org\nX-Autorespond: 1", "X-Autorespond"),
        ("From: a@example.org\nList-Id: <dev.lists.example.org>", "List-Id"),
        ("From: MAILER-DAEMON@mx.example.org", "bounce"),
        ("From: postmaster@example.org", "mail system"),
        ("From: a@example.org\nReturn-Path: <>", "Return-Path"),
        ("From: Support <support@helpline.example>", "loop"),
    ],
)
def test_automatic_mail_is_recognised_with_a_reason(headers: str, expected: str) -> None:
    found = reason(headers, frozenset({"support@helpline.example"}))

    assert (expected in found) if expected else found == ""


@pytest.mark.parametrize(
    ("subject", "automatic"),
    [
        ("Automatic reply: [#12] Printer", True),
        ("Out of Office: Printer", True),
        ("Abwesenheitsnotiz: Drucker", True),
        ("AutoReply: Printer", True),
        ("Out of office laptop does not boot", False),
        ("Re: automatic reply settings broken", False),
    ],
)
def test_out_of_office_subjects_count_only_as_a_prefix(subject: str, automatic: bool) -> None:
    raw = f"From: a@example.org\r\nSubject: {subject}\r\n\r\nHi\r\n".encode()

    assert bool(automatic_reason(raw, parse_message(raw))) is automatic
