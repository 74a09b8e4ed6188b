"""Parsing mail: pure, never raising."""

import email
import email.message
import email.policy
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.mail.inbound.parse import (
    Mailbox,
    ParsedMessage,
    html_to_text,
    parse_message,
    strip_quoted_reply,
    thread_candidates,
    ticket_number_from_subject,
)

MESSAGES = Path(__file__).parent / "messages"


@pytest.fixture(autouse=True)
def _test_settings() -> None:
    """A pure module: nothing to configure (replaces helpline/conftest.py's Django fixture, so
    these tests also run with ``-p no:django``)."""


def parse_file(name: str) -> ParsedMessage:
    return parse_message((MESSAGES / name).read_bytes())


def with_headers(headers: str, body: str = "Hello.") -> bytes:
    return f"{headers.strip()}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n".encode()


def test_it_reads_a_plain_text_message() -> None:
    parsed = parse_file("plain.eml")

    assert parsed.message_id == "<CAplain.0001@mail.example.org>"
    assert parsed.subject == "VPN drops every few minutes"
    assert (parsed.from_name, parsed.from_address) == ("Ana Lima", "ana.lima@example.org")
    assert parsed.to == [Mailbox("Helpline Support", "support@helpline.example.com")]
    assert parsed.cc == [Mailbox("", "bob@example.org"), Mailbox("Carla, IT", "carla@example.org")]
    assert parsed.date == datetime(2024, 6, 3, 9, 15, 2, tzinfo=timezone(timedelta(hours=2)))
    assert "working from the Zürich office." in parsed.text
    assert parsed.html == ""
    assert parsed.attachments == []
    assert parsed.defects == []
    assert not parsed.auto_submitted
    assert not parsed.is_bounce


def test_it_prefers_the_plain_part_of_a_multipart_alternative() -> None:
    parsed = parse_file("alternative.eml")

    assert parsed.text.strip() == "The printer on floor 3 shows error E-42."
    assert "<b>E-42</b>" in parsed.html
    assert parsed.attachments == []


def test_it_derives_text_from_an_html_only_message() -> None:
    parsed = parse_file("html_only.eml")

    assert parsed.text == (
        "Hi team,\n\nmy laptop shows a black screen & beeps 3×.\n\n- Model: T14\n- Tag: 4711"
        "\n\nThanks\nCarla"
    )
    assert "<script>" in parsed.html  # raw: the caller sanitizes


def test_it_reads_an_attachment() -> None:
    parsed = parse_file("attachment.eml")

    (attachment,) = parsed.attachments
    assert attachment.filename == "invoice.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.content.startswith(b"%PDF-1.4")
    assert attachment.size == len(attachment.content) == 31
    assert not attachment.inline
    assert parsed.text == "Please find the invoice attached."


def test_it_reads_an_inline_image_with_its_content_id() -> None:
    parsed = parse_file("inline_image.eml")

    (image,) = parsed.attachments
    assert image.content_type == "image/png"
    assert image.content_id == "shot@example.org"
    assert image.inline
    assert image.content.startswith(b"\x89PNG")
    assert image.filename.endswith(".png")
    assert 'src="cid:shot@example.org"' in parsed.html
    assert parsed.text.startswith("See the screenshot below.")


def test_it_decodes_encoded_subjects_names_and_filenames() -> None:
    parsed = parse_file("encoded.eml")

    assert parsed.subject == "Problème réseau – VPN (dringend)"
    assert parsed.from_name == "Jörg Müller"
    assert parsed.text == "Die Verbindung fällt ständig aus."
    assert [a.filename for a in parsed.attachments] == ["Überweisung März.pdf", "Größe.csv"]


def test_an_unknown_charset_falls_back_with_a_defect() -> None:
    parsed = parse_file("bad_charset.eml")

    assert parsed.text == "Le café est froid et le réseau est lent.\n"
    assert parsed.subject == "Qapla' café"
    assert "text/plain: unknown charset 'x-klingon'" in parsed.defects
    assert "Subject: 8-bit header decoded as latin-1" in parsed.defects


def test_a_missing_message_id_stays_empty_with_a_defect() -> None:
    parsed = parse_file("no_message_id.eml")

    assert parsed.message_id == ""
    assert "missing Message-ID" in parsed.defects


def test_a_delivery_status_report_is_a_bounce() -> None:
    parsed = parse_file("bounce.eml")

    assert parsed.is_bounce
    assert parsed.auto_submitted
    assert "User unknown" in parsed.text
    assert [a.content_type for a in parsed.attachments] == [
        "message/delivery-status",
        "message/rfc822",
    ]
    assert b"<reply.42@helpline.example.com>" in parsed.attachments[1].content


def test_an_out_of_office_reply_is_auto_submitted_but_no_bounce() -> None:
    parsed = parse_file("auto_reply.eml")

    assert parsed.auto_submitted
    assert not parsed.is_bounce
    assert ticket_number_from_subject(parsed.subject) == 1235


@pytest.mark.parametrize(
    ("headers", "auto_submitted", "is_bounce"),
    [
        ("From: a@example.org", False, False),
        ("From: a@example.org\nAuto-Submitted: no", False, False),
        ("From: a@example.org\nAuto-Submitted: auto-generated", True, False),
        ("From: a@example.org\nAuto-Submitted: auto-replied; owner-email=x@y.z", True, False),
        ("From: a@example.org\nPrecedence: bulk", True, False),
        ("From: a@example.org\nPrecedence: junk", True, False),
        ("From: a@example.org\nPrecedence: list", True, False),
        ("From: a@example.org\nPrecedence: first-class", False, False),
        ("From: a@example.org\nX-Autoreply: yes", True, False),
        ("From: a@example.org\nX-Autorespond: vacation", True, False),
        ("From: a@example.org\nReturn-Path: <>", True, False),
        ("From: Postmaster <postmaster@example.org>", True, False),
        ("From: MAILER-DAEMON@example.org", True, True),
    ],
)
def test_it_recognises_automatic_mail(headers: str, auto_submitted: bool, is_bounce: bool) -> None:
    parsed = parse_message(with_headers(headers))

    assert (parsed.auto_submitted, parsed.is_bounce) == (auto_submitted, is_bounce)


def test_a_gmail_reply_threads_and_strips_the_quote() -> None:
    parsed = parse_file("gmail_reply.eml")

    assert parsed.in_reply_to == "<reply.44@helpline.example.com>"
    assert parsed.references == ["<CAorig.0001@mail.gmail.com>", "<reply.44@helpline.example.com>"]
    assert thread_candidates(parsed) == [
        "<reply.44@helpline.example.com>",
        "<CAorig.0001@mail.gmail.com>",
    ]
    assert ticket_number_from_subject(parsed.subject) == 1236
    assert strip_quoted_reply(parsed.text) == "Still happening after the reboot.\n\nGina"


def test_an_outlook_reply_threads_and_strips_the_quote() -> None:
    parsed = parse_file("outlook_reply.eml")

    assert thread_candidates(parsed) == ["<reply.45@helpline.example.com>"]
    assert ticket_number_from_subject(parsed.subject) == 1237
    assert strip_quoted_reply(parsed.text) == "It works with the new headset, thank you!\n\nHana"


def test_garbage_bytes_parse_without_raising() -> None:
    parsed = parse_message(b"\x00\xff not an email")

    assert parsed.message_id == ""
    assert parsed.from_address == ""
    assert parsed.text == "ÿ not an email"
    assert "MissingHeaderBodySeparatorDefect" in parsed.defects


@pytest.mark.parametrize("raw", [b"", b"\n", b"From:\n\n", b"Content-Type: multipart/mixed\n\n"])
def test_empty_and_truncated_input_parses_without_raising(raw: bytes) -> None:
    assert isinstance(parse_message(raw), ParsedMessage)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    parsed = parse_message(raw)

    assert "\x00" not in parsed.text + parsed.subject + parsed.html


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(MESSAGES.glob("*.eml"))),
    st.lists(st.tuples(st.integers(0, 5000), st.binary(max_size=8)), max_size=8),
)
def test_damaged_sample_messages_parse_without_raising(
    path: Path, damage: list[tuple[int, bytes]]
) -> None:
    raw = bytearray(path.read_bytes())
    for offset, junk in damage:
        raw[offset : offset + len(junk)] = junk

    parsed = parse_message(bytes(raw))

    assert parsed.date is None or parsed.date.tzinfo is not None


def test_deep_multipart_nesting_is_reported_not_raised() -> None:
    parts = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(2000)
    )
    raw = b"Content-Type: multipart/mixed; boundary=b0\n\n" + parts + b"--b2000\n\nhi\n"

    parsed = parse_message(raw)

    assert any("nesting" in d or "unparseable" in d for d in parsed.defects)


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 03 Jun 2024 09:15:02 +0200", datetime(2024, 6, 3, 7, 15, 2, tzinfo=UTC)),
        ("Mon, 03 Jun 2024 09:15:02 -0000", datetime(2024, 6, 3, 9, 15, 2, tzinfo=UTC)),
        ("3 Jun 2024 09:15 GMT", datetime(2024, 6, 3, 9, 15, tzinfo=UTC)),
        ("yesterday, around noon", None),
    ],
)
def test_dates_are_aware_or_none(date: str, expected: datetime | None) -> None:
    parsed = parse_message(with_headers(f"From: a@example.org\nDate: {date}"))

    assert parsed.date == expected
    if parsed.date is not None:
        assert parsed.date.tzinfo is not None
    else:
        assert "unparseable Date header" in parsed.defects


@pytest.mark.parametrize(
    ("headers", "message_id", "in_reply_to", "references"),
    [
        ("Message-ID: <a@x>\nIn-Reply-To: <b@x>\nReferences: <c@x> <b@x>", "<a@x>", "<b@x>",
         ["<c@x>", "<b@x>"]),
        ("Message-ID: bare@x", "<bare@x>", "", []),
        ("In-Reply-To: <b@x> (Your message of Monday)", "", "<b@x>", []),
        ("References: <c@x>\n <c@x> <d@x>", "", "", ["<c@x>", "<d@x>"]),
        ("Message-ID: not an id", "", "", []),
    ],
)  # fmt: skip
def test_message_ids_keep_their_brackets(
    headers: str, message_id: str, in_reply_to: str, references: list[str]
) -> None:
    parsed = parse_message(with_headers(f"From: a@example.org\n{headers}"))

    assert (parsed.message_id, parsed.in_reply_to, parsed.references) == (
        message_id,
        in_reply_to,
        references,
    )


def test_raw_utf8_headers_are_read_as_utf8() -> None:
    parsed = parse_message(with_headers("From: Jörg <j@example.de>\nSubject: Café – down"))

    assert (parsed.from_name, parsed.subject) == ("Jörg", "Café – down")
    assert not any("latin-1" in d for d in parsed.defects)


def test_nul_characters_are_dropped_from_text() -> None:
    parsed = parse_message(with_headers("From: a@example.org", body="a\x00b"))

    assert parsed.text.strip() == "ab"


def test_attachment_filenames_lose_their_path() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi\n"
        b"--x\nContent-Type: application/octet-stream\n"
        b'Content-Disposition: attachment; filename="../../etc/passwd"\n\nroot\n--x--\n'
    )

    assert [a.filename for a in parse_message(raw).attachments] == ["passwd"]


@pytest.mark.parametrize(
    ("subject", "prefix", "expected"),
    [
        ("[#1234] VPN down", "#", 1234),
        ("Re: [Helpline #1234] VPN down", "#", 1234),
        ("RE: AW: [Ticket#77] x", "#", 77),
        ("[#12] and [#34]", "#", 12),
        ("VPN down #1234", "#", None),
        ("[#12a] x", "#", None),
        ("[HD-55] x", "HD-", 55),
        ("[#55] x", "HD-", None),
        ("", "#", None),
    ],
)
def test_ticket_number_from_subject(subject: str, prefix: str, expected: int | None) -> None:
    assert ticket_number_from_subject(subject, prefix) == expected


@pytest.mark.parametrize(
    ("in_reply_to", "references", "expected"),
    [
        ("<r@x>", ["<a@x>", "<b@x>", "<r@x>"], ["<r@x>", "<b@x>", "<a@x>"]),
        ("", ["<a@x>", "<b@x>"], ["<b@x>", "<a@x>"]),
        ("<r@x>", [], ["<r@x>"]),
        ("", [], []),
    ],
)
def test_thread_candidates_are_in_reply_to_then_newest_references(
    in_reply_to: str, references: list[str], expected: list[str]
) -> None:
    parsed = ParsedMessage(in_reply_to=in_reply_to, references=references)

    assert thread_candidates(parsed) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks!\n\nOn Mon, 3 Jun 2024 at 10:00, Ana <a@x.org> wrote:\n> old\n", "Thanks!"),
        ("Fixed.\nOn Mon, Jun 3, 2024 at 10:00 AM Helpline <s@x.org>\nwrote:\n> old", "Fixed."),
        ("Danke\n\nAm 03.06.2024 um 10:00 schrieb Helpline <s@x.org>:\n> alt", "Danke"),
        ("Merci\n\nLe lun. 3 juin 2024, Helpline <s@x.org> a écrit :\n> vieux", "Merci"),
        ("OK\n\n-----Original Message-----\nFrom: Helpline\nSent: Monday\nold", "OK"),
        ("OK\n\n________________________________\nFrom: Helpline\nold", "OK"),
        ("Yes\n\nFrom: Helpline <s@x.org>\nSent: Monday\nTo: Ana\nSubject: x\n\nold", "Yes"),
        ("Yes\n\n*From:* Helpline\n*Sent:* Monday\n*To:* Ana\n\nold", "Yes"),
        ("Works now.\n\n> did you restart?\n>\n> Helpline\n\n", "Works now."),
        # Conservative: nothing before the quote, or a reply between quotes, stays whole.
        ("> only a quote\n> nothing else", "> only a quote\n> nothing else"),
        ("On Mon Ana wrote:\n> q1\nanswer 1\n> q2\nanswer 2",
         "On Mon Ana wrote:\n> q1\nanswer 1\n> q2\nanswer 2"),
        ("> q1\nanswer 1\n> q2\nanswer 2", "> q1\nanswer 1\n> q2\nanswer 2"),
        ("Hi\nFrom: my desk, sadly\nit broke", "Hi\nFrom: my desk, sadly\nit broke"),
        ("No quote at all.\n", "No quote at all.\n"),
        ("", ""),
    ],
)  # fmt: skip
def test_strip_quoted_reply(text: str, expected: str) -> None:
    assert strip_quoted_reply(text) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ("a<br>b<br><br>c", "a\nb\n\nc"),
        ("<ul><li>x</li><li>y</li></ul>", "- x\n- y"),
        ("<style>p{}</style><script>alert(1)</script>visible", "visible"),
        ("&lt;script&gt; &amp; &#8211;", "<script> & –"),
        ("<p>spread\n   over   lines</p>", "spread over lines"),
        ("<pre>keep\n  this</pre>", "keep\nthis"),
        ("<div><p>unclosed <b>bold", "unclosed bold"),
        ("", ""),
    ],
)
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


# --- plain headers skip the modern parser: the result must be the modern parser's ------------

PLAIN_FROM = [
    "Ana Lima <ana.lima@example.org>",
    '"Lima, Ana" <ana.lima@example.org>',
    '"" <ana@example.org>',
    "<ana@example.org>",
    "ana@example.org",
    "  Ana  <ANA@Example.ORG>  ",
    "Ana<ana@example.org>",
    "O'Brien-Smith Jr <ob+help@mail.example.co.uk>",
    "Ana Lima\n <ana.lima@example.org>",
    "Ana Lima (home) <ana@example.org>",
    "Ana, Bob <a@example.org>",
    "ana@example.org, bob@example.org",
    "Ana Lima <ana@example.org>, Bob <bob@example.org>",
    "undisclosed-recipients:;",
    '"Ana \\"A\\" Lima" <ana@example.org>',
]


def modern(headers: str) -> email.message.EmailMessage:
    return email.message_from_bytes(with_headers(headers), policy=email.policy.default)


@pytest.mark.parametrize("value", PLAIN_FROM)
def test_a_plain_from_header_reads_as_the_modern_parser_reads_it(value: str) -> None:
    headers = f"From: {value}\nTo: {value}\nMessage-ID: <a@b>"
    expected = [
        Mailbox(a.display_name.strip(), a.addr_spec.lower())
        for a in modern(headers)["To"].addresses
        if "@" in a.addr_spec
    ]

    parsed = parse_message(with_headers(headers))

    assert parsed.to == expected
    assert [parsed.from_name, parsed.from_address] == (list(expected[0]) if expected else ["", ""])


@given(
    st.text(alphabet="abcXYZ09'_- ", max_size=30),
    st.from_regex(r"[a-z0-9._+-]{1,10}@[a-z0-9-]{1,8}\.[a-z]{2,4}", fullmatch=True),
    st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_any_simple_mailbox_reads_as_the_modern_parser_reads_it(
    name: str, address: str, quoted: bool
) -> None:
    value = f'"{name}" <{address}>' if quoted else f"{name} <{address}>"
    addresses = modern(f"To: {value}")["To"].addresses
    expected = [(a.display_name.strip(), a.addr_spec.lower()) for a in addresses]

    parsed = parse_message(with_headers(f"To: {value}"))

    assert [tuple(m) for m in parsed.to] == [e for e in expected if "@" in e[1]]


@pytest.mark.parametrize(
    "value",
    [
        "VPN drops   every few minutes",
        "Re: [#1042]\n\tstill broken",
        "=?utf-8?q?caf=C3=A9?= down",
        "tabs\tand  spaces ",
        "100% = broken?",
    ],
)
def test_a_subject_reads_as_the_modern_parser_reads_it(value: str) -> None:
    expected = str(modern(f"Subject: {value}")["Subject"]).replace("\n", " ").strip()

    assert parse_message(with_headers(f"Subject: {value}")).subject == expected


@pytest.mark.parametrize(
    "value",
    [
        "Tue, 03 Nov 2026 10:11:12 +0100",
        "3 Nov 2026 10:11 -0000",
        "Tue, 03 Nov 2026\n 10:11:12 GMT",
        "not a date",
        "Tue, 31 Feb 2026 10:11:12 +0000",
    ],
)
def test_a_date_reads_as_the_modern_parser_reads_it(value: str) -> None:
    header = modern(f"Date: {value}")["Date"]
    expected = header.datetime
    if expected is not None and expected.tzinfo is None:
        expected = expected.replace(tzinfo=UTC)

    assert parse_message(with_headers(f"Date: {value}")).date == expected
