"""Canned responses (macros): the ones an agent may use, and applying one to a ticket."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from helpline.api.v1.auth import caller
from helpline.api.v1.paths import TICKET
from helpline.api.v1.schemas import ERRORS, Ref
from helpline.rules import macros
from helpline.tickets import access
from helpline.tickets.models import Ticket

router = Router(tags=["macros"])

MAX_MACROS = 500


class MacroOut(Schema):
    id: int
    name: str
    department: Ref | None = Field(description="null: usable in every department.")
    body: str = Field(description="The text with its variables, e.g. {{ ticket.number }}.")
    status_action: str = Field(description='"", "pend" or "hold".')
    field_changes: dict[str, Any]


class MacroList(Schema):
    items: list[MacroOut]


class MacroApplied(Schema):
    entry_id: int
    body: str
    ticket_status: str


@router.get("/macros", response={200: MacroList, **ERRORS})
def macro_list(request: HttpRequest) -> MacroList:
    """The enabled macros of the caller's departments and the global ones (agents)."""
    rows = macros.macros_visible_to(user=caller(request))[:MAX_MACROS]
    return MacroList(
        items=[
            MacroOut(
                id=m.pk,
                name=m.name,
                department=Ref(id=m.department.pk, name=m.department.name)
                if m.department
                else None,
                body=m.body,
                status_action=m.status_action,
                field_changes=m.field_changes,
            )
            for m in rows
        ]
    )


@router.post(f"/tickets/{TICKET}/macros/{{int:macro_id}}", response={201: MacroApplied, **ERRORS})
def macro_apply(request: HttpRequest, number: int, macro_id: int) -> Status[MacroApplied]:
    """Reply with the macro's rendered text, then apply its status and field changes."""
    user = caller(request)
    ticket = access.access_ticket(user, number)
    macro = macros.macro_for_ticket(user=user, ticket=ticket, macro_id=macro_id)
    entry = macros.macro_apply(actor=user, ticket=ticket, macro=macro)
    status = Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).get()
    return Status(201, MacroApplied(entry_id=entry.pk, body=entry.body, ticket_status=status))
