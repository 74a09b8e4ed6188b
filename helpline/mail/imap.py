"""IMAP polling: fetch new mail from each active mailbox and hand it to ``ingest``.

Each message is fetched once: the mailbox remembers UIDVALIDITY and the last UID read, and the
ledger's Message-ID key catches anything fetched again (after a crash or a UIDVALIDITY change).
Messages are fetched with BODY.PEEK so they stay unseen until ingested, then marked seen or
moved; nothing is ever deleted. A mailbox is claimed with a lease so two workers never read
the same one at once, and one failing mailbox never stops the others.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q

from helpline.core import clock
from helpline.mail.models import AfterProcessing, Mailbox, Security
from helpline.mail.services import MailTemporaryFailure, ingest

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)


@dataclass
class PollReport:
    mailbox: str
    fetched: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    error: str = ""
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.mailbox}: skipped (another worker is reading it)"
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.outcomes.items()))
        text = f"{self.mailbox}: {self.fetched} fetched" + (f" ({counts})" if counts else "")
        return text + (f"; error: {self.error}" if self.error else "")


def poll_mailboxes(*, name: str | None = None) -> list[PollReport]:
    """Poll every active IMAP mailbox (or the one called ``name``) once."""
    boxes = Mailbox.objects.filter(is_active=True).exclude(host="").select_related("department")
    if name is not None:
        boxes = boxes.filter(name=name)
    return [poll_mailbox(box) for box in boxes]


def poll_step() -> None:
    """The worker's minute step: poll, log what happened, never raise."""
    try:
        for report in poll_mailboxes():
            if report.fetched or report.error:
                log.info("mail poll: %s", report)
    except Exception:  # the worker keeps running; next minute is another try
        log.exception("mail poll failed")


def poll_mailbox(box: Mailbox) -> PollReport:
    report = PollReport(box.name)
    now = clock.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    if not Mailbox.objects.filter(free, pk=box.pk).update(lease_until=now + LEASE):
        report.skipped = True
        return report
    try:
        _read(box, report)
    except MailTemporaryFailure as error:
        report.error = str(error)
    except (imaplib.IMAP4.error, OSError, EOFError, ValueError) as error:
        report.error = f"{type(error).__name__}: {error}"
    finally:
        if report.error:
            log.warning("mailbox %s: %s", box.name, report.error)
        box.last_polled_at = clock.now()
        box.last_error = report.error[:2000]
        box.lease_until = None
        box.save(update_fields=["last_polled_at", "last_error", "lease_until"])
    return report


def _connect(box: Mailbox) -> imaplib.IMAP4:
    timeout = float(getattr(settings, "HELPLINE_MAIL_IMAP_TIMEOUT", 60))
    cafile = getattr(settings, "HELPLINE_MAIL_IMAP_CAFILE", "") or None
    context = ssl.create_default_context(cafile=cafile)
    client: imaplib.IMAP4
    if box.security == Security.TLS:
        client = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=context, timeout=timeout)
    else:
        client = imaplib.IMAP4(box.host, box.port, timeout=timeout)
        if box.security == Security.STARTTLS:
            client.starttls(ssl_context=context)
    client.login(box.username, box.password)
    # The greeting's capabilities are the pre-login ones; MOVE and UIDPLUS come after login.
    data = _ok(client.capability(), "CAPABILITY")
    if data and isinstance(data[0], bytes):
        client.capabilities = tuple(data[0].decode("ascii", "replace").upper().split())
    return client


def _quote(folder: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib sends names as given)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(response: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what} failed: {data!r}")
    return data


def _read(box: Mailbox, report: PollReport) -> None:
    client = _connect(box)
    try:
        _ok(client.select(_quote(box.folder)), f"SELECT {box.folder}")
        _, validity = client.response("UIDVALIDITY")
        uidvalidity = int(validity[0]) if validity and validity[0] else None  # type: ignore[arg-type]
        if uidvalidity != box.uidvalidity:
            if box.uidvalidity is not None:
                log.warning("mailbox %s: UIDVALIDITY changed, reading it again", box.name)
            box.uidvalidity, box.last_uid = uidvalidity, 0
            box.save(update_fields=["uidvalidity", "last_uid"])
        if box.after_processing == AfterProcessing.MOVE and box.move_to:
            client.create(_quote(box.move_to))  # fails harmlessly when it exists
        batch = int(getattr(settings, "HELPLINE_MAIL_POLL_BATCH", 200))
        for uid in _new_uids(client, box.last_uid)[:batch]:
            raw = _fetch(client, uid)
            if raw is not None:  # None: expunged meanwhile by someone else
                result = ingest(raw, mailbox=box)  # MailTemporaryFailure ends the run here
                report.fetched += 1
                report.outcomes[result.status] += 1
                _after_processing(client, box, uid, report)
            box.last_uid = uid
            box.save(update_fields=["last_uid"])
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()


def _new_uids(client: imaplib.IMAP4, last_uid: int) -> list[int]:
    data = _ok(client.uid("SEARCH", f"UID {last_uid + 1}:*"), "UID SEARCH")
    found = b" ".join(item for item in data if isinstance(item, bytes))
    # "n:*" always matches the highest UID, even one below n: filter.
    return sorted(uid for uid in map(int, found.split()) if uid > last_uid)


_LITERAL = re.compile(rb"BODY\[\]")


def _fetch(client: imaplib.IMAP4, uid: int) -> bytes | None:
    data = _ok(client.uid("FETCH", str(uid), "(BODY.PEEK[])"), f"FETCH {uid}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and _LITERAL.search(item[0]):
            return bytes(item[1])
    return None


def _after_processing(client: imaplib.IMAP4, box: Mailbox, uid: int, report: PollReport) -> None:
    """Mark seen or move; a failure is reported, the message stays where it is (never lost)."""
    try:
        if box.after_processing == AfterProcessing.MOVE and box.move_to:
            if "MOVE" in client.capabilities:
                _ok(client.uid("MOVE", str(uid), _quote(box.move_to)), f"MOVE {uid}")
                return
            _ok(client.uid("COPY", str(uid), _quote(box.move_to)), f"COPY {uid}")
            _ok(client.uid("STORE", str(uid), "+FLAGS", "(\\Seen \\Deleted)"), f"STORE {uid}")
            if "UIDPLUS" in client.capabilities:
                _ok(client.uid("EXPUNGE", str(uid)), f"UID EXPUNGE {uid}")
            return
        _ok(client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)"), f"STORE {uid}")
    except imaplib.IMAP4.error as error:
        report.error = f"after processing UID {uid}: {error}"
