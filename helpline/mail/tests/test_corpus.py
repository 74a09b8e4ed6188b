"""A corpus of real-world MIME shapes: every message is ingested, ignored or quarantined, and
nothing raises. The 10 MB attachment is generated here rather than stored in the repository."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from helpline.mail.models import InboundMessage, InboundStatus, Mailbox
from helpline.mail.services import ingest
from helpline.tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "corpus"
PARSER_SAMPLES = Path(__file__).parent / "messages"

EXPECTED = {
    "broken_base64.eml": InboundStatus.CREATED,
    "broken_charset.eml": InboundStatus.CREATED,
    "calendar_invite.eml": InboundStatus.CREATED,
    "date_out_of_range.eml": InboundStatus.CREATED,
    "deep_nesting.eml": InboundStatus.CREATED,
    "dsn_bounce.eml": InboundStatus.IGNORED,
    "dsn_bounce_exchange.eml": InboundStatus.IGNORED,
    "forwarded_rfc822.eml": InboundStatus.CREATED,
    "garbage.eml": InboundStatus.QUARANTINED,
    "gmail_reply.eml": InboundStatus.CREATED,  # its ticket number is someone else's here
    "headers_only.eml": InboundStatus.CREATED,
    "html_only_script.eml": InboundStatus.CREATED,
    "inline_image_cid.eml": InboundStatus.CREATED,
    "iso_2022_jp.eml": InboundStatus.CREATED,
    "mailing_list.eml": InboundStatus.IGNORED,
    "malformed_date.eml": InboundStatus.CREATED,
    "missing_date_and_id.eml": InboundStatus.CREATED,
    "missing_headers.eml": InboundStatus.QUARANTINED,
    "nested_alternative.eml": InboundStatus.CREATED,
    "nul_and_traversal.eml": InboundStatus.CREATED,
    "out_of_office.eml": InboundStatus.IGNORED,
    "out_of_office_exchange.eml": InboundStatus.IGNORED,
    "outlook_reply.eml": InboundStatus.CREATED,
    "precedence_bulk.eml": InboundStatus.IGNORED,
    "unknown_charset.eml": InboundStatus.CREATED,
    "utf8_headers_long_subject.eml": InboundStatus.CREATED,
    "windows_1252.eml": InboundStatus.CREATED,
}


def corpus(name: str, **values: Any) -> bytes:
    raw = (CORPUS / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(f"{{{key}}}".encode(), str(value).encode())
    return raw


def big_attachment_message(size: int = 10 * 1024 * 1024) -> bytes:
    payload = base64.encodebytes(bytes(range(256)) * (size // 256)).replace(b"\n", b"\r\n")
    head = (
        b"Message-ID: <big.0001@mail.example.com>\r\nDate: Thu, 06 Jun 2024 08:00:00 +0000\r\n"
        b"From: Big <big@example.com>\r\nTo: support@helpline.example.com\r\n"
        b"Subject: Crash dump\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="big"\r\n\r\n'
        b"--big\r\nContent-Type: text/plain\r\n\r\nThe crash dump is attached.\r\n"
        b"--big\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="crash.dmp"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head + payload + b"\r\n--big--\r\n"


def test_every_corpus_file_has_an_expected_outcome() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_corpus_message_is_ingested_ignored_or_quarantined(
    name: str, desk: Any, support_box: Mailbox
) -> None:
    ticket = desk.ticket()

    result = ingest(corpus(name, number=ticket.number), mailbox=support_box)

    assert result.status == EXPECTED[name], result.reason
    assert result.reason
    row = InboundMessage.objects.get(pk=result.message.pk)
    assert row.status == EXPECTED[name]
    assert (row.ticket_id is not None) == (result.status == InboundStatus.CREATED)


@pytest.mark.parametrize("path", sorted(PARSER_SAMPLES.glob("*.eml")), ids=lambda p: p.name)
def test_the_parser_samples_never_raise_either(path: Path, desk: Any, support_box: Mailbox) -> None:
    result = ingest(path.read_bytes(), mailbox=support_box)

    assert result.status in {"created", "threaded", "ignored", "quarantined"}


def test_a_10_mb_attachment_is_stored(desk: Any, support_box: Mailbox) -> None:
    raw = big_attachment_message(10 * 1024 * 1024 - 4096)

    result = ingest(raw, mailbox=support_box)

    assert result.status == InboundStatus.CREATED
    (attachment,) = Attachment.objects.filter(ticket=result.ticket)
    assert attachment.filename == "crash.dmp"
    assert attachment.size == 10 * 1024 * 1024 - 4096
    assert bytes(InboundMessage.objects.get().raw) == raw


def test_an_attachment_over_the_limit_is_listed_and_the_message_kept(
    desk: Any, support_box: Mailbox
) -> None:
    result = ingest(big_attachment_message(11 * 1024 * 1024), mailbox=support_box)

    assert result.status == InboundStatus.CREATED
    assert not Attachment.objects.exists()
    assert "crash.dmp (11.0 MB): larger than the limit" in result.ticket.description


def test_iso_2022_jp_is_decoded(desk: Any, support_box: Mailbox) -> None:
    result = ingest(corpus("iso_2022_jp.eml"), mailbox=support_box)

    ticket = result.ticket
    assert ticket.subject == "プリンターの故障"
    assert "プリンターが印刷できません" in ticket.description
    assert ticket.requester.name == "山田太郎"


def test_windows_1252_is_decoded(desk: Any, support_box: Mailbox) -> None:
    ticket = ingest(corpus("windows_1252.eml"), mailbox=support_box).ticket

    assert ticket.subject == "Invoice € amount “wrong”"
    assert "€ 1.100 – please check “asap”" in ticket.description


def test_a_wrongly_declared_charset_still_reads(desk: Any, support_box: Mailbox) -> None:
    ticket = ingest(corpus("broken_charset.eml"), mailbox=support_box).ticket

    assert "Büro druckt nur noch weiße Seiten" in ticket.description


def test_html_is_sanitized(desk: Any, support_box: Mailbox) -> None:
    ticket = ingest(corpus("html_only_script.eml"), mailbox=support_box).ticket

    assert "My monitor flickers & buzzes." in ticket.description
    for bad in ("<script", "alert(", "javascript:", "onerror"):
        assert bad not in ticket.description_html


def test_inline_images_are_stored_as_attachments(desk: Any, support_box: Mailbox) -> None:
    ticket = ingest(corpus("inline_image_cid.eml"), mailbox=support_box).ticket

    (image,) = Attachment.objects.filter(ticket=ticket)
    assert image.filename == "image001.png"
    assert image.content_type == "image/png"
    assert image.file.read().startswith(b"\x89PNG")


def test_nested_alternative_takes_the_plain_text_and_the_pdf(
    desk: Any, support_box: Mailbox
) -> None:
    ticket = ingest(corpus("nested_alternative.eml"), mailbox=support_box).ticket

    assert ticket.description == "Please see the attached quote for three laptops."
    assert [a.filename for a in Attachment.objects.filter(ticket=ticket)] == ["quote.pdf"]


def test_an_attachment_name_cannot_escape_the_storage(desk: Any, support_box: Mailbox) -> None:
    ticket = ingest(corpus("nul_and_traversal.eml"), mailbox=support_box).ticket

    (attachment,) = Attachment.objects.filter(ticket=ticket)
    assert attachment.filename == "passwd"
    assert ".." not in attachment.file.name
    assert "\x00" not in ticket.subject + ticket.description


def test_a_long_subject_is_cut_to_fit(desk: Any, support_box: Mailbox) -> None:
    ticket = ingest(corpus("utf8_headers_long_subject.eml"), mailbox=support_box).ticket

    assert ticket.subject.startswith("Ärger mit dem Drucker")
    assert len(ticket.subject) == 250
    assert ticket.requester.name == "Ünal Çelik"


@pytest.mark.parametrize(
    ("name", "sender", "expected"),
    [
        ("outlook_reply.eml", "hana@example.com", "It works with the new headset, thank you!"),
        ("gmail_reply.eml", "ivo@example.com", "Yes, since the update it is stable."),
    ],
)
def test_client_replies_thread_with_the_quote_trimmed(
    name: str, sender: str, expected: str, desk: Any, support_box: Mailbox
) -> None:
    from helpline.accounts.services import customer_get_or_create
    from helpline.factories import ticket as make_ticket

    ticket = make_ticket(requester=customer_get_or_create(email=sender))

    result = ingest(corpus(name, number=ticket.number), mailbox=support_box)

    assert result.status == InboundStatus.THREADED
    assert result.ticket == ticket
    assert result.message.entry.body.strip().splitlines()[0] == expected
    assert "could you try another headset" not in result.message.entry.body
    assert "does the VPN still drop" not in result.message.entry.body
    assert Ticket.objects.count() == 1
