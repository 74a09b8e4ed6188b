"""Reads for mail in: which mailbox a message came to, and which ticket it answers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import IntegerField, QuerySet, Value

from helpline.core.configcache import ConfigCache
from helpline.directory.models import Department
from helpline.mail.models import InboundMessage, Mailbox, MailPolicy, message_key
from helpline.tickets.models import ThreadEntry, Ticket


def _load_mailboxes() -> list[Mailbox]:
    return list(Mailbox.objects.select_related("department"))


_mailboxes = ConfigCache("mailboxes", _load_mailboxes, models=[Mailbox, Department])


def mailboxes() -> list[Mailbox]:
    """Every mailbox with its department (cached configuration: read, do not change them;
    see ``helpline.core.configcache``)."""
    return _mailboxes.get()


def _load_mail_policies() -> dict[int, str]:
    return dict(MailPolicy.objects.values_list("department_id", "unknown_sender"))


_mail_policies = ConfigCache("mail-policies", _load_mail_policies, models=[MailPolicy])


def unknown_sender_policy(department_id: int) -> str | None:
    """The department's choice for mail from an address not on the ticket, if it made one."""
    return _mail_policies.get().get(department_id)


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
    Helpline knows belongs to: mail Helpline sent, else mail it received (a thread entry, else
    a ledger row). One query over the three indexed sources, plus one for the ticket."""
    ids = [i for i in ids if i and len(i) <= 255][:50]
    if not ids:
        return None
    keys = {message_key(i, b""): i for i in ids}
    sources: list[QuerySet[Any]] = []
    outbound = _outbound_model()
    if outbound is not None:
        sources.append(
            _ranked(outbound.objects.filter(message_id__in=ids, ticket__isnull=False), 0)
        )
    sources.append(_ranked(ThreadEntry.objects.filter(message_id__in=ids), 1))
    ledger = InboundMessage.objects.filter(key__in=keys, ticket__isnull=False)
    sources.append(_ranked(ledger, 2, column="key"))
    found: dict[str, tuple[int, int]] = {}  # Message-ID → (rank, ticket id)
    for value, ticket_id, rank in sources[0].union(*sources[1:], all=True).order_by():
        message_id = keys.get(value, value) if rank == 2 else value
        if message_id not in found or rank < found[message_id][0]:
            found[message_id] = (rank, ticket_id)
    for message_id in ids:
        if message_id in found:
            return (
                Ticket.objects.select_related("requester", "department")
                .filter(pk=found[message_id][1])
                .first()
            )
    return None


def _ranked(queryset: QuerySet[Any], rank: int, *, column: str = "message_id") -> QuerySet[Any]:
    """(``column``, ticket id, ``rank``) rows of ``queryset``, ready for a UNION."""
    return (
        queryset.order_by()
        .annotate(source_rank=Value(rank, output_field=IntegerField()))
        .values_list(column, "ticket_id", "source_rank")
    )


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
