"""The outbox: every mail is stored with its own Message-ID, threads under the ticket's earlier
messages, routes replies back, is retried with backoff and logged on the ticket."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.audit.models import AuditEvent
from helpline.core import clock
from helpline.core.errors import ValidationFailed
from helpline.notifications import services
from helpline.notifications.models import OutboundMessage, OutboundStatus
from helpline.notifications.sweeps import retry_side_effects
from helpline.tickets import services as ticket_services
from helpline.tickets.models import EntryKind


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def mail_fails(monkeypatch):
    """The mail server refuses the next ``count`` sends (set .count), then works again."""

    class Failing:
        count = 1
        error: Exception = smtplib.SMTPServerDisconnected("connection lost")

    original = EmailMultiAlternatives.send

    def send(self, fail_silently=False):
        if Failing.count > 0:
            Failing.count -= 1
            raise Failing.error
        return original(self, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send)
    return Failing


def _ack(desk, committed, **fields):
    with committed():
        ticket = desk.ticket(subject="Printer jams", **fields)
    ack = OutboundMessage.objects.get(ticket=ticket, event="ticket_created")
    return ticket, ack


# --- headers ------------------------------------------------------------------------------


def test_every_mail_has_its_own_message_id_recorded_in_the_outbox(desk, committed):
    ticket, ack = _ack(desk, committed)
    sent = {m.extra_headers["Message-ID"] for m in mail.outbox}
    stored = set(OutboundMessage.objects.filter(ticket=ticket).values_list("message_id", flat=True))
    assert len(sent) == len(mail.outbox) == 2
    assert sent == stored
    assert ack.message_id.startswith("<") and ack.message_id.endswith(">")
    assert ack.status == OutboundStatus.SENT and ack.sent_at is not None


def test_message_ids_use_the_configured_mail_domain(desk, committed, settings):
    settings.HELPLINE_MAIL_DOMAIN = "support.example.org"
    _, ack = _ack(desk, committed)
    assert ack.message_id.endswith("@support.example.org>")


def test_the_acknowledgement_threads_an_agent_reply_under_it(desk, committed):
    ticket, ack = _ack(desk, committed)
    mail.outbox.clear()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Which model?")
    (reply,) = mail.outbox
    assert reply.extra_headers["In-Reply-To"] == ack.message_id
    assert reply.extra_headers["References"] == ack.message_id
    assert reply.extra_headers["Message-ID"] != ack.message_id


def test_a_reply_answers_the_customers_last_mail_and_references_the_first(desk, committed):
    ticket, ack = _ack(desk, committed)
    customer_entry = ticket_services.ticket_reply(
        actor=desk.customer, ticket=ticket, body="It is the HP one."
    )
    # What mail ingestion records for a message that came in by mail:
    customer_entry.message_id = "<abc@customer.example.com>"
    customer_entry.save(update_fields=["message_id"])
    mail.outbox.clear()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="On my way.")
    (reply,) = [m for m in mail.outbox if desk.customer.email in m.to]
    assert reply.extra_headers["In-Reply-To"] == "<abc@customer.example.com>"
    assert reply.extra_headers["References"] == f"{ack.message_id} <abc@customer.example.com>"


def test_customer_mail_never_references_mail_sent_only_to_agents(desk, committed):
    ticket, _ = _ack(desk, committed)  # also mails the assigned agent
    agent_mail = OutboundMessage.objects.get(ticket=ticket, event="ticket_assigned")
    mail.outbox.clear()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Hi.")
    (reply,) = mail.outbox
    assert agent_mail.message_id not in reply.extra_headers["References"]


def test_replies_go_to_the_support_address_plus_addressed_with_the_ticket(
    desk, committed, settings
):
    settings.HELPLINE_SUPPORT_EMAIL = "support@example.org"
    ticket, _ = _ack(desk, committed)
    assert len(mail.outbox) == 2
    expected = [f"support+t{ticket.number}@example.org"]
    assert all(m.reply_to == expected for m in mail.outbox)


def test_without_a_support_address_replies_go_to_the_plus_addressed_from_address(
    desk, committed, settings
):
    settings.HELPLINE_SUPPORT_EMAIL = ""
    settings.DEFAULT_FROM_EMAIL = "Helpline <helpdesk@example.org>"
    ticket, _ = _ack(desk, committed)
    assert mail.outbox[0].reply_to == [f"Helpline <helpdesk+t{ticket.number}@example.org>"]


def test_plus_addressing_can_be_turned_off(desk, committed, settings):
    settings.HELPLINE_SUPPORT_EMAIL = "support@example.org"
    settings.HELPLINE_MAIL_PLUS_ADDRESSING = False
    _ack(desk, committed)
    assert all(m.reply_to == ["support@example.org"] for m in mail.outbox)


def test_mail_about_no_ticket_replies_to_the_plain_support_address(settings):
    settings.HELPLINE_SUPPORT_EMAIL = "support@example.org"
    message = OutboundMessage(event="rule_notify", to=["a@example.org"], headers={})
    assert services._email(message).reply_to == ["support@example.org"]


def test_the_subject_carries_the_ticket_number_for_threading_by_subject(desk, committed):
    ticket, ack = _ack(desk, committed)
    assert ack.subject.startswith(f"[#{ticket.number}] ")


def test_the_acknowledgement_is_auto_replied_and_agent_mail_auto_generated(desk, committed):
    _ack(desk, committed)
    ack, assigned = mail.outbox
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert assigned.extra_headers["Auto-Submitted"] == "auto-generated"


def test_an_agent_reply_is_not_marked_automatic_and_shows_the_agents_name(desk, committed):
    ticket = desk.ticket()
    mail.outbox.clear()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Hello.")
    (reply,) = mail.outbox
    assert "Auto-Submitted" not in reply.extra_headers
    assert reply.from_email == f"{desk.l1.display_name} via Helpline <helpdesk@helpline.invalid>"


# --- never a note -------------------------------------------------------------------------


def test_the_outbox_refuses_an_internal_note(desk):
    ticket = desk.ticket()
    note = ticket_services.ticket_note(actor=desk.l1, ticket=ticket, body="hunter2")
    assert note.kind == EntryKind.NOTE
    with pytest.raises(ValidationFailed):
        services.outbound_queue(
            ticket=ticket, event="agent_replied", to=[desk.customer.email], subject="s",
            text=note.body, entry=note,
        )  # fmt: skip
    assert not OutboundMessage.objects.filter(entry=note).exists()


def test_notes_never_appear_in_the_outbox(desk, committed):
    ticket = desk.ticket()
    with committed():
        ticket_services.ticket_note(actor=desk.l1, ticket=ticket, body="The password is hunter2")
    assert not OutboundMessage.objects.filter(body_text__contains="hunter2").exists()


# --- retries ------------------------------------------------------------------------------


def test_a_failed_send_is_recorded_and_retried_a_minute_later(desk, committed, mail_fails):
    ticket = desk.ticket()
    mail.outbox.clear()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Retry me.")
    message = OutboundMessage.objects.get(ticket=ticket, event="agent_replied")
    assert mail.outbox == []
    assert message.status == OutboundStatus.FAILED
    assert message.attempts == 1
    assert "connection lost" in message.last_error
    now = clock.now()
    assert timedelta(seconds=50) < message.next_attempt_at - now <= timedelta(minutes=1)

    assert retry_side_effects(now=now) == (0, 0)  # not due yet
    assert retry_side_effects(now=now + timedelta(minutes=2)) == (1, 0)
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT
    assert message.attempts == 2
    (sent,) = mail.outbox
    assert sent.extra_headers["Message-ID"] == message.message_id  # the same message


def test_backoff_grows_and_the_message_dies_after_the_last_attempt(
    desk, committed, mail_fails, settings
):
    settings.HELPLINE_MAIL_MAX_ATTEMPTS = 3
    mail_fails.count = 100
    ticket = desk.ticket()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Doomed.")
    message = OutboundMessage.objects.get(ticket=ticket, event="agent_replied")
    start = message.next_attempt_at
    retry_side_effects(now=start)
    message.refresh_from_db()
    assert message.status == OutboundStatus.FAILED
    assert message.next_attempt_at - start == timedelta(minutes=5)
    retry_side_effects(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == OutboundStatus.DEAD
    assert message.attempts == 3
    assert message.next_attempt_at is None
    assert AuditEvent.objects.filter(action="mail.dead", object_id=str(message.pk)).exists()
    assert retry_side_effects(now=start + timedelta(days=1)) == (0, 0)


def test_a_refused_recipient_is_not_retried(desk, committed, mail_fails):
    mail_fails.error = smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")})
    ticket = desk.ticket()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Hi.")
    message = OutboundMessage.objects.get(ticket=ticket, event="agent_replied")
    assert message.status == OutboundStatus.DEAD


def test_a_message_is_sent_once_when_two_workers_try_it(desk, committed, mail_fails):
    ticket = desk.ticket()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Once.")
    message = OutboundMessage.objects.get(ticket=ticket, event="agent_replied")
    later = message.next_attempt_at + timedelta(minutes=1)
    mail.outbox.clear()
    # The first worker's claim moves next_attempt_at on; the second finds nothing due.
    assert services.outbound_deliver(message.pk, now=later) is True
    assert services.outbound_deliver(message.pk, now=later) is False
    assert len(mail.outbox) == 1


def test_a_worker_that_died_mid_send_leaves_the_message_to_be_retried(desk):
    ticket = desk.ticket()
    message = services.outbound_queue(
        ticket=ticket, event="agent_replied", to=["a@example.com"], subject="s", text="t"
    )
    now = clock.now()
    assert services._claim(message.pk, now) is not None  # claimed, then the worker died
    assert services.outbound_retry_due(now=now + timedelta(minutes=1)) == 0
    assert services.outbound_retry_due(now=now + services.LEASE) == 1


def test_a_new_notification_is_stored_claimed_and_sent_with_one_more_write(desk):
    ticket = desk.ticket()
    entry = ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Sent from memory.")
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as queries:
        sent = services.notification_send(
            event="agent_replied", ticket_id=ticket.pk, entry_id=entry.pk
        )
    assert sent == 1 and len(mail.outbox) == 1
    message = OutboundMessage.objects.get(ticket=ticket, event="agent_replied")
    assert (message.status, message.attempts, message.next_attempt_at) == (
        OutboundStatus.SENT, 1, None
    )  # fmt: skip
    outbox_sql = [q["sql"] for q in queries.captured_queries if "outboundmessage" in q["sql"]]
    # the thread's earlier ids, the INSERT, the status UPDATE: no claim, no read by key
    assert [sql.split()[0] for sql in outbox_sql] == ["SELECT", "INSERT", "UPDATE"]


def test_a_worker_that_died_before_sending_a_new_notification_leaves_it_to_the_sweep(desk):
    ticket = desk.ticket()
    message = services.outbound_queue(
        ticket=ticket, event="agent_replied", to=["a@example.com"], subject="s", text="t",
        claimed=True,
    )  # fmt: skip
    now = message.created_at
    assert services.outbound_retry_due(now=now + timedelta(minutes=1)) == 0
    assert services.outbound_retry_due(now=now + services.LEASE) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundStatus.SENT, 2)


def test_the_worker_sweep_runs_the_retries(desk, committed, mail_fails):
    from helpline.sla.sweeps import run_sweeps

    ticket = desk.ticket()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Swept.")
    message = OutboundMessage.objects.get(ticket=ticket, event="agent_replied")
    run_sweeps(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT


# --- the delivery log on the ticket page --------------------------------------------------


def test_agents_see_the_mail_log_on_the_ticket_page(desk, client, committed, mail_fails):
    mail_fails.count = 0
    ticket, ack = _ack(desk, committed)
    mail_fails.count = 1
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Hi.")
    client.force_login(desk.l1)
    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert 'id="delivery-log"' in page
    assert ack.subject in page
    assert "Failed, will retry" in page
    assert "connection lost" in page


def test_customers_never_see_the_mail_log(desk, client, committed):
    ticket, _ = _ack(desk, committed)
    client.force_login(desk.customer)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="delivery-log"' not in page


def test_the_mail_log_costs_one_query_however_many_mails(
    desk, client, committed, django_assert_max_num_queries
):
    ticket, _ = _ack(desk, committed)
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="First")
    client.force_login(desk.l1)
    with django_assert_max_num_queries(100) as few:
        client.get(f"/desk/tickets/{ticket.number}/")
    for n in range(30):
        with committed():
            ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body=f"Reply {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"/desk/tickets/{ticket.number}/")
    assert response.content.decode().count('class="delivery delivery-sent"') == 33


def test_an_admin_can_send_a_given_up_message_again(desk, committed, mail_fails, client):
    mail_fails.error = smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no")})
    ticket = desk.ticket()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Again.")
    message = OutboundMessage.objects.get(ticket=ticket, event="agent_replied")
    assert message.status == OutboundStatus.DEAD
    client.force_login(desk.admin)
    response = client.post(
        "/admin/notifications/outboundmessage/",
        {"action": "send_again", "_selected_action": [message.pk]},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundStatus.QUEUED, 0)
    assert AuditEvent.objects.filter(action="mail.requeue").exists()
    retry_side_effects(now=clock.now())
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT


def test_end_to_end_a_customer_reply_to_the_acknowledgement_threads_both_ways(desk, committed):
    """The acknowledgement's Message-ID is recorded; a mail client's reply to it (In-Reply-To,
    no ticket number in the subject) lands on the ticket; our next mail answers that reply."""
    ingest = pytest.importorskip("helpline.mail.services").ingest
    ticket, ack = _ack(desk, committed)
    sent_ack = mail.outbox[0]
    assert sent_ack.extra_headers["Message-ID"] == ack.message_id
    reply = (
        f"From: {desk.customer.email}\r\nTo: helpdesk@helpline.invalid\r\n"
        "Subject: Re: We received your request\r\n"
        "Message-ID: <reply-1@customer.example.com>\r\n"
        f"In-Reply-To: {ack.message_id}\r\nReferences: {ack.message_id}\r\n"
        "Date: Thu, 26 Nov 2026 08:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nIt is the HP one.\r\n"
    ).encode()
    with committed():
        result = ingest(reply)
    assert result.ticket == ticket
    mail.outbox.clear()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="On my way.")
    (answer,) = [m for m in mail.outbox if desk.customer.email in m.to]
    assert answer.extra_headers["In-Reply-To"] == "<reply-1@customer.example.com>"
    assert answer.extra_headers["References"].split() == [
        ack.message_id,
        "<reply-1@customer.example.com>",
    ]
