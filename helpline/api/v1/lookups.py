"""Turn ids in a request into the rows the services take, or a 400 naming the field.

This is parsing, not permission: the services still decide what the caller may do with the
row (a customer may not pick a private help topic, an assignee must be in the department).
"""

from __future__ import annotations

from django.db.models import Model, QuerySet

from helpline.accounts.models import Role, User
from helpline.core.errors import ValidationFailed
from helpline.directory.models import Category, Department, HelpTopic, Team


def _one[M: Model](queryset: QuerySet[M], pk: int | None, field: str, what: str) -> M | None:
    if pk is None:
        return None
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise ValidationFailed(f"there is no {what} {pk}", fields={field: f"unknown {what}"})
    return row


def category(pk: int | None, field: str = "category_id") -> Category | None:
    return _one(Category.objects.all(), pk, field, "category")


def team(pk: int | None, field: str = "team_id") -> Team | None:
    return _one(Team.objects.all(), pk, field, "team")


def help_topic(pk: int | None, field: str = "help_topic_id") -> HelpTopic | None:
    return _one(HelpTopic.objects.select_related("department"), pk, field, "help topic")


def department(pk: int | None, field: str = "department_id") -> Department | None:
    return _one(Department.objects.filter(is_active=True), pk, field, "department")


def agent(pk: int | None, field: str) -> User | None:
    """An active agent or admin; customers and unknown ids are both "unknown agent"."""
    agents = User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
    return _one(agents, pk, field, "agent")
