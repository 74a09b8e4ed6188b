"""The structured filters, sorts and columns shared by the search page, views and the API;
ParsedQuery.positive and read_filter. Pure: no database."""

from __future__ import annotations

import pytest

from helpline.search.criteria import (
    DEFAULT_COLUMNS,
    CriteriaError,
    read_columns,
    read_criteria,
    read_sort,
)
from helpline.search.query import Filter, QuerySyntaxError, parse_query, read_filter


def test_positive_keeps_only_the_wanted_terms_and_phrases():
    parsed = parse_query('printer -toner "paper jam" -"out of order" status:open #12')

    assert str(parsed.positive()) == '"paper jam" printer'


@pytest.mark.parametrize(
    ("field", "values", "expected"),
    [
        ("status", ["open", "New"], "status:open,new"),
        ("department", ["net work"], 'dept:"net work"'),
        ("assignee", ["me"], "assignee:me"),
        ("created", [">=2026-01-01"], "created:>=2026-01-01"),
        ("created", ["2026-01-01..2026-01-31"], "created:2026-01-01..2026-01-31"),
    ],
)
def test_read_filter_reads_values_as_the_query_language_does(field, values, expected):
    assert str(read_filter(field, values)) == expected


@pytest.mark.parametrize(
    ("field", "values", "position"),
    [("status", ["open", "opn"], 1), ("colour", ["red"], 0), ("tag", ["  "], 0), ("tag", [], 0)],
)
def test_read_filter_names_the_bad_value(field, values, position):
    with pytest.raises(QuerySyntaxError) as caught:
        read_filter(field, values)
    assert caught.value.position == position


def test_criteria_read_every_filter_into_query_filters():
    criteria = read_criteria(
        {
            "status": ["open,pending"],
            "priority": "high",
            "department": ["network"],
            "assignee": ["none"],
            "tag": ["vpn", "vpn"],
            "created_from": ["2026-03-01"],
            "created_to": ["2026-03-31"],
            "updated_to": [""],
        }
    )

    assert criteria.data["status"] == ["open", "pending"]
    assert criteria.data["tag"] == ["vpn"]
    assert "updated_to" not in criteria.data
    assert [str(f) for f in criteria.filters] == [
        "status:open,pending",
        "priority:high",
        "dept:network",
        "assignee:none",
        "tag:vpn",
        "created:2026-03-01..2026-03-31",
    ]


def test_a_lone_date_bound_is_a_comparison():
    assert read_criteria({"updated_from": "2026-03-01"}).filters == (
        Filter("updated", ("2026-03-01",), "ge"),
    )
    assert read_criteria({"updated_to": "2026-03-01"}).filters == (
        Filter("updated", ("2026-03-01",), "le"),
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"status": "opn"}, "status"),
        ({"status": 3}, "status"),
        ({"status": ["x"] * 51}, "status"),
        ({"created_from": "2026-02-30"}, "created_from"),
        ({"created_from": "today"}, "created_from"),
        ({"created_from": ["2026-01-01", "2026-01-02"]}, "created_from"),
        ({"created_from": "2026-02-01", "created_to": "2026-01-01"}, "created_from"),
    ],
)
def test_bad_criteria_name_their_field(data, field):
    with pytest.raises(CriteriaError) as caught:
        read_criteria(data)
    assert caught.value.field == field


def test_sorts_and_columns_are_checked_and_the_required_columns_kept():
    assert read_sort(None) == "created"
    assert read_sort("due") == "due"
    with pytest.raises(CriteriaError):
        read_sort("random")
    assert read_columns([]) == DEFAULT_COLUMNS
    assert read_columns(["due", "assignee"]) == ("number", "subject", "assignee", "due")
    with pytest.raises(CriteriaError):
        read_columns(["password"])
