"""Priority from impact × urgency. Pure: the matrix is passed in (the database keeps it)."""

from __future__ import annotations

from collections.abc import Mapping

from helpline.tickets.states import Level, Priority

Matrix = Mapping[tuple[Level, Level], Priority]

# ITIL's usual 3×3: rows are impact, columns urgency.
DEFAULT_MATRIX: dict[tuple[Level, Level], Priority] = {
    (Level.HIGH, Level.HIGH): Priority.CRITICAL,
    (Level.HIGH, Level.MEDIUM): Priority.HIGH,
    (Level.HIGH, Level.LOW): Priority.MEDIUM,
    (Level.MEDIUM, Level.HIGH): Priority.HIGH,
    (Level.MEDIUM, Level.MEDIUM): Priority.MEDIUM,
    (Level.MEDIUM, Level.LOW): Priority.LOW,
    (Level.LOW, Level.HIGH): Priority.MEDIUM,
    (Level.LOW, Level.MEDIUM): Priority.LOW,
    (Level.LOW, Level.LOW): Priority.LOW,
}

# The SLA severity class each priority falls in (Americorp: A urgent, B normal, C non-urgent).
SEVERITY_CLASS: dict[Priority, str] = {
    Priority.CRITICAL: "A",
    Priority.HIGH: "A",
    Priority.MEDIUM: "B",
    Priority.LOW: "C",
}


def derive_priority(
    impact: Level | str, urgency: Level | str, matrix: Matrix | None = None
) -> Priority:
    """The priority for an impact and urgency; cells missing from ``matrix`` use the default."""
    key = (Level(impact), Level(urgency))
    if matrix and key in matrix:
        return Priority(matrix[key])
    return DEFAULT_MATRIX[key]


def severity_class(priority: Priority | str) -> str:
    return SEVERITY_CLASS[Priority(priority)]
