"""Who gets a ticket. One function today; the rule-driven strategies plug in here later."""

from __future__ import annotations

from django.db.models import Count, F, Q

from helpline.accounts.models import Availability, Role, User
from helpline.core import clock
from helpline.tickets.states import ACTIVE


def pick_agent(*, department_id: int, level: int, exclude_ids: tuple[int, ...] = ()) -> User | None:
    """The available agent of ``level`` in the department with the fewest active tickets.

    Ties go to whoever has waited longest since their last assignment (never assigned first).
    """
    now = clock.now()
    return (
        User.objects.filter(
            is_active=True,
            role__in=[Role.AGENT, Role.ADMIN],
            support_level=level,
            departmentmembership__department_id=department_id,
        )
        .filter(
            Q(availability=Availability.AVAILABLE)
            | Q(availability=Availability.OFF, away_until__lte=now)
        )
        .exclude(pk__in=exclude_ids)
        .annotate(
            active_count=Count(
                "assigned_tickets", filter=Q(assigned_tickets__status__in=list(ACTIVE))
            )
        )
        .order_by("active_count", F("last_assigned_at").asc(nulls_first=True), "id")
        .first()
    )
