"""The audit log is append-only, and records only what changed."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from helpline import factories
from helpline.audit.models import AppendOnlyError, AuditEvent
from helpline.audit.services import audit_record, diff, jsonable
from helpline.tickets.states import Priority

# --- append-only ---------------------------------------------------------------------------


@pytest.fixture
def event(db):
    department = factories.department(name="Helpdesk")
    return audit_record(actor=None, action="department.create", obj=department)


def test_a_new_event_can_be_written(event):
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_saving_an_existing_event_is_refused(event):
    event.action = "department.delete"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "department.create"


def test_saving_a_reloaded_event_is_refused(event):
    reloaded = AuditEvent.objects.get(pk=event.pk)
    with pytest.raises(AppendOnlyError):
        reloaded.save(update_fields=["note"])


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- audit_record --------------------------------------------------------------------------


def test_an_event_names_the_object_and_the_actor(db):
    admin = factories.admin()
    department = factories.department(name="Network")
    recorded = audit_record(
        actor=admin,
        action="department.update",
        obj=department,
        before={"name": "Net"},
        after={"name": "Network"},
        note="typo",
    )
    assert (recorded.actor, recorded.action, recorded.note) == (admin, "department.update", "typo")
    assert (recorded.object_type, recorded.object_id) == (
        "directory.department",
        str(department.pk),
    )
    assert recorded.ticket is None
    assert recorded.changes == {"name": ["Net", "Network"]}


def test_an_actor_without_a_primary_key_is_recorded_as_nobody(db):
    recorded = audit_record(actor=AnonymousUser(), action="x", obj=factories.department())
    assert recorded.actor is None


# --- diff ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "changes"),
    [
        ({"a": 1, "b": 2}, {"a": 1, "b": 2}, {}),
        ({"a": 1, "b": 2}, {"a": 1, "b": 3}, {"b": [2, 3]}),
        ({}, {"status": "new"}, {"status": [None, "new"]}),
        ({"status": "new"}, {}, {"status": ["new", None]}),
        ({"x": None}, {}, {}),
        ({"p": Priority.HIGH}, {"p": "high"}, {}),
        ({"tags": ["a", "b"]}, {"tags": ["a", "b"]}, {}),
        ({"tags": ["a"]}, {"tags": ["a", "b"]}, {"tags": [["a"], ["a", "b"]]}),
        ({"n": Decimal("1.50")}, {"n": Decimal("1.5")}, {"n": ["1.50", "1.5"]}),
    ],
    ids=[
        "unchanged", "one-changed", "added", "removed", "none-vs-missing", "enum-vs-value",
        "same-list", "list-changed", "decimal-text",
    ],
)  # fmt: skip
def test_diff_lists_only_the_changed_fields(before, after, changes):
    assert diff(before, after) == changes


def test_diff_lists_fields_in_name_order():
    assert list(diff({"b": 1, "a": 1}, {"b": 2, "a": 2})) == ["a", "b"]


def test_diff_compares_related_objects_by_id_and_name(db):
    first, second = factories.department(name="One"), factories.department(name="Two")
    assert diff({"department": first}, {"department": first}) == {}
    assert diff({"department": first}, {"department": second}) == {
        "department": [{"id": first.pk, "name": "One"}, {"id": second.pk, "name": "Two"}]
    }


class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Colour.RED, "red"),
        (datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "2026-03-01T09:30:00+00:00"),
        (date(2026, 3, 1), "2026-03-01"),
        (Decimal("12.30"), "12.30"),
        ((1, 2), [1, 2]),
        ({"b", "a"}, ["a", "b"]),
        ({"k": Colour.RED, 1: [date(2026, 1, 2)]}, {"k": "red", "1": ["2026-01-02"]}),
        ("text", "text"),
        (None, None),
    ],
    ids=["enum", "datetime", "date", "decimal", "tuple", "set", "mapping", "str", "none"],
)
def test_jsonable_makes_values_json_safe(value, expected):
    assert jsonable(value) == expected
