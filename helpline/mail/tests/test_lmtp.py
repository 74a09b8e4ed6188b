"""The LMTP listener, end to end: a real LMTP client (smtplib.LMTP) talks to the listener
running in a thread on a free port; each recipient gets its own answer."""

from __future__ import annotations

import io
import os
import signal
import smtplib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection

from helpline.mail.lmtp import LMTPController
from helpline.mail.models import InboundMessage, InboundStatus
from helpline.mail.tests import factories
from helpline.mail.tests.factories import SUPPORT

# The listener reads and writes through its own database connection: the test data must be
# committed for it to see it.
# serialized_rollback: each test starts from the migrated rows (the system user, counters) and
# leaves the database as the next committing test expects (see helpline/conftest.py).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BILLING = "billing@helpline.example.com"


@pytest.fixture
def listener() -> Iterator[LMTPController]:
    controller = LMTPController(host="127.0.0.1", port=0)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def client(listener: LMTPController) -> Iterator[smtplib.LMTP]:
    lmtp = smtplib.LMTP("127.0.0.1", listener.port, timeout=30)
    lmtp.ehlo_or_helo_if_needed()
    try:
        yield lmtp
    finally:
        lmtp.close()


def _send(client: smtplib.LMTP, raw: bytes, recipients: list[str]) -> list[tuple[int, bytes]]:
    """MAIL, RCPT for each recipient, DATA; the DATA replies, one per accepted recipient."""
    code, _ = client.mail("ana@example.org")
    assert code == 250
    accepted = [r for r in recipients if client.rcpt(r)[0] == 250]
    if not accepted:
        return []
    replies = [client.data(raw)]
    replies += [client.getreply() for _ in accepted[1:]]
    return replies


def test_a_message_to_the_support_mailbox_opens_a_ticket_and_is_answered_250(
    desk, support_box, client
):
    # As on the wire: CRLF line ends (a mail server sends nothing else).
    raw = factories.message(subject="VPN drops").replace(b"\n", b"\r\n")
    assert _send(client, raw, [SUPPORT])[0][0] == 250
    row = InboundMessage.objects.get()
    assert row.status == InboundStatus.CREATED
    assert row.mailbox == support_box
    assert row.ticket is not None
    assert row.ticket.department == desk.department
    assert row.ticket.subject == "VPN drops"
    assert bytes(row.raw) == raw


def test_the_same_ingestion_as_the_pipe_threads_a_reply_into_its_ticket(desk, support_box, client):
    first = factories.message(message_id="<first@mail.example.org>")
    _send(client, first, [SUPPORT])
    ticket = InboundMessage.objects.get().ticket
    reply = factories.message(
        subject="Re: VPN", body="Still broken.", in_reply_to="<first@mail.example.org>"
    )
    assert _send(client, reply, [SUPPORT])[0][0] == 250
    row = InboundMessage.objects.exclude(message_id="<first@mail.example.org>").get()
    assert row.status == InboundStatus.THREADED
    assert row.ticket == ticket


def test_a_plus_addressed_recipient_is_delivered_to_its_mailbox(desk, support_box, client):
    code, _ = client.mail("ana@example.org")
    assert client.rcpt("support+t12345@helpline.example.com")[0] == 250
    code, _ = client.data(factories.message())
    assert code == 250
    assert InboundMessage.objects.get().mailbox == support_box


def test_an_unknown_recipient_is_refused_with_550(desk, support_box, client):
    client.mail("ana@example.org")
    code, text = client.rcpt("nobody@elsewhere.example")
    assert code == 550
    assert b"no such mailbox" in text
    assert InboundMessage.objects.count() == 0


def test_each_recipient_gets_its_own_answer(desk, support_box, client):
    billing = factories.mailbox(name="billing", address=BILLING, department=desk.other_department)
    client.mail("ana@example.org")
    assert client.rcpt(SUPPORT)[0] == 250
    assert client.rcpt("nobody@elsewhere.example")[0] == 550
    assert client.rcpt(BILLING)[0] == 250
    first = client.data(factories.message())
    second = client.getreply()
    assert first[0] == second[0] == 250
    assert b"created" in first[1]
    assert b"duplicate" in second[1]  # recorded once, by Message-ID
    row = InboundMessage.objects.get()
    assert row.mailbox == support_box != billing


def test_a_quarantined_message_is_answered_250_because_it_is_kept(desk, support_box, client):
    raw = b"To: support@helpline.example.com\r\nSubject: who am I\r\n\r\nno sender\r\n"
    (reply,) = _send(client, raw, [SUPPORT])
    assert reply[0] == 250
    assert b"quarantined" in reply[1]
    row = InboundMessage.objects.get()
    assert row.status == InboundStatus.QUARANTINED
    assert bytes(row.raw) == raw


def test_mail_to_the_support_address_without_a_mailbox_is_ingested_by_its_headers(
    desk, support_box, client, settings
):
    settings.HELPLINE_SUPPORT_EMAIL = "desk@helpline.example.com"
    (reply,) = _send(client, factories.message(), ["desk@helpline.example.com"])
    assert reply[0] == 250
    # The To header names the support mailbox, as mail-ingest without --mailbox would find.
    assert InboundMessage.objects.get().mailbox == support_box


def test_a_database_failure_is_a_451_and_the_retry_is_recorded(desk, support_box, client):
    raw = factories.message(subject="Printer on fire")
    table = InboundMessage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        (reply,) = _send(client, raw, [SUPPORT])
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert reply[0] == 451
    assert InboundMessage.objects.count() == 0
    client.rset()
    (retry,) = _send(client, raw, [SUPPORT])
    assert retry[0] == 250
    ticket = InboundMessage.objects.get().ticket
    assert ticket is not None
    assert ticket.subject == "Printer on fire"


def test_the_mail_lmtp_command_serves_until_it_is_told_to_stop(desk, support_box):
    with socket.socket() as probe:  # a free port for the command
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answers: list[int] = []

    def deliver_then_stop() -> None:
        try:
            for _ in range(100):  # until the command listens
                try:
                    lmtp = smtplib.LMTP("127.0.0.1", port, timeout=30)
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                return
            with lmtp:
                answers.append(lmtp.sendmail("ana@example.org", [SUPPORT], _crlf_message()) == {})
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=deliver_then_stop)
    helper.start()
    out = io.StringIO()
    call_command("mail_lmtp", "--host", "127.0.0.1", "--port", str(port), stdout=out)
    helper.join()
    assert answers == [True]
    assert f"listening on 127.0.0.1:{port}" in out.getvalue()
    assert "stopped" in out.getvalue()
    assert InboundMessage.objects.get().status == InboundStatus.CREATED


def _crlf_message() -> bytes:
    return factories.message().replace(b"\n", b"\r\n")
