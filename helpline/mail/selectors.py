"""Reads for mail in: which mailbox a message came to, and which ticket it answers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from typing import Any

from django.apps import apps
from django.conf import settings

from helpline.mail.models import InboundMessage, Mailbox, message_key
from helpline.tickets.models import ThreadEntry, Ticket


def mailboxes() -> list[Mailbox]:
    return list(Mailbox.objects.select_related("department"))


def own_addresses(boxes: Iterable[Mailbox]) -> frozenset[str]:
    """Helpline's own addresses, lowercase: every mailbox, the From of our mail and the
    support address replies are routed to. Mail from these is a loop."""
    found = {box.address.strip().lower() for box in boxes if box.address}
    for name in ("DEFAULT_FROM_EMAIL", "HELPLINE_SUPPORT_EMAIL", "SERVER_EMAIL"):
        address = parseaddr(str(getattr(settings, name, "") or ""))[1].strip().lower()
        if "@" in address:
            found.add(address)
    return frozenset(found)


def mailbox_for(boxes: Sequence[Mailbox], recipients: Iterable[str]) -> Mailbox | None:
    """The first mailbox whose address is among ``recipients`` (lowercase addresses)."""
    by_address = {box.address.strip().lower(): box for box in boxes}
    for address in recipients:
        if address in by_address:
            return by_address[address]
    return None


def _outbound_model() -> Any:
    """Helpline's sent mail (helpline.notifications), if that app provides the model."""
    try:
        return apps.get_model("notifications", "OutboundMessage")
    except LookupError:
        return None


def ticket_for_message_ids(ids: Sequence[str]) -> Ticket | None:
    """The ticket that the first of ``ids`` (bracketed Message-IDs, most telling first) that
    Helpline knows belongs to: mail Helpline sent, or mail it received (a thread entry or a
    ledger row). Three indexed queries at most, plus one for the ticket."""
    ids = [i for i in ids if i and len(i) <= 255][:50]
    if not ids:
        return None
    found: dict[str, int] = {}
    outbound = _outbound_model()
    if outbound is not None:
        found.update(
            outbound.objects.filter(message_id__in=ids, ticket__isnull=False).values_list(
                "message_id", "ticket_id"
            )
        )
    missing = [i for i in ids if i not in found]
    if missing:
        found.update(
            ThreadEntry.objects.filter(message_id__in=missing).values_list(
                "message_id", "ticket_id"
            )
        )
    missing = [i for i in ids if i not in found]
    if missing:
        keys = {message_key(i, b""): i for i in missing}
        for key, ticket_id in InboundMessage.objects.filter(
            key__in=keys, ticket__isnull=False
        ).values_list("key", "ticket_id"):
            found[keys[key]] = ticket_id
    for message_id in ids:
        if message_id in found:
            return (
                Ticket.objects.select_related("requester", "department")
                .filter(pk=found[message_id])
                .first()
            )
    return None


def ticket_by_number(number: int | None) -> Ticket | None:
    if number is None:
        return None
    return Ticket.objects.select_related("requester", "department").filter(number=number).first()


def recent_messages_from(sender: str, since: Any, *, exclude_pk: int | None = None) -> int:
    """How many messages ``sender`` sent us since ``since`` (for the rate limit)."""
    queryset = InboundMessage.objects.filter(sender=sender, received_at__gte=since)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.count()
