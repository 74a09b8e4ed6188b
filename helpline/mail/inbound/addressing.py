"""Plus addressing: a per-ticket reply address, and the ticket number read back from it.

Our mail carries ``Reply-To: support+t12345@helpdesk.example`` for ticket 12345. Mail servers
deliver ``local+anything@domain`` to ``local@domain`` (Postfix's ``recipient_delimiter = +``,
Exchange, Gmail and Dovecot alike), so the reply reaches the support mailbox, and the tag
still names the ticket when the customer's client dropped In-Reply-To and the subject token.

Pure: no ORM, no settings. Threading tries In-Reply-To/References first, then this, then the
``[#n]`` subject token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.utils import formataddr, getaddresses, parseaddr

DELIMITER = "+"
# The tag after the delimiter: "t" and the number (1 to 18 digits, like the subject token).
_TAG = re.compile(r"t(\d{1,18})", re.IGNORECASE)


def _split(address: str) -> tuple[str, str] | None:
    """(local part, domain), lowercase, of a bare address; None if it is not local@domain."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at or not local or not domain:
        return None
    return local, domain


def ticket_reply_address(address: str, number: int) -> str:
    """``address`` with ticket ``number`` plus-addressed into its local part:
    ``Helpline <support@example.com>`` → ``Helpline <support+t12345@example.com>``.

    ``address`` is returned unchanged when it has no local part to extend or already uses
    the delimiter (``support+desk@…``: a second tag would not survive every mail server)."""
    name, bare = parseaddr(address)
    parts = _split(bare)
    if parts is None or DELIMITER in bare.rpartition("@")[0]:
        return address
    local, _, domain = bare.rpartition("@")
    return formataddr((name, f"{local}{DELIMITER}t{number}@{domain}"))


def ticket_number_from_recipients(
    headers: Iterable[str], own_addresses: Iterable[str]
) -> int | None:
    """The ticket number plus-addressed in the first recipient that is one of ours.

    ``headers`` are recipient header values (or bare addresses), most reliable first: pass
    Delivered-To and X-Original-To (set by the receiving server from the envelope) before To
    and Cc. A value may hold several addresses (``"A <a@x>, b@y"``). ``own_addresses`` are
    Helpline's addresses without a tag (every mailbox, SUPPORT_EMAIL): a tag on anybody
    else's address (a customer's ``bob+t99@gmail.com`` in Cc) is ignored, and so is any other
    tag on ours (``support+sales@…``). None when no recipient names a ticket.
    """
    own = {parts for parts in map(_split, own_addresses) if parts is not None}
    for _, address in getaddresses([value for value in headers if value]):
        parts = _split(address)
        if parts is None:
            continue
        local, domain = parts
        base, delimiter, tag = local.partition(DELIMITER)
        if not delimiter or (base, domain) not in own:
            continue
        match = _TAG.fullmatch(tag)
        if match:
            return int(match.group(1))
    return None
