"""Priority from impact × urgency, and the SLA severity class. No database."""

from __future__ import annotations

import itertools

import pytest

from helpline.tickets.priority import DEFAULT_MATRIX, derive_priority, severity_class
from helpline.tickets.states import Level, Priority

H, M, L = Level.HIGH, Level.MEDIUM, Level.LOW

# (impact, urgency, priority), ITIL's usual 3×3, written out independently of DEFAULT_MATRIX.
DEFAULT_CELLS = [
    (H, H, Priority.CRITICAL),
    (H, M, Priority.HIGH),
    (H, L, Priority.MEDIUM),
    (M, H, Priority.HIGH),
    (M, M, Priority.MEDIUM),
    (M, L, Priority.LOW),
    (L, H, Priority.MEDIUM),
    (L, M, Priority.LOW),
    (L, L, Priority.LOW),
]


@pytest.mark.parametrize(("impact", "urgency", "priority"), DEFAULT_CELLS)
def test_the_default_matrix_derives_the_itil_priority(impact, urgency, priority):
    assert derive_priority(impact, urgency) is priority
    assert derive_priority(impact.value, urgency.value) is priority


def test_the_default_matrix_covers_every_cell():
    assert set(DEFAULT_MATRIX) == set(itertools.product(Level, Level))


@pytest.mark.parametrize(("impact", "urgency", "priority"), DEFAULT_CELLS)
def test_an_empty_custom_matrix_falls_back_to_the_default(impact, urgency, priority):
    assert derive_priority(impact, urgency, {}) is priority


def test_a_custom_matrix_overrides_its_cell():
    custom = {(L, L): Priority.CRITICAL}
    assert derive_priority(L, L, custom) is Priority.CRITICAL


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"), [cell for cell in DEFAULT_CELLS if cell[:2] != (L, L)]
)
def test_a_custom_matrix_leaves_the_other_cells_at_the_default(impact, urgency, priority):
    custom = {(L, L): Priority.CRITICAL}
    assert derive_priority(impact, urgency, custom) is priority


def test_a_custom_matrix_may_hold_plain_strings():
    assert derive_priority("high", "high", {(H, H): "low"}) is Priority.LOW  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        (Priority.CRITICAL, "A"),
        (Priority.HIGH, "A"),
        (Priority.MEDIUM, "B"),
        (Priority.LOW, "C"),
        ("critical", "A"),
        ("low", "C"),
    ],
)
def test_each_priority_falls_in_its_severity_class(priority, severity):
    assert severity_class(priority) == severity


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError):
        derive_priority("extreme", "high")


def test_priority_rank_sorts_the_most_urgent_first():
    assert sorted(Priority, key=lambda p: p.rank) == [
        Priority.CRITICAL,
        Priority.HIGH,
        Priority.MEDIUM,
        Priority.LOW,
    ]


ORDER = [Level.LOW, Level.MEDIUM, Level.HIGH]


@pytest.mark.parametrize("fixed", ORDER, ids=str)
def test_more_impact_or_urgency_never_lowers_the_default_priority(fixed):
    by_impact = [derive_priority(level, fixed).rank for level in ORDER]
    by_urgency = [derive_priority(fixed, level).rank for level in ORDER]
    assert by_impact == sorted(by_impact, reverse=True)
    assert by_urgency == sorted(by_urgency, reverse=True)
