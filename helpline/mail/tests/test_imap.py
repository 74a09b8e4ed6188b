"""IMAP polling against a real Dovecot started by the tests (skipped when it is absent)."""

from __future__ import annotations

import imaplib
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from helpline.mail import imap
from helpline.mail.models import InboundMessage, InboundStatus, Mailbox
from helpline.mail.services import MailTemporaryFailure
from helpline.mail.tests.factories import message
from helpline.mail.tests.imap_server import Server
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def connect(server: Server) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server.host, server.port, timeout=10)
    client.login(server.user, server.password)
    return client


def deliver(server: Server, *raws: bytes, folder: str = "INBOX") -> None:
    client = connect(server)
    for raw in raws:
        assert client.append(folder, None, None, raw)[0] == "OK"
    client.logout()


def flags(server: Server, folder: str = "INBOX") -> list[bytes]:
    """The FLAGS of every message in ``folder``, in UID order."""
    client = connect(server)
    client.select(folder)
    status, data = client.uid("FETCH", "1:*", "(FLAGS)")
    client.logout()
    return [item for item in data if isinstance(item, bytes)] if status == "OK" else []


def count(server: Server, folder: str) -> int:
    client = connect(server)
    status, data = client.select(folder, readonly=True)
    client.logout()
    return int(data[0]) if status == "OK" else -1


def box_for(server: Server, desk: Any, **fields: Any) -> Mailbox:
    fields.setdefault("security", "tls" if server.tls else "none")
    return Mailbox.objects.create(
        name=fields.pop("name", "support"),
        address=server.user,
        department=desk.department,
        host=server.host,
        port=server.port,
        username=server.user,
        password=fields.pop("password", server.password),
        **fields,
    )


def test_polling_ingests_new_mail_and_marks_it_seen(desk: Any, imap_server: Server) -> None:
    deliver(imap_server, message(subject="First"), message(subject="Second"))
    box = box_for(imap_server, desk)

    report = imap.poll_mailbox(box)

    assert report.error == ""
    assert report.fetched == 2
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["First", "Second"]
    assert all(b"\\Seen" in line for line in flags(imap_server))
    box.refresh_from_db()
    assert box.last_uid == 2
    assert box.uidvalidity is not None
    assert box.last_polled_at is not None and box.lease_until is None


def test_mail_is_never_deleted_by_default(desk: Any, imap_server: Server) -> None:
    deliver(imap_server, message(), message())

    imap.poll_mailbox(box_for(imap_server, desk))

    assert count(imap_server, "INBOX") == 2


def test_each_message_is_fetched_once(desk: Any, imap_server: Server) -> None:
    deliver(imap_server, message(subject="Old"))
    box = box_for(imap_server, desk)
    imap.poll_mailbox(box)
    deliver(imap_server, message(subject="New"))

    report = imap.poll_mailbox(Mailbox.objects.get(pk=box.pk))

    assert report.fetched == 1
    assert InboundMessage.objects.count() == 2


def test_a_changed_uidvalidity_reads_the_folder_again_without_duplicates(
    desk: Any, imap_server: Server
) -> None:
    deliver(imap_server, message(), message())
    box = box_for(imap_server, desk)
    imap.poll_mailbox(box)
    Mailbox.objects.filter(pk=box.pk).update(uidvalidity=1)

    report = imap.poll_mailbox(Mailbox.objects.get(pk=box.pk))

    assert report.fetched == 2
    assert report.outcomes == {"duplicate": 2}
    assert Ticket.objects.count() == 2


def test_processed_mail_can_be_moved_to_a_folder(desk: Any, imap_server: Server) -> None:
    deliver(imap_server, message(), message())
    box = box_for(imap_server, desk, after_processing="move", move_to="Processed")

    report = imap.poll_mailbox(box)

    assert report.error == ""
    assert count(imap_server, "INBOX") == 0
    assert count(imap_server, "Processed") == 2


def test_tls_with_the_servers_certificate_trusted(
    desk: Any, imaps_server: Server, settings: Any
) -> None:
    settings.HELPLINE_MAIL_IMAP_CAFILE = imaps_server.cafile
    client = imaplib.IMAP4_SSL(
        imaps_server.host,
        imaps_server.port,
        ssl_context=__import__("ssl").create_default_context(cafile=imaps_server.cafile),
    )
    client.login(imaps_server.user, imaps_server.password)
    client.append("INBOX", None, None, message(subject="Over TLS"))
    client.logout()

    report = imap.poll_mailbox(box_for(imaps_server, desk))

    assert report.error == ""
    assert Ticket.objects.get().subject == "Over TLS"


def test_an_untrusted_certificate_is_refused(desk: Any, imaps_server: Server) -> None:
    report = imap.poll_mailbox(box_for(imaps_server, desk))

    assert "CERTIFICATE_VERIFY_FAILED" in report.error
    assert not Ticket.objects.exists()


def test_a_failing_mailbox_is_reported_and_the_others_are_still_polled(
    desk: Any, imap_server: Server
) -> None:
    deliver(imap_server, message())
    box_for(imap_server, desk, name="a-broken", password="wrong")
    box_for(imap_server, desk, name="b-working")

    reports = imap.poll_mailboxes()

    assert [r.mailbox for r in reports] == ["a-broken", "b-working"]
    assert "AUTHENTICATIONFAILED" in reports[0].error or "failed" in reports[0].error.lower()
    assert reports[1].fetched == 1
    assert Mailbox.objects.get(name="a-broken").last_error


def test_a_malformed_message_is_quarantined_and_the_rest_of_the_batch_processed(
    desk: Any, imap_server: Server
) -> None:
    deliver(
        imap_server,
        message(subject="Before"),
        b"\x00\xff\xfe garbage with no headers at all\r\n\r\n\x00",
        message(subject="After"),
    )

    report = imap.poll_mailbox(box_for(imap_server, desk))

    assert report.outcomes == {"created": 2, "quarantined": 1}
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["After", "Before"]
    quarantined = InboundMessage.objects.get(status=InboundStatus.QUARANTINED)
    assert b"garbage" in bytes(quarantined.raw)


def test_a_database_outage_leaves_the_message_unseen_for_the_next_poll(
    desk: Any, imap_server: Server, monkeypatch: Any
) -> None:
    deliver(imap_server, message())
    box = box_for(imap_server, desk)

    def outage(raw: bytes, **kwargs: Any) -> Any:
        raise MailTemporaryFailure("database unavailable")

    monkeypatch.setattr(imap, "ingest", outage)
    report = imap.poll_mailbox(box)

    assert "database unavailable" in report.error
    assert all(b"\\Seen" not in line for line in flags(imap_server))
    box.refresh_from_db()
    assert box.last_uid == 0


def test_a_mailbox_leased_by_another_worker_is_skipped(desk: Any, imap_server: Server) -> None:
    from datetime import timedelta

    from helpline.core import clock

    box = box_for(imap_server, desk)
    Mailbox.objects.filter(pk=box.pk).update(lease_until=clock.now() + timedelta(minutes=5))

    assert imap.poll_mailbox(box).skipped


def test_the_mail_poll_command_prints_a_line_per_mailbox(desk: Any, imap_server: Server) -> None:
    deliver(imap_server, message())
    box_for(imap_server, desk)
    out = StringIO()

    call_command("mail_poll", stdout=out)

    assert "support: 1 fetched (1 created)" in out.getvalue()
