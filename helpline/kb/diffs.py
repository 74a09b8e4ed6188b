"""Line diffs between two revisions of an article, for the history page. Pure: no ORM."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

LineKind = Literal["same", "added", "removed", "gap"]


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: LineKind
    text: str


def text_diff(old: str, new: str, *, context: int = 3) -> list[DiffLine]:
    """The lines that changed from ``old`` to ``new`` with ``context`` lines around them;
    a ``gap`` line stands for unchanged lines left out. Empty when nothing changed."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    lines: list[DiffLine] = []
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", text) for text in old_lines[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("removed", text) for text in old_lines[i1:i2]]
            if tag in ("replace", "insert"):
                lines += [DiffLine("added", text) for text in new_lines[j1:j2]]
    return lines


def field_changes(old: dict[str, str], new: dict[str, str]) -> dict[str, tuple[str, str]]:
    """{field: (old, new)} for the short fields that differ (title, keywords, ...)."""
    return {key: (old.get(key, ""), new[key]) for key in new if old.get(key, "") != new[key]}
