"""The optional LMTP listener: the mail server hands each message over LMTP (RFC 2033) and
gets one answer per recipient.

Every message goes through the same ingestion service as ``helpline mail-ingest`` and IMAP
polling (:func:`helpline.mail.services.ingest`). The mailbox is the one whose address is the
recipient (``RCPT TO``), with or without a ``+tag`` (``support+t12345@…`` is ``support@…``);
mail to one of Helpline's other own addresses (``SUPPORT_EMAIL``, the From address) is
ingested without a mailbox, which then comes from the To/Cc headers as with ``mail-ingest``
and no ``--mailbox``. Any other recipient is refused.

Answers per recipient: **250** the message is recorded (a ticket, a reply, ignored as
automatic, a duplicate, or quarantined: bad content is kept, never bounced), **550** no such
mailbox (at ``RCPT TO``), **451** the database is unavailable (the mail server keeps the
message and tries again).

Database work runs in one worker thread, never in the event loop: messages are ingested one
at a time, in the order they arrive, on one database connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.db import close_old_connections, connections

from helpline.mail import selectors
from helpline.mail.models import Mailbox
from helpline.mail.services import ingest

log = logging.getLogger("helpline.mail")

# Largest message accepted (the mail server gets a 552 past it). Attachments past
# MAX_ATTACHMENT_BYTES are left out of the ticket anyway; the raw message is kept whole.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, try again later"


@dataclass(frozen=True)
class Route:
    """Where mail for one recipient goes: ``mailbox`` (None: found from the headers)."""

    mailbox: Mailbox | None


def _base_address(address: str) -> str:
    """``address`` lowercase, without a ``+tag`` in its local part."""
    local, at, domain = address.strip().lower().rpartition("@")
    return f"{local.partition('+')[0]}{at}{domain}"


def route_for(address: str) -> Route | None:
    """The route for recipient ``address``, or None when Helpline does not receive mail for it
    (a 550). Reads the database."""
    wanted = address.strip().lower()
    base = _base_address(wanted)
    boxes = selectors.mailboxes()
    by_address = {box.address.strip().lower(): box for box in boxes if box.address}
    for candidate in (wanted, base):
        if candidate in by_address:
            return Route(by_address[candidate])
    own = selectors.own_addresses(boxes)
    if wanted in own or base in own:
        return Route(None)
    return None


def _like_a_request(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function`` as Django runs a request: drop a connection that broke or grew too
    old before and after, so the listener heals by itself after a database restart."""
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()


def _check_recipient(address: str) -> str | None:
    """None when ``address`` is accepted; else the LMTP reply refusing it."""
    try:
        route = route_for(address)
    except Exception:  # the database is down: the mail server retries later
        log.exception("LMTP: could not look up recipient %s", address)
        return TEMPORARY_FAILURE
    if route is None:
        return f"550 5.1.1 <{address}>: no such mailbox here"
    return None


def deliver(raw: bytes, recipients: list[str]) -> list[str]:
    """Ingest ``raw`` once per recipient and return one LMTP reply per recipient, in order.

    The ledger keys messages by Message-ID, so the second recipient of the same message gets
    ``duplicate`` (a 250: it is recorded) rather than a second ticket."""
    replies = []
    for address in recipients:
        try:
            route = route_for(address)
            if route is None:  # the mailbox was deleted since RCPT TO
                replies.append(f"550 5.1.1 <{address}>: no such mailbox here")
                continue
            result = ingest(raw, mailbox=route.mailbox)
        except Exception:  # MailTemporaryFailure or worse: never lose mail, let it retry
            log.exception("LMTP: could not record the message for %s", address)
            replies.append(TEMPORARY_FAILURE)
            continue
        ticket = result.message.ticket
        where = f" ticket #{ticket.number}" if ticket is not None else ""
        log.info("LMTP: %s for %s: %s%s", result.status, address, result.reason, where)
        replies.append(f"250 2.0.0 <{address}> {result.status}{where}")
    return replies


class IngestHandler:
    """aiosmtpd handler: checks each recipient at RCPT TO, ingests at DATA, both in
    ``worker`` (one thread: Django's ORM is not for the event loop)."""

    def __init__(self, worker: ThreadPoolExecutor) -> None:
        self.worker = worker

    async def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.worker, _like_a_request, function, *args)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = await self._run(_check_recipient, address)
        if refusal is not None:
            return str(refusal)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or b""
        replies = await self._run(deliver, raw, list(envelope.rcpt_tos))
        # LMTP answers DATA once per accepted recipient; aiosmtpd ends each line for us.
        return "\r\n".join(replies)


class LMTPController(Controller):
    """Runs the listener in a thread: ``start()``, ``stop()``; ``port=0`` picks a free port
    (read it back from ``port`` after ``start()``)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 2424, **kwargs: Any) -> None:
        kwargs.setdefault("data_size_limit", MAX_MESSAGE_BYTES)
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lmtp-ingest")
        super().__init__(IngestHandler(self.worker), hostname=host, port=port, **kwargs)

    def stop(self, no_assert: bool = False) -> None:
        """Stop listening, then close the worker's database connection and end it."""
        super().stop(no_assert)
        self.worker.submit(connections.close_all).result()
        self.worker.shutdown()

    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):  # the port picked
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
