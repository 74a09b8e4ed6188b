"""The structured part of a search (field:value filters, ticket numbers, requester emails) as
ORM conditions on Ticket. Each filter's values are alternatives (OR); filters combine with AND;
a negated filter selects the tickets the filter would not.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable, Sequence

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from helpline.accounts.models import User
from helpline.search.query import Filter, ParsedQuery
from helpline.tickets.models import Ticket
from helpline.tickets.states import ACTIVE

BREACHED = "breached"


def structured_filter(parsed: ParsedQuery, *, user: User, extra: Sequence[Filter] = ()) -> Q:
    """Everything in ``parsed`` but its text, plus ``extra`` filters, as one Q."""
    condition = Q()
    for item in (*parsed.filters, *extra):
        condition &= filter_q(item, user=user)
    if parsed.ticket_numbers:
        condition &= Q(number__in=parsed.ticket_numbers)
    if parsed.emails:
        condition &= Q(requester__email__in=[email.lower() for email in parsed.emails])
    return condition


def filter_q(item: Filter, *, user: User) -> Q:
    if item.field in ("created", "updated"):
        q = _date_q(f"{item.field}_at", item, _user_timezone(user))
    else:
        q = Q(pk__in=[])
        for value in item.values:
            q |= _VALUE_READERS[item.field](value, user)
    return ~q if item.negated else q


def _choice(field: str) -> Callable[[str, User], Q]:
    return lambda value, user: Q(**{field: value})


def _named(path: str) -> Callable[[str, User], Q]:
    """Match a related row by id (all digits) or by name, ignoring case."""

    def read(value: str, user: User) -> Q:
        if value.isascii() and value.isdigit():
            return Q(**{f"{path}_id": int(value)})
        return Q(**{f"{path}__name__iexact": value})

    return read


def _department(value: str, user: User) -> Q:
    if value.isascii() and value.isdigit():
        return Q(department_id=int(value))
    return Q(department__slug__iexact=value) | Q(department__name__iexact=value)


def _category(value: str, user: User) -> Q:
    """A category and everything below it (the tree is at most three levels deep)."""
    operand: int | str = value
    lookup = "name__iexact"
    if value.isascii() and value.isdigit():
        lookup, operand = "id", int(value)
    q = Q()
    for path in ("category", "category__parent", "category__parent__parent"):
        q |= Q(**{f"{path}__{lookup}": operand})
    return q


def _person(field: str) -> Callable[[str, User], Q]:
    def read(value: str, user: User) -> Q:
        if value == "me":
            return Q(**{field: user})
        if value == "none":
            return Q(**{f"{field}__isnull": True})
        if value.isascii() and value.isdigit():
            return Q(**{f"{field}_id": int(value)})
        return Q(**{f"{field}__email": value.lower()})

    return read


def _tag(value: str, user: User) -> Q:
    tagged = Ticket.tags.through.objects.filter(ticket=OuterRef("pk"), tag__name=value.lower())
    return Q(Exists(tagged))


def _is(value: str, user: User) -> Q:
    if value == "open":
        return Q(status__in=[status.value for status in ACTIVE])
    if value == "unassigned":
        return Q(assignee__isnull=True)
    if value == "mine":
        return Q(assignee=user) if user.is_agent else Q(requester=user)
    if value == "breached":
        return (
            Q(first_response_state=BREACHED)
            | Q(next_response_state=BREACHED)
            | Q(resolution_state=BREACHED)
        )
    raise ValueError(f"unknown is: value {value!r}")


def _level(value: str, user: User) -> Q:
    return Q(support_level=int(value))


_VALUE_READERS: dict[str, Callable[[str, User], Q]] = {
    "status": _choice("status"),
    "priority": _choice("priority"),
    "type": _choice("type"),
    "channel": _choice("channel"),
    "level": _level,
    "dept": _department,
    "team": _named("team"),
    "category": _category,
    "assignee": _person("assignee"),
    "requester": _person("requester"),
    "tag": _tag,
    "is": _is,
}


# The filters that name a row: (field, what the message calls it, model path, name columns).
_NAMED_ROWS = {
    "dept": ("department", "directory.Department", ("slug", "name")),
    "team": ("team", "directory.Team", ("name",)),
    "category": ("category", "directory.Category", ("name",)),
}


def unknown_names(items: Sequence[Filter]) -> list[str]:
    """A message for each department, team or category that ``items`` name and no row has:
    such a filter matches nothing, and a typo should not look like an empty queue. One small
    query per kind of name used; none for ids or for the other filters."""
    from django.apps import apps

    wanted: dict[str, list[str]] = {}
    for item in items:
        if item.field in _NAMED_ROWS:
            wanted.setdefault(item.field, []).extend(
                value for value in item.values if not (value.isascii() and value.isdigit())
            )
    messages = []
    for field, values in wanted.items():
        if not values:
            continue
        label, model_path, columns = _NAMED_ROWS[field]
        found = Q()
        for value in values:
            for column in columns:
                found |= Q(**{f"{column}__iexact": value})
        model = apps.get_model(model_path)
        known = {
            name.lower()
            for row in model.objects.filter(found).values_list(*columns)
            for name in row
        }
        messages += [
            f'no {label} is named "{value}"'
            for value in dict.fromkeys(values)
            if value.lower() not in known
        ]
    return messages


def _user_timezone(user: User) -> datetime.tzinfo:
    name = getattr(user, "timezone", "") or ""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _date_q(field: str, item: Filter, tz: datetime.tzinfo) -> Q:
    """Days are the user's local days: created:2026-03-01 is that whole day where they are."""

    def start(day: str, plus: int = 0) -> datetime.datetime:
        date = datetime.date.fromisoformat(day) + datetime.timedelta(days=plus)
        return datetime.datetime.combine(date, datetime.time.min, tzinfo=tz)

    values = item.values
    match item.operator:
        case "gt":
            return Q(**{f"{field}__gte": start(values[0], 1)})
        case "ge":
            return Q(**{f"{field}__gte": start(values[0])})
        case "lt":
            return Q(**{f"{field}__lt": start(values[0])})
        case "le":
            return Q(**{f"{field}__lt": start(values[0], 1)})
        case "range":
            return Q(**{f"{field}__gte": start(values[0]), f"{field}__lt": start(values[1], 1)})
    q = Q(pk__in=[])
    for day in values:
        q |= Q(**{f"{field}__gte": start(day), f"{field}__lt": start(day, 1)})
    return q
