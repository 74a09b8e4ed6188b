"""Plus addressing: the per-ticket reply address and the ticket number read back from the
recipients. Pure: no database."""

from __future__ import annotations

import pytest

from helpline.mail.inbound.addressing import (
    ticket_number_from_recipients,
    ticket_reply_address,
)

OWN = ["support@helpdesk.example", "billing@helpdesk.example"]


@pytest.mark.parametrize(
    ("address", "number", "expected"),
    [
        ("support@helpdesk.example", 12345, "support+t12345@helpdesk.example"),
        ("Helpline <support@helpdesk.example>", 7, "Helpline <support+t7@helpdesk.example>"),
        (
            '"Desk, IT" <Support@Helpdesk.example>',
            1000,
            '"Desk, IT" <Support+t1000@Helpdesk.example>',
        ),
        # Already plus-addressed: a second tag would not survive every server.
        ("support+desk@helpdesk.example", 12, "support+desk@helpdesk.example"),
        # No local part to extend.
        ("helpdesk.example", 12, "helpdesk.example"),
        ("", 12, ""),
    ],
)
def test_the_reply_address_carries_the_ticket_number_when_it_can(address, number, expected):
    assert ticket_reply_address(address, number) == expected


def test_a_reply_address_reads_back_as_its_ticket_number():
    address = ticket_reply_address("Helpline <support@helpdesk.example>", 4242)
    assert ticket_number_from_recipients([address], OWN) == 4242


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["support+t12345@helpdesk.example"], 12345),
        (["Helpline Support <support+t12345@helpdesk.example>"], 12345),
        (["SUPPORT+T12345@HELPDESK.EXAMPLE"], 12345),
        # A header value with several addresses.
        (["ana@example.org, Desk <billing+t88@helpdesk.example>"], 88),
        # The first header that names a ticket wins (Delivered-To before To).
        (["support+t1@helpdesk.example", "support+t2@helpdesk.example"], 1),
        # Empty and missing headers are skipped.
        (["", "support+t5@helpdesk.example"], 5),
        # No tag, another tag, a malformed tag.
        (["support@helpdesk.example"], None),
        (["support+sales@helpdesk.example"], None),
        (["support+t@helpdesk.example"], None),
        (["support+t12x@helpdesk.example"], None),
        (["support+t-3@helpdesk.example"], None),
        # A tag on somebody else's address is not ours to read.
        (["bob+t99@gmail.com"], None),
        (["support+t99@other.example"], None),
        (["bob+t99@gmail.com", "support+t7@helpdesk.example"], 7),
        # Garbage.
        (["not an address"], None),
        (["@helpdesk.example", "support+t3@"], None),
        ([], None),
    ],
)
def test_the_ticket_number_is_read_from_our_plus_addressed_recipients(headers, expected):
    assert ticket_number_from_recipients(headers, OWN) == expected


def test_own_addresses_are_compared_without_case_and_display_names():
    own = ["Support@HelpDesk.Example"]
    assert ticket_number_from_recipients(["support+t31@helpdesk.example"], own) == 31


def test_without_own_addresses_no_recipient_names_a_ticket():
    assert ticket_number_from_recipients(["support+t31@helpdesk.example"], []) is None
