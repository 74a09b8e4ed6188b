"""What a ticket list is asked for besides the search box: structured filters, a sort and the
columns to show. Shared by the search page, the queue page, saved views and the API, so the
same input means the same thing everywhere. Stdlib only: no Django, no ORM.

Structured filters are a mapping of a few known keys to lists of strings (a JSON object in a
saved view, repeated query parameters in a URL). Each is read by the query language's own
field readers, so ``status=open`` here and ``status:open`` in the search box accept and refuse
exactly the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from helpline.search.query import Filter, QuerySyntaxError, read_filter

# key → query language field; the date keys are handled in pairs below.
FILTER_FIELDS = {
    "status": "status",
    "priority": "priority",
    "department": "dept",
    "assignee": "assignee",
    "tag": "tag",
}
DATE_KEYS = {
    "created": ("created_from", "created_to"),
    "updated": ("updated_from", "updated_to"),
}
FILTER_KEYS = (*FILTER_FIELDS, *(key for pair in DATE_KEYS.values() for key in pair))
MAX_VALUES = 50
MAX_VALUE_LENGTH = 200

SORTS = {
    "created": "Newest first",
    "updated": "Recently updated",
    "priority": "Priority, highest first",
    "due": "Due soonest",
}
DEFAULT_SORT = "created"

COLUMNS = {
    "number": "Number",
    "subject": "Subject",
    "requester": "Requester",
    "priority": "Priority",
    "status": "Status",
    "level": "Level",
    "assignee": "Assignee",
    "department": "Department",
    "due": "Due",
    "created": "Created",
    "updated": "Updated",
}
DEFAULT_COLUMNS = (
    "number",
    "subject",
    "requester",
    "priority",
    "status",
    "level",
    "assignee",
    "updated",
)
# Always shown: a row needs something to click.
REQUIRED_COLUMNS = ("number", "subject")


class CriteriaError(ValueError):
    """Input that cannot be used as a filter, sort or column list; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


type FilterData = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class Criteria:
    """Checked structured filters (as given, for forms and storage) and their Filters."""

    data: FilterData
    filters: tuple[Filter, ...]


def read_criteria(data: Mapping[str, object]) -> Criteria:
    """Check structured filters; raise CriteriaError naming the first bad key or value.

    Values are a string or a list of strings; empty strings are ignored, so an untouched
    form field filters nothing.
    """
    unknown = [key for key in data if key not in FILTER_KEYS]
    if unknown:
        raise CriteriaError(
            str(unknown[0])[:40], f"unknown filter; expected one of {', '.join(FILTER_KEYS)}"
        )
    clean: FilterData = {}
    for key in FILTER_KEYS:
        values = _strings(key, data.get(key))
        if values:
            clean[key] = values
    filters: list[Filter] = []
    for key, field in FILTER_FIELDS.items():
        if key in clean:
            filters.append(_read(key, field, clean[key]))
    for field, (since_key, until_key) in DATE_KEYS.items():
        filters.extend(_date_filter(field, since_key, until_key, clean))
    return Criteria(data=clean, filters=tuple(filters))


def read_sort(value: str | None) -> str:
    if not value:
        return DEFAULT_SORT
    if value not in SORTS:
        raise CriteriaError("sort", f"unknown sort; expected one of {', '.join(SORTS)}")
    return value


def read_columns(values: object) -> tuple[str, ...]:
    """The columns in the order of COLUMNS, with the required ones added; default if none."""
    chosen = _strings("columns", values)
    if not chosen:
        return DEFAULT_COLUMNS
    bad = [value for value in chosen if value not in COLUMNS]
    if bad:
        raise CriteriaError(
            "columns", f'unknown column "{bad[0][:40]}"; expected some of {", ".join(COLUMNS)}'
        )
    wanted = {*chosen, *REQUIRED_COLUMNS}
    return tuple(name for name in COLUMNS if name in wanted)


def _strings(key: str, value: object) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise CriteriaError(key, "must be a string or a list of strings")
    if len(items) > MAX_VALUES:
        raise CriteriaError(key, f"at most {MAX_VALUES} values")
    if any(len(item) > MAX_VALUE_LENGTH for item in items):
        raise CriteriaError(key, f"values are at most {MAX_VALUE_LENGTH} characters")
    # "a,b" in one value means a or b, as in the search box; duplicates are dropped.
    parts = (part.strip() for item in items for part in item.split(","))
    return list(dict.fromkeys(part for part in parts if part))


def _read(key: str, field: str, values: list[str]) -> Filter:
    try:
        return read_filter(field, values)
    except QuerySyntaxError as error:
        raise CriteriaError(key, error.message) from None


def _date_filter(field: str, since_key: str, until_key: str, clean: FilterData) -> list[Filter]:
    since, until = clean.get(since_key), clean.get(until_key)
    for key, values in ((since_key, since), (until_key, until)):
        if values and len(values) > 1:
            raise CriteriaError(key, "one date only")
        if values and not _is_day(values[0]):
            raise CriteriaError(key, f'bad date "{values[0][:40]}": use YYYY-MM-DD')
    if since and until:
        text, key = f"{since[0]}..{until[0]}", since_key
    elif since:
        text, key = f">={since[0]}", since_key
    elif until:
        text, key = f"<={until[0]}", until_key
    else:
        return []
    return [_read(key, field, [text])]


def _is_day(text: str) -> bool:
    return len(text) == 10 and text[4] == text[7] == "-"
