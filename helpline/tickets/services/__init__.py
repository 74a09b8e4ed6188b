"""The only writers of ticket state.

Every function here follows the same order: lock the row, check the caller's rights, check the
transition, change the row and bump its version, append the audit event, and schedule side
effects (mail, webhooks) with ``transaction.on_commit`` so nothing leaves the building for a
change that was rolled back. Callers pass the actor; the UI, the API, mail ingestion, rules and
tasks all come through here.
"""

from __future__ import annotations

from helpline.tickets.services._common import (
    FIRST_TICKET_NUMBER,
    MAX_LEVEL,
    Resolution,
    UploadedFileLike,
    check_attachments,
    priority_matrix,
)
from helpline.tickets.services.create import (
    ticket_create,
)
from helpline.tickets.services.edit import (
    EDITABLE_FIELDS,
    ticket_route,
    ticket_set_sla_policy,
    ticket_update,
)
from helpline.tickets.services.lifecycle import (
    ticket_assign,
    ticket_escalate,
    ticket_take,
    ticket_transition,
)
from helpline.tickets.services.thread import (
    ticket_note,
    ticket_reply,
)

__all__ = [
    "EDITABLE_FIELDS",
    "FIRST_TICKET_NUMBER",
    "MAX_LEVEL",
    "Resolution",
    "UploadedFileLike",
    "check_attachments",
    "priority_matrix",
    "ticket_assign",
    "ticket_create",
    "ticket_escalate",
    "ticket_note",
    "ticket_reply",
    "ticket_route",
    "ticket_set_sla_policy",
    "ticket_take",
    "ticket_transition",
    "ticket_update",
]

from helpline.tickets.services.collaborators import ticket_add_collaborators

__all__ += ["ticket_add_collaborators"]
