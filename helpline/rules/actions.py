"""Carry out a matched rule's actions on a ticket, through the ticket services, as the
system user. Each action runs in its own savepoint: one that fails (the ticket is closed, the
named department does not exist) is rolled back and logged, and the next one still runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q, QuerySet

from helpline.accounts.models import Role, User
from helpline.core.errors import DomainError, NotFound, ValidationFailed
from helpline.directory.models import Category, Department, HelpTopic, Team
from helpline.rules import integrations
from helpline.rules.engine import Action
from helpline.rules.templating import TemplateProblem, context_for, render_text
from helpline.tickets import services
from helpline.tickets.assignment import pick_agent
from helpline.tickets.models import Ticket

log = logging.getLogger(__name__)


def _by_ref[M: Model](queryset: QuerySet[M], ref: Any, what: str, name_field: str = "name") -> M:
    """A row by id (an int) or by name (a string, ignoring case)."""
    if isinstance(ref, int):
        row = queryset.filter(pk=ref).first()
    else:
        row = queryset.filter(**{f"{name_field}__iexact": str(ref).strip()}).first()
    if row is None:
        raise NotFound(f"there is no {what} {ref!r}")
    return row


def _agent(ref: Any) -> User:
    agents = User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
    if isinstance(ref, int):
        return _by_ref(agents, ref, "agent")
    agent = agents.filter(Q(email__iexact=str(ref).strip()) | Q(name__iexact=str(ref).strip()))
    found = agent.order_by("id").first()
    if found is None:
        raise NotFound(f"there is no agent {ref!r}")
    return found


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_related(
        "requester", "assignee", "department", "team", "help_topic", "category"
    ).get(pk=ticket.pk)


def _update(actor: User, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
    return services.ticket_update(
        actor=actor, ticket=ticket, expected_version=ticket.version, changes=changes
    )


def _tag_names(ticket: Ticket) -> list[str]:
    return [tag.name for tag in ticket.tags.all()]


def _set_department(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
    department = _by_ref(Department.objects.filter(is_active=True), p["value"], "department")
    reassign = not any(action.type == "assign" for action in later)
    ticket = services.ticket_route(
        actor=actor, ticket=ticket, department=department, reassign=reassign
    )
    who = ticket.assignee.display_name if ticket.assignee else "nobody"
    return f"department set to {department.name} (assignee: {who})"


def _set_field(field: str, model: type[Model] | None = None) -> Callable[..., str]:
    def apply(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
        value = p["value"]
        if model is not None:
            value = _by_ref(model.objects.all(), value, field.replace("_", " "))  # type: ignore[attr-defined]
        _update(actor, ticket, {field: value})
        return f"{field.replace('_', ' ')} set to {value}"

    return apply


def _add_tags(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
    _update(actor, ticket, {"tags": [*_tag_names(ticket), *p["tags"]]})
    return f"tags added: {', '.join(p['tags'])}"


def _remove_tags(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
    gone = {tag.strip().lower() for tag in p["tags"]}
    _update(actor, ticket, {"tags": [t for t in _tag_names(ticket) if t not in gone]})
    return f"tags removed: {', '.join(p['tags'])}"


def _assign(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
    strategy = p["strategy"]
    if strategy == "agent":
        agent: User | None = _agent(p["agent"])
    else:
        agent = pick_agent(
            department_id=ticket.department_id,
            level=ticket.support_level,
            tags=_tag_names(ticket),
            strategy=strategy,
        )
        if agent is None:
            return f"assign ({strategy}): no eligible agent, left as it was"
        if agent.pk == ticket.assignee_id:
            return f"assign ({strategy}): kept {agent.display_name}"
    services.ticket_assign(actor=actor, ticket=ticket, assignee=agent)
    return f"assigned to {agent.display_name if agent else 'nobody'} ({strategy})"


def _escalate(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
    department = None
    if "department" in p:
        department = _by_ref(
            Department.objects.filter(is_active=True), p["department"], "department"
        )
    ticket = services.ticket_escalate(
        actor=actor,
        ticket=ticket,
        note=p["note"],
        to_level=p.get("to_level"),
        department=department,
    )
    return f"escalated to {ticket.department.name} level {ticket.support_level}"


def _add_note(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
    services.ticket_note(actor=actor, ticket=ticket, body=p["body"])
    return "internal note added"


def _reply_template(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
    try:
        body = render_text(p["template"], context_for(ticket, actor, site_url=settings.SITE_URL))
    except TemplateProblem as problem:
        raise ValidationFailed(str(problem)) from None
    services.ticket_reply(actor=actor, ticket=ticket, body=body)
    return "replied to the requester"


def _notify_people(ticket: Ticket, p: Any) -> list[User]:
    people: list[User] = [_agent(ref) for ref in p.get("users", [])]
    if "team" in p:
        team = _by_ref(Team.objects.all(), p["team"], "team")
        people += list(team.members.filter(is_active=True))
        if team.lead is not None:
            people.append(team.lead)
    role = p.get("role")
    if role == "assignee" and ticket.assignee is not None:
        people.append(ticket.assignee)
    elif role == "team_lead" and ticket.team is not None and ticket.team.lead is not None:
        people.append(ticket.team.lead)
    elif role == "department_manager" and ticket.department.manager is not None:
        people.append(ticket.department.manager)
    elif role == "department_agents":
        people += list(ticket.department.members.filter(is_active=True, role=Role.AGENT))
    elif role == "admins":
        people += list(User.objects.filter(is_active=True, role=Role.ADMIN))
    elif role == "requester":
        raise ValidationFailed("rules notify agents; use reply_template to write to the requester")
    return people


def _notify(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
    text = p.get("message") or f"Ticket #{ticket.number} needs attention: {ticket.subject}"
    return integrations.notify(ticket=ticket, users=_notify_people(ticket, p), text=text)


def _webhook(actor: User, ticket: Ticket, p: Any, later: Sequence[Action]) -> str:
    return integrations.webhook(
        ticket=ticket, url=p["url"], method=p.get("method", "POST"), payload=p.get("payload")
    )


APPLY: dict[str, Callable[[User, Ticket, Any, Sequence[Action]], str]] = {
    "set_department": _set_department,
    "set_help_topic": _set_field("help_topic", HelpTopic),
    "set_type": _set_field("type"),
    "set_category": _set_field("category", Category),
    "set_priority": _set_field("priority"),
    "set_impact": _set_field("impact"),
    "set_urgency": _set_field("urgency"),
    "add_tags": _add_tags,
    "remove_tags": _remove_tags,
    "set_team": _set_field("team", Team),
    "assign": _assign,
    "escalate": _escalate,
    "add_note": _add_note,
    "reply_template": _reply_template,
    "notify": _notify,
    "webhook": _webhook,
}


def describe(action: Action) -> str:
    """One line saying what ``action`` would do (the dry run)."""
    params = ", ".join(f"{key}={value!r}" for key, value in action.params.items())
    return f"{action.type}({params})"


def apply_actions(
    *, actor: User, ticket: Ticket, actions: Sequence[Action]
) -> tuple[list[str], list[str]]:
    """Apply ``actions`` in order; returns (what was done, what failed), one line each.

    Call inside a transaction."""
    applied: list[str] = []
    errors: list[str] = []
    for index, action in enumerate(actions):
        fresh = _fresh(ticket)
        try:
            with transaction.atomic():
                applied.append(
                    APPLY[action.type](actor, fresh, action.params, actions[index + 1 :])
                )
        except DomainError as error:
            errors.append(f"{describe(action)}: {error.message}")
            log.info("rule action %s on ticket %s failed: %s", action.type, ticket.pk, error)
    return applied, errors
