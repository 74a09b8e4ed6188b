"""Parse one inbound email into plain data. Pure: stdlib only, no Django.

``parse_message`` never raises on malformed input: mail comes from anyone, and one broken
message must not stop the mailbox. It returns what it could read and lists everything odd in
``defects``. Threading (which ticket a reply belongs to) and ingestion are the caller's job;
``thread_candidates`` and ``ticket_number_from_subject`` give it the clues.

Message ids are kept in their RFC 5322 form with angle brackets (``<abc@example.com>``), the
form ``email.utils.make_msgid`` produces for outgoing mail, so the two compare directly.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.headerregistry
import email.parser
import email.policy
import html
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any, NamedTuple

MAX_PARTS = 500  # leaf parts read from one message; the rest are reported and skipped
MAX_DEPTH = 30  # multipart nesting followed
MAX_FILENAME = 200

_MSG_ID = re.compile(r"<([^<>\s]+)>")
_NOT_AUTOMATIC = ("no", "")


class Mailbox(NamedTuple):
    name: str
    address: str  # lowercased: contacts are looked up by it


@dataclass(frozen=True)
class Attachment:
    filename: str  # never empty: a name is made up from the content type when missing
    content_type: str
    content: bytes
    content_id: str = ""  # without angle brackets, as referenced by "cid:" URLs
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class ParsedMessage:
    message_id: str = ""  # never generated: empty when the header is missing
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)  # oldest first, as in the header
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    reply_to: list[Mailbox] = field(default_factory=list)
    to: list[Mailbox] = field(default_factory=list)
    cc: list[Mailbox] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)  # Delivered-To, X-Original-To values
    date: datetime | None = None  # always aware
    text: str = ""  # text/plain, else text derived from the HTML body
    html: str = ""  # raw: sanitize before showing it
    attachments: list[Attachment] = field(default_factory=list)
    auto_submitted: bool = False  # do not auto-reply; true for bounces too
    is_bounce: bool = False
    defects: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_message(raw: bytes) -> ParsedMessage:
    """Read ``raw`` RFC 5322 bytes. Never raises; problems end up in ``defects``."""
    parsed = ParsedMessage()
    message = _read(raw, parsed.defects)
    if message is None:
        parsed.text = _clean_text(_decode_bytes(raw, None, "message", parsed.defects))
    else:
        _read_headers(message, parsed)
        _read_parts(message, parsed)
        _classify(message, parsed)
    parsed.defects = [_clean_text(defect) for defect in parsed.defects]  # may quote raw bytes
    return parsed


class _HeaderClasses(email.headerregistry.HeaderRegistry):
    """The standard registry, but each header class is made once per header name: the stock
    registry builds a new class with ``type()`` on every header access, which was a third of
    the time spent parsing a message."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


# Headers are read with the modern parser (RFC 2047 words, address lists, dates), one header at a
# time and only the few Helpline uses; the message structure is read with the legacy policy,
# which does not parse every MIME header into an object on each access (three times faster).
_POLICY = email.policy.default.clone(header_factory=_HeaderClasses())


def _read(raw: bytes, defects: list[str]) -> Message | None:
    policy = email.policy.compat32
    try:
        return email.message_from_bytes(raw, policy=policy)
    except Exception as exc:  # the parser's own limits (deep nesting) or bugs
        defects.append(f"unparseable message ({type(exc).__name__}: {exc})")
    try:
        return email.parser.BytesParser(policy=policy).parsebytes(raw, headersonly=True)
    except Exception as exc:
        defects.append(f"unparseable headers ({type(exc).__name__}: {exc})")
    return None


def _raw_header(message: Message, name: str) -> str | None:
    """The first raw value of header ``name`` (undecoded), or None."""
    lowered = name.lower()
    return next((str(v) for k, v in message.raw_items() if k.lower() == lowered), None)


def _structured(message: Message, name: str) -> Any:
    """Header ``name`` parsed as the modern email policy would (an object with ``addresses``,
    ``datetime``, ``defects``...), or None when missing. May raise on hostile input."""
    raw = _raw_header(message, name)
    return None if raw is None else _POLICY.header_fetch_parse(name, raw)


def _read_headers(message: Message, parsed: ParsedMessage) -> None:
    defects = parsed.defects
    ids = _message_ids(_header(message, "Message-ID", defects))
    parsed.message_id = ids[0] if ids else ""
    if not parsed.message_id:
        defects.append("missing Message-ID")
    in_reply_to = _message_ids(_header(message, "In-Reply-To", defects))
    parsed.in_reply_to = in_reply_to[0] if in_reply_to else ""
    parsed.references = list(dict.fromkeys(_message_ids(_header(message, "References", defects))))
    parsed.subject = _clean_text(_header(message, "Subject", defects)).replace("\n", " ").strip()
    senders = _mailboxes(message, "From", defects)
    if senders:
        parsed.from_name, parsed.from_address = senders[0]
    else:
        defects.append("no sender address")
    parsed.reply_to = _mailboxes(message, "Reply-To", defects)
    parsed.to = _mailboxes(message, "To", defects)
    parsed.cc = _mailboxes(message, "Cc", defects)
    parsed.delivered_to = [
        value
        for name in ("Delivered-To", "X-Original-To")
        if (value := _clean_text(_header(message, name, defects)).strip())
    ]
    parsed.date = _date(message, defects)
    defects.extend(_describe(defect) for defect in message.defects)


def _header(message: Message, name: str, defects: list[str]) -> str:
    """The decoded value of header ``name`` ("" when missing), tolerating broken headers."""
    raw = _raw_header(message, name)
    if raw is None:
        return ""
    if _SMUGGLED_BYTES.search(raw):  # 8-bit bytes in a header: UTF-8 (RFC 6532) or a guess
        data = raw.encode("ascii", "surrogateescape")
        try:
            return _decode_raw_header(data.decode("utf-8"))
        except UnicodeDecodeError:
            defects.append(f"{name}: 8-bit header decoded as latin-1")
            return _decode_raw_header(data.decode("latin-1"))
    if _PLAIN.match(raw):  # nothing to decode: the modern parser would only unfold it
        return _LINE_BREAK.sub("", raw)
    try:
        value = _structured(message, name)
        defects.extend(f"{name}: {_describe(d)}" for d in getattr(value, "defects", ()))
        return str(value)
    except Exception as exc:
        defects.append(f"{name}: unreadable header ({type(exc).__name__})")
    return _decode_raw_header(raw)


# How the parser keeps undecodable bytes: as lone surrogates (surrogateescape).
_SMUGGLED_BYTES = re.compile("[\udc80-\udcff]")
# A header value with nothing to decode (printable ASCII, no RFC 2047 "=?" word) and how a
# folded one is unfolded. Most headers are such; they skip the modern parser, which took a
# fifth of the time of ingesting a message.
_PLAIN = re.compile(r"(?:(?!=\?)[\x20-\x7e\t\r\n])*\Z")
_LINE_BREAK = re.compile(r"\r?\n")
# One address, bare or in angle brackets after a display name of plain words or a quoted
# string without escapes: the usual From and To, read without the modern parser.
_ADDR = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+"
_SIMPLE_MAILBOX = re.compile(
    rf"""\s*(?:
        (?P<bare>{_ADDR})
        | (?: "(?P<quoted>[^"\\\r\n]*)" | (?P<words>[A-Za-z0-9'_-]+(?:\ [A-Za-z0-9'_-]+)*) )?
          \s* <(?P<address>{_ADDR})>
    )\s*""",
    re.VERBOSE,
)


def _decode_raw_header(value: str) -> str:
    """Decode RFC 2047 encoded words by hand, tolerating unknown charsets."""
    try:
        chunks = email.header.decode_header(value)
    except Exception:
        return value
    decoded: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            decoded.append(chunk)
        elif charset is None:  # unencoded text, which decode_header hands back escaped
            decoded.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            decoded.append(_decode_bytes(chunk, charset, "header", []))
    return "".join(decoded)


def _message_ids(value: str) -> list[str]:
    """Message ids in ``value``, bracketed; a bare id (a broken mailer) is bracketed for it."""
    value = _clean_text(value)
    ids = [f"<{found}>" for found in _MSG_ID.findall(value)]
    bare = value.strip()
    if not ids and bare and not any(c.isspace() or c in "<>" for c in bare) and "@" in bare:
        ids = [f"<{bare}>"]
    return ids


def _mailboxes(message: Message, name: str, defects: list[str]) -> list[Mailbox]:
    raw = _raw_header(message, name)
    if raw is None:
        return []
    pairs: list[tuple[str, str]] = []
    simple = _SIMPLE_MAILBOX.fullmatch(_LINE_BREAK.sub("", raw))
    if simple is not None:
        display = simple["quoted"] if simple["quoted"] is not None else simple["words"]
        pairs = [(display or "", simple["bare"] or simple["address"])]
    else:
        try:
            if _SMUGGLED_BYTES.search(raw):
                raise ValueError("8-bit header")
            header = _structured(message, name)
            pairs = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
        except Exception:
            pairs = getaddresses([_header(message, name, defects)])
    found: list[Mailbox] = []
    for display_name, address in pairs:
        address = _clean_text(address).strip().lower()
        if "@" not in address or any(c.isspace() for c in address):
            continue
        found.append(Mailbox(_clean_text(display_name).strip(), address))
    return found


def _date(message: Message, defects: list[str]) -> datetime | None:
    value: datetime | None = None
    raw = _raw_header(message, "Date")
    if raw is None:
        return None
    try:
        if _PLAIN.match(raw):  # what the modern parser calls on a plain value
            value = parsedate_to_datetime(_LINE_BREAK.sub("", raw))
        else:
            value = getattr(_structured(message, "Date"), "datetime", None)
    except Exception:
        try:
            value = parsedate_to_datetime(_header(message, "Date", []))
        except Exception:
            value = None
    if value is None:
        defects.append("unparseable Date header")
        return None
    # "-0000" means UTC with no local offset known (RFC 5322 3.3); email returns it naive.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _describe(defect: Any) -> str:
    text = str(defect)
    name = type(defect).__name__
    return f"{name}: {text}" if text else name


# ---------------------------------------------------------------------------------------------
# Bodies and attachments


def _read_parts(message: Message, parsed: ParsedMessage) -> None:
    texts: list[str] = []
    html_body = ""
    for index, part in enumerate(_leaves(message, parsed.defects)):
        content_type = _content_type(part)
        disposition = _disposition(part)
        filename = _filename(part, parsed.defects)
        is_body = disposition != "attachment" and not filename
        if is_body and content_type == "text/plain":
            texts.append(_part_text(part, parsed.defects))
        elif is_body and content_type == "text/html" and not html_body:
            html_body = _part_text(part, parsed.defects)
        else:
            parsed.attachments.append(_attachment(part, index, content_type, filename))
    parsed.html = _clean_text(html_body)
    plain = "\n".join(text for text in texts if text.strip()).replace("\r\n", "\n")
    parsed.text = _clean_text(plain) or html_to_text(html_body)


def _leaves(message: Message, defects: list[str]) -> list[Message]:
    """The non-multipart parts, depth first. Attached messages (message/rfc822,
    delivery reports) are leaves: their text is not the sender's body."""
    leaves: list[Message] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        if part is not message:  # the message's own defects are read with its headers
            defects.extend(f"{_content_type(part)} part: {_describe(d)}" for d in part.defects)
        if _content_type(part).startswith("multipart/") and part.is_multipart():
            if depth >= MAX_DEPTH:
                defects.append(f"multipart nesting deeper than {MAX_DEPTH}: skipped")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(
                    (child, depth + 1) for child in reversed(children) if isinstance(child, Message)
                )
            continue
        if len(leaves) == MAX_PARTS:
            defects.append(f"more than {MAX_PARTS} parts: the rest are skipped")
            break
        leaves.append(part)
    return leaves


_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


def _content_type(part: Message) -> str:
    """The part's MIME type, read once per part (parsing the header is not cheap)."""
    known = getattr(part, "_helpline_content_type", None)
    if known is not None:
        return str(known)
    try:
        content_type = part.get_content_type()
    except Exception:
        content_type = ""
    if not _MIME_TYPE.fullmatch(content_type):
        content_type = "application/octet-stream"
    part._helpline_content_type = content_type  # type: ignore[attr-defined]
    return content_type


def _disposition(part: Message) -> str:
    try:
        return part.get_content_disposition() or ""
    except Exception:
        return ""


def _filename(part: Message, defects: list[str]) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        defects.append("unreadable attachment filename")
        return ""
    if "=?" in name:  # RFC 2047 inside a parameter: not standard, but common
        name = _decode_raw_header(name)
    return _safe_filename(name)


def _safe_filename(name: str) -> str:
    """The last path component, without control characters, at most ``MAX_FILENAME`` long."""
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".")
    if len(name) > MAX_FILENAME:
        _, dot, extension = name.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        name = name[: MAX_FILENAME - len(keep) - 1] + ("." + keep if keep else "")
    return name


def _payload(part: Message) -> bytes:
    try:
        if part.is_multipart():  # an attached message or a delivery report
            inner = part.get_payload()
            blocks = inner if isinstance(inner, list) else [inner]
            return b"\n".join(block.as_bytes() for block in blocks if isinstance(block, Message))
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _part_text(part: Message, defects: list[str]) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return _decode_bytes(_payload(part), charset, _content_type(part), defects)


def _decode_bytes(payload: bytes, charset: str | None, where: str, defects: list[str]) -> str:
    """Decode with the declared charset; on an unknown charset or bytes that do not fit it,
    try UTF-8, then Windows-1252 (what mail mislabelled as UTF-8 or ASCII nearly always is),
    then Latin-1 (which decodes anything), noting a defect."""
    label = (charset or "us-ascii").strip().strip('"').lower()
    codec = ""
    try:
        codec = codecs.lookup(label).name
        return payload.decode(codec)
    except UnicodeError:  # before ValueError, its base
        defects.append(f"{where}: bytes invalid in charset {label!r}")
    except (LookupError, ValueError):  # unknown, not a text encoding ("base64"), or garbage
        defects.append(f"{where}: unknown charset {label!r}")
        codec = ""
    try:
        return payload.decode("utf-8")
    except UnicodeError:
        pass
    if codec not in ("", "ascii", "utf-8"):
        try:
            return payload.decode(codec, errors="replace")
        except (UnicodeError, LookupError):  # codecs such as idna fail even so
            pass
    try:
        return payload.decode("cp1252")
    except UnicodeError:  # the five bytes cp1252 leaves undefined
        return payload.decode("latin-1")


_EXTENSIONS = {
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "text/rfc822-headers": ".txt",
}


def _attachment(part: Message, index: int, content_type: str, filename: str) -> Attachment:
    try:
        content_id = _MSG_ID.sub(r"\1", _clean_text(str(part.get("Content-ID") or ""))).strip()
    except Exception:
        content_id = ""
    if not filename:
        extension = _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type)
        extension = extension or ".bin"
        filename = f"part-{index}{extension}"
    disposition = _disposition(part)
    return Attachment(
        filename=filename,
        content_type=content_type,
        content=_payload(part),
        content_id=content_id,
        inline=disposition == "inline" or (bool(content_id) and disposition != "attachment"),
    )


def _clean_text(text: str) -> str:
    """No NUL characters (PostgreSQL refuses them) and no lone surrogates."""
    text = text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


# --- HTML to text -----------------------------------------------------------------------------
#
# A small linear scanner rather than html.parser or nh3: both take quadratic time on hostile
# input (html.parser on unclosed "<!--" or "<a " runs, nh3 on thousands of unclosed nested
# tags), and any sender can mail us such input. Each character is looked at a bounded number of
# times; a construct left open to the end (comment, tag, script) swallows the rest, as in a
# browser.

HTML_TEXT_LIMIT = 1_000_000  # characters of HTML turned into text; the rest is ignored

# Blocks that stand apart as paragraphs, and blocks that only start a new line.
_PARAGRAPHS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote", "pre", "hr",
    "address", "article", "aside", "figure", "footer", "header", "main", "nav", "section",
})  # fmt: skip
_LINES = frozenset({"div", "tr", "li", "dd", "dt", "figcaption", "fieldset", "form"})
_CELLS = frozenset({"td", "th"})
_HIDDEN = {  # elements whose content is never shown, and how each ends
    name: re.compile(rf"</{name}\b[^>]*>", re.IGNORECASE)
    for name in ("script", "style", "title", "template")
}
# A tag: name, then attributes (quoted values may hold ">"), possessive so a tag left open
# fails in one pass instead of backtracking.
_TAG = re.compile(r"""(/?)([a-zA-Z][a-zA-Z0-9:-]*+)(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_TAG_START = re.compile(r"/?[a-zA-Z]")
# Markers for breaks, then one rule to merge runs of them: a paragraph wins, <br>s count.
_PARAGRAPH, _LINE, _BR = "\x01", "\x02", "\x03"
_MARKERS = re.compile("[\x01-\x03]")
_BREAKS = re.compile("[\x01-\x03][\x01-\x03 ]*")


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML body: no tags, comments, scripts or styles; blocks on
    their own lines, list items as "- ". The result is text, to be escaped like any other."""
    markup = _MARKERS.sub("", markup[:HTML_TEXT_LIMIT])
    chunks: list[str] = []
    preformatted = 0
    i, end = 0, len(markup)
    while i < end:
        start = markup.find("<", i)
        start = end if start < 0 else start
        if start > i:
            text = html.unescape(markup[i:start])
            chunks.append(text if preformatted else re.sub(r"\s+", " ", text))
        if start == end:
            break
        if markup.startswith("<!--", start):
            close = markup.find("-->", start + 4)
            i = end if close < 0 else close + 3
        elif markup.startswith(("<!", "<?"), start):  # doctype, CDATA, processing instruction
            close = markup.find(">", start + 2)
            i = end if close < 0 else close + 1
        elif tag := _TAG.match(markup, start + 1):
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            i = tag.end()
            if name in _HIDDEN and not closing:
                close_tag = _HIDDEN[name].search(markup, i)
                i = end if close_tag is None else close_tag.end()
            elif name == "pre":
                preformatted = max(0, preformatted + (-1 if closing else 1))
            chunks.append(_break_for(name, closing))
        elif _TAG_START.match(markup, start + 1):  # a tag left open to the end
            break
        else:  # a lone "<", as in "a < b"
            chunks.append("<")
            i = start + 1
    text = _BREAKS.sub(_merge_breaks, "".join(chunks))
    lines = [" ".join(line.split()) for line in text.replace("\xa0", " ").splitlines()]
    return _clean_text(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())


def _break_for(name: str, closing: bool) -> str:
    if name in _PARAGRAPHS:
        return _PARAGRAPH
    if name == "br":
        return _BR
    if name == "li" and not closing:
        return _LINE + "- "
    if name in _LINES:
        return _LINE
    return " " if name in _CELLS else ""


def _merge_breaks(run: re.Match[str]) -> str:
    if _PARAGRAPH in run.group():
        return "\n\n"
    return "\n" * max(1, min(2, run.group().count(_BR)))


# ---------------------------------------------------------------------------------------------
# Automatic mail


_AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster")


def _classify(message: Message, parsed: ParsedMessage) -> None:
    def header(name: str) -> str:
        return _header(message, name, []).strip().lower()

    content_type = _content_type(message)
    try:
        report_type = str(message.get_param("report-type", "") or "").lower()
    except Exception:
        report_type = ""
    local_part = parsed.from_address.partition("@")[0]
    parsed.is_bounce = (
        content_type == "multipart/report" and report_type == "delivery-status"
    ) or local_part == "mailer-daemon"
    parsed.auto_submitted = (
        parsed.is_bounce
        or header("Auto-Submitted").split(";")[0].strip() not in _NOT_AUTOMATIC
        or header("Precedence") in ("bulk", "junk", "list", "auto_reply")
        or bool(header("X-Autoreply") or header("X-Autorespond"))
        or local_part in _AUTOMATIC_SENDERS
        or content_type == "multipart/report"
        or header("Return-Path") == "<>"
    )


# ---------------------------------------------------------------------------------------------
# Threading clues and reply text


def ticket_number_from_subject(subject: str, prefix: str = "#") -> int | None:
    """The ticket number in a ``[#1234]`` or ``[Helpline #1234]`` token, the first if several."""
    token = re.search(rf"\[[^\[\]]{{0,40}}?{re.escape(prefix)}(\d{{1,18}})\]", subject)
    return int(token.group(1)) if token else None


def thread_candidates(parsed: ParsedMessage) -> list[str]:
    """Message ids to look up, most telling first: In-Reply-To, then References newest first."""
    ids = [parsed.in_reply_to, *reversed(parsed.references)]
    return list(dict.fromkeys(i for i in ids if i))


# An attribution line ("On Mon, 3 Jun 2024, Ana <ana@example.org> wrote:"), in the languages
# most clients use; mail clients wrap long ones, so up to three lines are joined to test it.
# Longer candidates are not attribution lines, and skipping them bounds the backtracking.
_ATTRIBUTION_MAX = 300
_ATTRIBUTION = re.compile(
    r"^\s*(?:On\s.+\swrote|Am\s.+\sschrieb(?:\s.+)?|Le\s.+\sa\s+écrit|El\s.+\sescribió"
    r"|Op\s.+\sschreef(?:\s.+)?|Il\s.+\sha\s+scritto)\s*:\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine"
    r"|Mensaje original|Forwarded message)\s*-{2,}|_{20,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|Von|De)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(
    r"^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado|To|An|À|Para|Subject|Betreff|Objet"
    r"|Asunto)\s*:",
    re.IGNORECASE,
)


def strip_quoted_reply(text: str) -> str:
    """The new part of a reply: drops the quoted message after an attribution line, an
    "Original Message" separator or an Outlook header block, and a trailing ``>`` block.

    Conservative: text is removed only when something unquoted stays before it, so the result
    is empty only if the input was; inline replies between quotes are kept whole.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _quote_start(lines)
    if cut is None:
        cut = _trailing_quote_start(lines)
    if cut is None or not any(line.strip() for line in lines[:cut]):
        return text
    return "\n".join(lines[:cut]).rstrip()


def _quote_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if _SEPARATOR.match(line):
            return index
        if _OUTLOOK_FROM.match(line) and _outlook_block_follows(lines, index):
            return index
        for width in (1, 2, 3):
            joined = " ".join(lines[index : index + width])
            if len(joined) <= _ATTRIBUTION_MAX and _ATTRIBUTION.match(joined):
                return index
    return None


def _outlook_block_follows(lines: list[str], index: int) -> bool:
    """A "From:" line starts a quoted header block when two more header fields follow."""
    following = [line for line in lines[index + 1 : index + 6] if line.strip()]
    return sum(bool(_OUTLOOK_FIELD.match(line)) for line in following[:4]) >= 2


def _trailing_quote_start(lines: list[str]) -> int | None:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    return start if start < end else None
