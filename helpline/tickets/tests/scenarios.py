"""Shared steps for the ticket tests: reach a status through the services, and check that a
refused call left the database exactly as it was."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from helpline.accounts.models import User
from helpline.audit.models import AuditEvent
from helpline.factories import Desk
from helpline.tickets import services
from helpline.tickets.models import Attachment, Counter, ThreadEntry, Ticket
from helpline.tickets.services import Resolution
from helpline.tickets.states import Status

RESOLUTION = Resolution(
    problem_identified="The network cable was unplugged.",
    action_taken="Plugged it back in.",
    confirmation="The customer can browse again.",
)


def ticket_in(desk: Desk, status: Status | str, **fields: Any) -> Ticket:
    """A ticket of ``desk.customer`` in ``status``, worked by ``desk.l1``, reached through the
    services only."""
    status = Status(status)
    ticket = desk.ticket(**fields)
    if status is not Status.NEW:
        services.ticket_take(actor=desk.l1, ticket=ticket)
    if status is Status.PENDING:
        services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    elif status is Status.ON_HOLD:
        services.ticket_transition(actor=desk.l1, ticket=ticket, action="hold")
    elif status in (Status.RESOLVED, Status.CLOSED):
        services.ticket_transition(
            actor=desk.l1, ticket=ticket, action="resolve", resolution=RESOLUTION
        )
        if status is Status.CLOSED:
            services.ticket_transition(actor=desk.l1, ticket=ticket, action="close")
    ticket.refresh_from_db()
    assert ticket.status == status
    return ticket


def last_event(ticket: Ticket) -> AuditEvent:
    event = AuditEvent.objects.filter(ticket=ticket).order_by("id").last()
    assert event is not None, "no audit event for this ticket"
    return event


def ref(obj: Any) -> dict[str, Any]:
    """How the audit log records a related object."""
    return {"id": obj.pk, "name": str(obj)}


def database_state(ticket: Ticket | None = None) -> dict[str, Any]:
    """Everything a ticket service may write, to compare before and after a refused call."""
    state: dict[str, Any] = {
        "tickets": Ticket.objects.count(),
        "entries": list(ThreadEntry.objects.values_list("id", flat=True)),
        "attachments": Attachment.objects.count(),
        "audit": list(AuditEvent.objects.values_list("id", flat=True)),
        "users": list(User.objects.order_by("id").values_list("id", "last_assigned_at")),
        "counter": list(Counter.objects.order_by("name").values_list("name", "value")),
    }
    if ticket is not None:
        state["ticket"] = Ticket.objects.filter(pk=ticket.pk).values().get()
        state["tags"] = sorted(ticket.tags.values_list("name", flat=True))
    return state


@contextmanager
def nothing_changes(ticket: Ticket | None = None) -> Iterator[None]:
    """Assert the block leaves the database as it found it (use outside ``pytest.raises``)."""
    before = database_state(ticket)
    yield
    assert database_state(ticket) == before
