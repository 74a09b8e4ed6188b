"""Reads for mail in: which mailbox a message came to, and which ticket it answers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection

from helpline.core.configcache import ConfigCache
from helpline.core.rows import RowReader, prepared_cursor
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
    # (Message-ID or ledger key, ticket id, rank) from each source, in one UNION ALL; written
    # by hand because compiling the three querysets cost more than running them.
    sources: list[tuple[Any, str, list[str]]] = []
    outbound = _outbound_model()
    if outbound is not None:
        sources.append((outbound, "message_id", ids))
    sources += [(ThreadEntry, "message_id", ids), (InboundMessage, "key", list(keys))]
    quote = connection.ops.quote_name
    selects: list[str] = []
    params: list[Any] = []
    for rank, (model, field, values) in enumerate(sources, start=3 - len(sources)):
        meta = model._meta
        column = quote(meta.get_field(field).column)
        ticket = quote(meta.get_field("ticket").column)
        marks = ", ".join(["%s"] * len(values))
        selects.append(
            f"SELECT {column}, {ticket}, {rank} FROM {quote(meta.db_table)} "
            f"WHERE {column} IN ({marks}) AND {ticket} IS NOT NULL"
        )
        params += values
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    found: dict[str, tuple[int, int]] = {}  # Message-ID → (rank, ticket id)
    for value, ticket_id, rank in rows:
        message_id = keys.get(value, value) if rank == 2 else value
        if message_id not in found or rank < found[message_id][0]:
            found[message_id] = (rank, ticket_id)
    for message_id in ids:
        if message_id in found:
            return _TICKET_BY_ID.one(found[message_id][1])
    return None


# The ticket with what mail in needs of it (see helpline.core.rows).
_TICKET_BY_ID = RowReader(Ticket, "t.id = %s", related=("requester", "department"))
_TICKET_BY_NUMBER = RowReader(Ticket, "t.number = %s", related=("requester", "department"))


def ticket_by_number(number: int | None) -> Ticket | None:
    if number is None:
        return None
    return _TICKET_BY_NUMBER.one(number)


def recent_messages_from(sender: str, since: Any, *, exclude_pk: int | None = None) -> int:
    """How many messages ``sender`` sent us since ``since`` (for the rate limit)."""
    # By hand, like ticket_for_message_ids: on every message, the ORM's count cost ten
    # times the indexed (sender, received_at) range scan it runs.
    quote = connection.ops.quote_name
    sql = (
        f"SELECT COUNT(*) FROM {quote(InboundMessage._meta.db_table)} "
        f"WHERE {quote('sender')} = %s AND {quote('received_at')} >= %s"
    )
    params: list[Any] = [sender, connection.ops.adapt_datetimefield_value(since)]
    if exclude_pk is not None:
        sql += f" AND {quote('id')} <> %s"
        params.append(exclude_pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def received_before(key: str) -> bool:
    """Whether the ledger holds a message with ``key`` (see ``message_key``)."""
    quote = connection.ops.quote_name
    with prepared_cursor(connection) as cursor:  # by hand: on every message
        cursor.execute(
            f"SELECT 1 FROM {quote(InboundMessage._meta.db_table)} WHERE {quote('key')} = %s",
            [key],
        )
        return cursor.fetchone() is not None
