"""Rating scales: which ratings exist, which are low, which count as satisfied. Pure.

A five-point survey takes 1 (very dissatisfied) to 5 (very satisfied); a binary survey takes
0 (bad) or 1 (good).
"""

from __future__ import annotations

from enum import StrEnum


class Scale(StrEnum):
    FIVE = "five"
    BINARY = "binary"


SCALE_CHOICES = [(Scale.FIVE.value, "1 to 5"), (Scale.BINARY.value, "Good / bad")]


LABELS: dict[Scale, dict[int, str]] = {
    Scale.FIVE: {
        1: "Very dissatisfied",
        2: "Dissatisfied",
        3: "Neutral",
        4: "Satisfied",
        5: "Very satisfied",
    },
    Scale.BINARY: {1: "Good", 0: "Bad"},
}


def ratings(scale: Scale | str) -> list[int]:
    """The ratings of ``scale``, best first."""
    return sorted(LABELS[Scale(scale)], reverse=True)


def is_valid(scale: Scale | str, rating: object) -> bool:
    return type(rating) is int and rating in LABELS[Scale(scale)]


def label(scale: Scale | str, rating: int) -> str:
    return LABELS[Scale(scale)].get(rating, str(rating))


def is_low(scale: Scale | str, rating: int, threshold: int) -> bool:
    """Low enough to tell the manager: at or below ``threshold`` on five points, bad on two."""
    if Scale(scale) is Scale.BINARY:
        return rating == 0
    return rating <= threshold


def is_satisfied(scale: Scale | str, rating: int) -> bool:
    """A satisfied customer: 4 or 5 on five points, good on two."""
    if Scale(scale) is Scale.BINARY:
        return rating == 1
    return rating >= 4
