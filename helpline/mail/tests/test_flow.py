"""The issue's "Done means" for mail in, end to end through a real IMAP server: a mail to the
support mailbox opens a ticket and is acknowledged; the customer's reply from a mail client
threads into it; an out-of-office creates nothing; a message delivered twice is one entry; a
malformed message is quarantined while the rest of the batch goes through."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail as django_mail

from helpline.mail import imap
from helpline.mail.models import InboundMessage, InboundStatus, Mailbox
from helpline.mail.tests.factories import message
from helpline.mail.tests.imap_server import Server
from helpline.mail.tests.test_imap import box_for, deliver
from helpline.tickets.models import EntryKind, ThreadEntry, Ticket

pytestmark = pytest.mark.django_db


def poll(box: Mailbox, capture: Any) -> imap.PollReport:
    with capture(execute=True):  # the acknowledgement is sent when the ingest commits
        return imap.poll_mailbox(Mailbox.objects.get(pk=box.pk))


def test_mail_in_end_to_end(
    desk: Any, imap_server: Server, django_capture_on_commit_callbacks: Any
) -> None:
    box = box_for(imap_server, desk)
    customer = "Ana Lima <ana@example.org>"

    # A customer writes to the support mailbox: a ticket, and an acknowledgement to her.
    deliver(imap_server, message(sender=customer, to=imap_server.user, subject="VPN drops"))
    poll(box, django_capture_on_commit_callbacks)
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.department, ticket.requester.email) == (
        "email",
        desk.department,
        "ana@example.org",
    )
    (ack,) = [m for m in django_mail.outbox if m.to == ["ana@example.org"]]
    assert str(ticket.number) in ack.subject
    ack_id = ack.message()["Message-ID"]
    assert ack_id

    # She answers from her mail client (In-Reply-To the acknowledgement, quote below): the
    # reply threads into the same ticket, quote trimmed.
    reply = message(
        sender=customer,
        to=imap_server.user,
        subject=f"Re: {ack.subject}",
        body=f"It happens at 10:00 every day.\n\nOn Mon, Helpline wrote:\n> {ack.body[:40]}",
        in_reply_to=ack_id,
        message_id="<reply-1@mail.example.org>",
    )
    # An out-of-office answering the acknowledgement, the reply delivered twice, and a
    # malformed message, all in one batch.
    out_of_office = message(
        sender="Frank <frank@example.org>",
        subject=f"Automatic reply: {ack.subject}",
        in_reply_to=ack_id,
        headers={"Auto-Submitted": "auto-replied"},
    )
    malformed = b"\xff\xfe\x00 not a message \x00\r\n\r\n"
    deliver(imap_server, reply, out_of_office, malformed, reply)
    sent_before = len(django_mail.outbox)

    report = poll(box, django_capture_on_commit_callbacks)

    assert report.outcomes == {"threaded": 1, "ignored": 1, "quarantined": 1, "duplicate": 1}
    assert Ticket.objects.count() == 1
    (entry,) = ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.CUSTOMER_MESSAGE)
    assert entry.body == "It happens at 10:00 every day."
    assert entry.message_id == "<reply-1@mail.example.org>"
    assert not any("frank@example.org" in m.to for m in django_mail.outbox[sent_before:])
    ignored = InboundMessage.objects.get(status=InboundStatus.IGNORED)
    assert ignored.sender == "frank@example.org" and ignored.ticket is None
    quarantined = InboundMessage.objects.get(status=InboundStatus.QUARANTINED)
    assert b"not a message" in bytes(quarantined.raw)  # (the server replaced the NULs)
