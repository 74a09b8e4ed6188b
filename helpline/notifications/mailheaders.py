"""The headers that make our mail thread in the customer's client and route replies back to
the ticket. Pure: no ORM."""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from helpline.mail.inbound.addressing import ticket_reply_address


def message_domain(mail_domain: str, site_url: str) -> str:
    """The domain of our Message-IDs: MAIL_DOMAIN, else SITE_URL's host."""
    return mail_domain or urlsplit(site_url).hostname or "helpline.invalid"


def thread_headers(message_ids: list[str]) -> tuple[str, str]:
    """(In-Reply-To, References) for a new message in a thread whose earlier messages have
    ``message_ids``, oldest first: in reply to the last; references the first and the last."""
    ids = [m for m in message_ids if m]
    if not ids:
        return "", ""
    first, last = ids[0], ids[-1]
    return last, first if first == last else f"{first} {last}"


def from_address(default_from: str, person: str = "") -> str:
    """Our From address, with ``person`` (an agent's name) in the display name if given."""
    name, address = parseaddr(default_from)
    if not person:
        return default_from
    return formataddr((f"{person} via {name or 'Helpline'}", address))


def reply_to_address(
    support_email: str,
    default_from: str,
    ticket_number: int | None = None,
    *,
    plus_addressing: bool = True,
) -> str:
    """Where replies go: the support mailbox mail ingestion reads (else our From address),
    plus-addressed with the ticket number (``support+t12345@…``) so a reply finds its ticket
    even when the customer's client drops In-Reply-To and the subject token."""
    address = support_email or default_from
    if ticket_number is None or not plus_addressing:
        return address
    return ticket_reply_address(address, ticket_number)
