"""Walking an intake guide, as pure functions over plain step data (no ORM).

The walk is stateless: the answers so far travel with the form as a *trail*
(``"12:no,13:continue"``), which is read back against the guide's own steps, so a tampered
trail can only name steps of that guide and known answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ANSWERS = ("yes", "no", "continue")
MAX_TRAIL_STEPS = 50
FIELD_LABELS = {"device": "Device", "location": "Location", "error_message": "Error message"}


@dataclass(frozen=True, slots=True)
class StepNode:
    id: int
    kind: str  # "question" or "instruction"
    text: str
    on_yes: int | None = None
    on_no: int | None = None


def first_step(steps: Sequence[StepNode]) -> StepNode | None:
    return steps[0] if steps else None


def next_step(steps: Sequence[StepNode], current: int, answer: str) -> StepNode | None:
    """The step after answering ``answer`` on step ``current``; None when the guide is done
    (time to open a ticket). ``steps`` are in order."""
    by_id = {step.id: step for step in steps}
    step = by_id.get(current)
    if step is None or answer not in ANSWERS:
        return None
    target = step.on_no if step.kind == "question" and answer == "no" else step.on_yes
    if target is not None and target in by_id and target != current:
        return by_id[target]
    position = [s.id for s in steps].index(current)
    return steps[position + 1] if position + 1 < len(steps) else None


def parse_trail(text: str, steps: Sequence[StepNode]) -> list[tuple[StepNode, str]]:
    """The (step, answer) pairs of a trail; unknown steps or answers are dropped."""
    by_id = {step.id: step for step in steps}
    pairs: list[tuple[StepNode, str]] = []
    for part in (text or "").split(",")[:MAX_TRAIL_STEPS]:
        step_id, _, answer = part.strip().partition(":")
        if step_id.isascii() and step_id.isdigit() and answer in ANSWERS:
            step = by_id.get(int(step_id))
            if step is not None:
                pairs.append((step, answer))
    return pairs


def format_trail(pairs: Sequence[tuple[StepNode, str]]) -> str:
    return ",".join(f"{step.id}:{answer}" for step, answer in pairs[-MAX_TRAIL_STEPS:])


def extend_trail(trail: str, step: StepNode, answer: str, steps: Sequence[StepNode]) -> str:
    return format_trail([*parse_trail(trail, steps), (step, answer)])


def missing_fields(required: Sequence[str], values: Mapping[str, str]) -> dict[str, str]:
    """{field: "required"} for each required field left empty."""
    return {name: "required" for name in required if not (values.get(name) or "").strip()}


def intake_block(
    *,
    title: str,
    pairs: Sequence[tuple[StepNode, str]],
    fields: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
) -> str:
    """The structured Markdown block appended to a ticket's description: the checks already
    done and the extra fields collected, so the agent does not ask again."""
    labels = {**FIELD_LABELS, **(labels or {})}
    lines = [f"**{_one_line(title)}**", ""]
    for step, answer in pairs:
        shown = {"yes": "Yes", "no": "No", "continue": "Done"}[answer]
        lines.append(f"- {_one_line(step.text)} — {shown}")
    for name, value in fields.items():
        if value and value.strip():
            lines.append(f"- {_one_line(labels.get(name, name))}: {_one_line(value)}")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:500]
