from __future__ import annotations

from typing import Any

import pytest
from django.core import mail as django_mail

from helpline.accounts.models import User
from helpline.mail.models import InboundMessage, InboundStatus, Mailbox, MailPolicy
from helpline.mail.services import DUPLICATE, ingest
from helpline.mail.tests.factories import SUPPORT, message
from helpline.tickets.models import EntryKind, ThreadEntry, Ticket

pytestmark = pytest.mark.django_db


def test_a_message_to_the_support_mailbox_opens_an_email_ticket_in_its_department(
    desk: Any, support_box: Mailbox
) -> None:
    result = ingest(message(sender="Ana Lima <ana@example.org>"), mailbox=support_box)

    assert result.status == InboundStatus.CREATED
    ticket = Ticket.objects.get()
    assert ticket.channel == "email"
    assert ticket.department == desk.department
    assert ticket.subject == "VPN drops every few minutes"
    assert "the VPN drops every few minutes" in ticket.description
    assert ticket.requester.email == "ana@example.org"
    assert ticket.requester.name == "Ana Lima"
    assert result.message.ticket == ticket


def test_without_a_mailbox_the_recipient_address_picks_the_mailbox(
    desk: Any, support_box: Mailbox
) -> None:
    result = ingest(message(to=f"Support <{SUPPORT.upper()}>"))

    assert result.message.mailbox == support_box
    assert result.ticket is not None and result.ticket.department == desk.department


def test_the_same_message_twice_is_recorded_once(desk: Any, support_box: Mailbox) -> None:
    raw = message()

    first = ingest(raw, mailbox=support_box)
    second = ingest(raw, mailbox=support_box)

    assert second.status == DUPLICATE
    assert second.message.pk == first.message.pk
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_reply_twice_gives_one_thread_entry(desk: Any, support_box: Mailbox) -> None:
    ticket = desk.ticket(subject="Printer")
    reply = message(sender=desk.customer.email, subject=f"Re: [#{ticket.number}] Printer")

    ingest(reply, mailbox=support_box)
    ingest(reply, mailbox=support_box)

    assert ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.CUSTOMER_MESSAGE).count() == 1


def test_a_message_without_message_id_is_deduplicated_by_content(
    desk: Any, support_box: Mailbox
) -> None:
    raw = b"From: ana@example.org\r\nSubject: Help\r\n\r\nMy screen is black.\r\n"

    ingest(raw, mailbox=support_box)
    assert ingest(raw, mailbox=support_box).status == DUPLICATE
    assert Ticket.objects.count() == 1


def test_a_reply_threads_by_in_reply_to_a_message_helpline_received(
    desk: Any, support_box: Mailbox
) -> None:
    first = ingest(message(message_id="<first@mail.example.org>"), mailbox=support_box)

    result = ingest(
        message(subject="Re: VPN", body="Still broken.", in_reply_to="<first@mail.example.org>"),
        mailbox=support_box,
    )

    assert result.status == InboundStatus.THREADED
    assert result.ticket == first.ticket
    entry = result.message.entry
    assert entry is not None and entry.kind == EntryKind.CUSTOMER_MESSAGE
    assert entry.body == "Still broken."
    assert entry.channel == "email"
    assert Ticket.objects.count() == 1


def test_a_reply_threads_by_a_thread_entry_message_id(desk: Any, support_box: Mailbox) -> None:
    ticket = desk.ticket()
    ThreadEntry.objects.create(
        ticket=ticket, kind=EntryKind.REPLY, body="Try this", message_id="<r1@helpline.example>"
    )

    result = ingest(
        message(sender=desk.customer.email, in_reply_to="<r1@helpline.example>"),
        mailbox=support_box,
    )

    assert result.ticket == ticket
    assert result.status == InboundStatus.THREADED


def test_a_reply_threads_by_the_ticket_number_in_the_subject(
    desk: Any, support_box: Mailbox
) -> None:
    ticket = desk.ticket(subject="Teams audio")

    result = ingest(
        message(sender=desk.customer.email, subject=f"RE: [Helpline #{ticket.number}] Teams"),
        mailbox=support_box,
    )

    assert result.ticket == ticket
    assert "subject" in result.reason


def test_a_reply_threads_by_the_plus_address_of_the_ticket_it_was_sent_to(
    desk: Any, support_box: Mailbox
) -> None:
    ticket = desk.ticket(subject="Teams audio")
    local, _, domain = SUPPORT.partition("@")

    result = ingest(
        message(
            sender=desk.customer.email, subject="Re: Teams", to=f"{local}+t{ticket.number}@{domain}"
        ),
        mailbox=support_box,
    )

    assert result.ticket == ticket
    assert result.status == InboundStatus.THREADED
    assert "reply address" in result.reason


def test_a_plus_address_in_delivered_to_threads_when_to_is_plain(
    desk: Any, support_box: Mailbox
) -> None:
    ticket = desk.ticket(subject="Teams audio")
    local, _, domain = SUPPORT.partition("@")
    headers = {"Delivered-To": f"{local}+t{ticket.number}@{domain}"}

    result = ingest(
        message(sender=desk.customer.email, subject="Teams", headers=headers), mailbox=support_box
    )

    assert result.ticket == ticket


def test_a_plain_text_mail_is_shown_as_written_not_as_markdown(
    desk: Any, support_box: Mailbox
) -> None:
    body = "# not a heading\n*not emphasis* <b>not bold</b>\n\nSecond paragraph"

    result = ingest(message(body=body), mailbox=support_box)

    html = result.ticket.description_html
    assert "<h1>" not in html and "<em>" not in html and "<b>" not in html
    assert "# not a heading<br>" in html and "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "<p>Second paragraph</p>" in html


def test_the_message_id_of_a_reply_is_on_its_thread_entry(desk: Any, support_box: Mailbox) -> None:
    ticket = desk.ticket(subject="Printer")
    raw = message(
        sender=desk.customer.email,
        subject=f"Re: [#{ticket.number}] Printer",
        message_id="<reply-1@mail.example.org>",
    )

    result = ingest(raw, mailbox=support_box)

    assert result.message.entry.message_id == "<reply-1@mail.example.org>"


def test_the_quoted_history_is_trimmed_but_the_raw_message_is_kept(
    desk: Any, support_box: Mailbox
) -> None:
    ticket = desk.ticket()
    body = "It works now.\n\nOn Mon, 3 Jun 2024, Helpline <support@x> wrote:\n> Try again"
    raw = message(sender=desk.customer.email, subject=f"Re: [#{ticket.number}]", body=body)

    result = ingest(raw, mailbox=support_box)

    assert result.message.entry.body == "It works now."
    assert bytes(result.message.raw) == raw


def test_an_agent_of_the_department_replying_by_mail_posts_an_agent_reply(
    desk: Any, support_box: Mailbox
) -> None:
    ticket = desk.ticket()

    result = ingest(
        message(sender=desk.l1.email, subject=f"Re: [#{ticket.number}]"), mailbox=support_box
    )

    assert result.message.entry.kind == EntryKind.REPLY
    assert result.message.entry.author == desk.l1


def test_a_stranger_replying_to_a_ticket_opens_a_new_ticket_by_default(
    desk: Any, support_box: Mailbox
) -> None:
    ticket = desk.ticket()

    result = ingest(
        message(sender="eve@evil.example", subject=f"Re: [#{ticket.number}]"), mailbox=support_box
    )

    assert result.status == InboundStatus.CREATED
    assert result.ticket != ticket
    assert not ThreadEntry.objects.filter(ticket=ticket).exists()


def test_a_stranger_replying_is_quarantined_when_the_department_says_so(
    desk: Any, support_box: Mailbox
) -> None:
    ticket = desk.ticket()
    MailPolicy.objects.create(department=desk.department, unknown_sender="quarantine")

    result = ingest(
        message(sender="eve@evil.example", subject=f"Re: [#{ticket.number}]"), mailbox=support_box
    )

    assert result.status == InboundStatus.QUARANTINED
    assert "may not post" in result.reason
    assert Ticket.objects.count() == 1


def test_an_agent_of_another_department_counts_as_a_stranger(
    desk: Any, support_box: Mailbox
) -> None:
    ticket = desk.ticket()
    MailPolicy.objects.create(department=desk.department, unknown_sender="quarantine")

    result = ingest(
        message(sender=desk.outsider.email, subject=f"Re: [#{ticket.number}]"),
        mailbox=support_box,
    )

    assert result.status == InboundStatus.QUARANTINED


def test_cc_addresses_become_collaborators_who_may_reply(desk: Any, support_box: Mailbox) -> None:
    first = ingest(
        message(to=f"{SUPPORT}, Bob <bob@example.org>", message_id="<m1@example.org>"),
        mailbox=support_box,
    )
    ticket = first.ticket
    assert ticket is not None
    assert list(ticket.collaborators.values_list("email", flat=True)) == ["bob@example.org"]

    reply = ingest(message(sender="bob@example.org", in_reply_to="<m1@example.org>"))

    assert reply.status == InboundStatus.THREADED
    assert reply.ticket == ticket


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(desk: Any, support_box: Mailbox) -> None:
    ticket = desk.ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")

    result = ingest(
        message(sender=desk.customer.email, subject=f"Re: [#{ticket.number}] again"),
        mailbox=support_box,
    )

    assert result.status == InboundStatus.CREATED
    assert result.ticket != ticket
    assert f"Follow-up to closed ticket #{ticket.number}" in result.ticket.description


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "yes"},
        {"List-Id": "<announce.lists.example.org>"},
    ],
)
def test_automatic_mail_is_recorded_as_ignored_and_creates_nothing(
    desk: Any, support_box: Mailbox, headers: dict[str, str]
) -> None:
    result = ingest(message(headers=headers), mailbox=support_box)

    assert result.status == InboundStatus.IGNORED
    assert result.reason
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="ana@example.org").exists()


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.org", "postmaster@example.org"])
def test_mail_from_mail_systems_is_ignored(desk: Any, support_box: Mailbox, sender: str) -> None:
    assert ingest(message(sender=sender), mailbox=support_box).status == InboundStatus.IGNORED


def test_mail_from_helplines_own_address_is_ignored_as_a_loop(
    desk: Any, support_box: Mailbox
) -> None:
    result = ingest(message(sender=SUPPORT), mailbox=support_box)

    assert result.status == InboundStatus.IGNORED
    assert "loop" in result.reason


def test_auto_submitted_no_is_a_person(desk: Any, support_box: Mailbox) -> None:
    result = ingest(message(headers={"Auto-Submitted": "no"}), mailbox=support_box)

    assert result.status == InboundStatus.CREATED


def test_a_sender_over_the_hourly_limit_is_quarantined(
    desk: Any, support_box: Mailbox, settings: Any
) -> None:
    settings.HELPLINE_MAIL_RATE_LIMIT = 3

    results = [ingest(message(subject=f"n{i}"), mailbox=support_box) for i in range(5)]

    assert [r.status for r in results] == ["created"] * 3 + ["quarantined"] * 2
    assert "rate limit" in results[-1].reason
    assert Ticket.objects.count() == 3


def test_a_message_without_a_sender_is_quarantined(desk: Any, support_box: Mailbox) -> None:
    raw = b"Subject: who am I\r\nMessage-ID: <anon@x>\r\n\r\nNo From header.\r\n"

    result = ingest(raw, mailbox=support_box)

    assert result.status == InboundStatus.QUARANTINED
    assert "sender" in result.reason
    assert bytes(InboundMessage.objects.get().raw) == raw


def test_a_deactivated_senders_mail_is_quarantined(desk: Any, support_box: Mailbox) -> None:
    User.objects.filter(pk=desk.customer.pk).update(is_active=False)

    result = ingest(message(sender=desk.customer.email), mailbox=support_box)

    assert result.status == InboundStatus.QUARANTINED


def test_attachments_are_stored_and_oversized_ones_are_listed(
    desk: Any, support_box: Mailbox, settings: Any
) -> None:
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = 1000
    raw = message(
        attachments=[
            ("log.txt", b"error 42\n", "text/plain"),
            ("dump.bin", b"x" * 5000, "application/octet-stream"),
        ]
    )

    result = ingest(raw, mailbox=support_box)

    ticket = result.ticket
    assert ticket is not None
    assert [a.filename for a in ticket.attachments.all()] == ["log.txt"]
    assert "dump.bin" in ticket.description and "not stored" in ticket.description


def test_a_new_ticket_by_mail_sends_the_acknowledgement(
    desk: Any, support_box: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest(message(), mailbox=support_box)

    assert result.ticket is not None
    acknowledgements = [m for m in django_mail.outbox if "ana@example.org" in m.to]
    assert acknowledgements
    assert str(result.ticket.number) in acknowledgements[0].subject


def test_an_out_of_office_reply_sends_nothing(
    desk: Any, support_box: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ingest(message(headers={"Auto-Submitted": "auto-replied"}), mailbox=support_box)

    assert django_mail.outbox == []
