"""helpline.core.mail.Email writes what Django's EmailMultiAlternatives writes, with the header
classes built once and the headers it parsed kept for the next message."""

from __future__ import annotations

import email.policy
import re

import pytest
from django.core.mail import EmailMultiAlternatives

from helpline.core.mail import Email, _with_header_classes

HEADERS = {
    "Date": "Fri, 27 Nov 2026 08:30:00 +0000",
    "Message-ID": "<helpline.42.abc@desk.example>",
    "In-Reply-To": "<first@desk.example>",
    "References": "<first@desk.example> <second@desk.example>",
    "Auto-Submitted": "auto-generated",
    "X-Helpline-Ticket": "1042",
}


def build(cls: type[EmailMultiAlternatives], html: bool) -> EmailMultiAlternatives:
    message = cls(
        subject="[#1042] Drucker im 3. Stock — Papierstau ✓ " + "lang " * 20,
        body="Grüße,\nthe service desk\n" + "a long line " * 20,
        from_email="Zoë from Helpline <help@desk.example>",
        to=["Jürgen Müller <juergen@example.com>", "plain@example.org"],
        reply_to=["help+1042@desk.example"],
        headers=HEADERS,
    )
    if html:
        message.attach_alternative("<p>Grüße</p>", "text/html")
    return message


def written(message: EmailMultiAlternatives, policy: email.policy.Policy) -> bytes:
    data = message.message(policy=policy).as_bytes()
    # Multipart boundaries are random: the same message gets another one on every build.
    for boundary in set(re.findall(rb'boundary="([^"]+)"', data)):
        data = data.replace(boundary, b"BOUNDARY")
    return data


@pytest.mark.parametrize("html", [False, True], ids=["text", "text+html"])
@pytest.mark.parametrize(
    "policy", [email.policy.default, email.policy.SMTP], ids=["default", "smtp"]
)
def test_an_email_is_written_byte_for_byte_as_django_writes_it(html, policy):
    ours = written(build(Email, html), policy)
    assert ours == written(build(EmailMultiAlternatives, html), policy)
    assert b"X-Helpline-Ticket: 1042" in ours


def test_each_header_class_is_built_once_per_policy():
    registry = _with_header_classes(email.policy.default).header_factory
    assert registry["Subject"] is registry["subject"]
    assert registry["To"] is not registry["Subject"]
    assert _with_header_classes(email.policy.default) is _with_header_classes(email.policy.default)
    assert (
        email.policy.default.header_factory["Subject"]
        is not (email.policy.default.header_factory["Subject"])
    )  # the stdlib's own registry is left as it is


def test_a_header_value_seen_again_is_handed_out_parsed_as_before():
    registry = _with_header_classes(email.policy.default).header_factory
    first = registry("To", "Jürgen Müller <juergen@example.com>")

    assert registry("To", "Jürgen Müller <juergen@example.com>") is first
    assert registry("To", "plain@example.org") is not first
    assert registry("Cc", "Jürgen Müller <juergen@example.com>") is not first
    assert [address.addr_spec for address in first.addresses] == ["juergen@example.com"]


@pytest.mark.parametrize("html", [False, True], ids=["text", "text+html"])
def test_messages_sharing_kept_headers_are_written_as_django_writes_each(html):
    # The second and third messages reuse every header the first one parsed, under both
    # policies in turn: writing folds a kept header without changing it.
    for policy in (email.policy.default, email.policy.SMTP, email.policy.default):
        ours = written(build(Email, html), policy)
        assert ours == written(build(EmailMultiAlternatives, html), policy)
