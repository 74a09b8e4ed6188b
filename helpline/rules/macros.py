"""Canned responses (macros): check them when saved, list them for a ticket, render and apply.

Applying a macro posts its rendered text as a public reply (``ticket_reply``), then changes
the fields it names (``ticket_update``) and the status it asks for (``ticket_transition``), all
as the agent who applied it, in one transaction: if any step is refused nothing is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from helpline.accounts.models import User
from helpline.core.errors import NotFound, ValidationFailed
from helpline.rules.models import Macro
from helpline.rules.templating import TemplateProblem, check_text, context_for, render_text
from helpline.tickets import access, services
from helpline.tickets.models import ThreadEntry, Ticket
from helpline.tickets.states import Level, Priority, TicketType

FIELD_CHOICES: Mapping[str, frozenset[str]] = {
    "priority": frozenset(Priority),
    "type": frozenset(TicketType),
    "impact": frozenset(Level),
    "urgency": frozenset(Level),
}
MAX_MACRO_TAGS = 20


def macro_problems(*, body: str, field_changes: Any) -> dict[str, str]:
    """{field: message} for a macro that cannot be saved; empty when it is fine."""
    problems: dict[str, str] = {}
    if not (body or "").strip():
        problems["body"] = "required"
    else:
        try:
            check_text(body)
        except TemplateProblem as problem:
            problems["body"] = str(problem)
    if not isinstance(field_changes, dict):
        problems["field_changes"] = "must be an object"
        return problems
    for key, value in field_changes.items():
        if key in FIELD_CHOICES:
            if value not in FIELD_CHOICES[key]:
                allowed = ", ".join(sorted(FIELD_CHOICES[key]))
                problems["field_changes"] = f"{key} must be one of {allowed}"
        elif key == "add_tags":
            if (
                not isinstance(value, list)
                or len(value) > MAX_MACRO_TAGS
                or not all(isinstance(tag, str) and tag.strip() for tag in value)
            ):
                problems["field_changes"] = "add_tags must be a list of tag names"
        else:
            known = ", ".join([*FIELD_CHOICES, "add_tags"])
            problems["field_changes"] = f"unknown field {key!r} (known: {known})"
    return problems


def macros_for(*, user: User, ticket: Ticket) -> QuerySet[Macro]:
    """The enabled macros an agent may use on ``ticket``: global ones and its department's."""
    access.check_is_agent(user, "use macros")
    return Macro.objects.filter(
        Q(department__isnull=True) | Q(department_id=ticket.department_id), enabled=True
    ).order_by("name", "id")


def macros_visible_to(*, user: User) -> QuerySet[Macro]:
    """Every enabled macro an agent may see: global ones and those of their departments."""
    access.check_is_agent(user, "use macros")
    macros = Macro.objects.filter(enabled=True).select_related("department")
    if user.is_admin:
        return macros
    return macros.filter(
        Q(department__isnull=True) | Q(department_id__in=access.member_department_ids(user))
    )


def macro_for_ticket(*, user: User, ticket: Ticket, macro_id: int) -> Macro:
    macro = macros_for(user=user, ticket=ticket).filter(pk=macro_id).first()
    if macro is None:
        raise NotFound("no such macro for this ticket")
    return macro


def macro_render(*, user: User, ticket: Ticket, macro: Macro) -> str:
    """The macro's text for ``ticket`` (with requester and department loaded)."""
    try:
        return render_text(macro.body, context_for(ticket, user, site_url=settings.SITE_URL))
    except TemplateProblem as problem:
        raise ValidationFailed(f"the macro cannot be used: {problem}") from None


def macro_apply(*, actor: User, ticket: Ticket, macro: Macro) -> ThreadEntry:
    """Reply with the macro's text, then apply its field and status changes."""
    body = macro_render(user=actor, ticket=ticket, macro=macro)
    changes: dict[str, Any] = {
        key: value for key, value in macro.field_changes.items() if key in FIELD_CHOICES
    }
    with transaction.atomic():
        entry = services.ticket_reply(actor=actor, ticket=ticket, body=body)
        if "add_tags" in macro.field_changes:
            current = [tag.name for tag in ticket.tags.all()]
            changes["tags"] = [*current, *macro.field_changes["add_tags"]]
        if changes:
            fresh = Ticket.objects.get(pk=ticket.pk)
            services.ticket_update(
                actor=actor, ticket=fresh, expected_version=fresh.version, changes=changes
            )
        if macro.status_action:
            services.ticket_transition(
                actor=actor, ticket=Ticket.objects.get(pk=ticket.pk), action=macro.status_action
            )
    return entry
