"""Refuse regular expressions that can backtrack catastrophically. Pure, stdlib only.

Admins write regexes in automation rules; a rule runs on every ticket, so a pattern such as
``(a+)+$`` would let one rule stall the worker. ``regex_risk`` scans a pattern (already
compiled, so well-formed) and names the risk, or returns "".
"""

from __future__ import annotations

import re

MAX_PATTERN_LENGTH = 300
MAX_WIDE_QUANTIFIERS = 2

_QUANTIFIER = re.compile(r"[*+?]|\{(\d*)(?:(,)(\d*))?\}")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")
_NESTED = (
    "nested quantifier: a repeated group contains a quantifier or an alternation, "
    "which can backtrack catastrophically"
)


def regex_risk(pattern: str) -> str:
    """Why ``pattern`` risks catastrophic backtracking, or "" if it looks safe.

    Scans the pattern (compile it first: this assumes it is well-formed) for backreferences, a
    repeated group containing a variable quantifier or an alternation, and more than
    ``MAX_WIDE_QUANTIFIERS`` unbounded quantifiers.
    """
    if _BACKREFERENCE.search(pattern):
        return "backreferences are not allowed"
    # One frame per open group: does it contain a variable quantifier or an alternation?
    stack: list[bool] = [False]
    wide = 0
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "(":
            stack.append(False)
            i += 1
            continue
        if char == "|":
            stack[-1] = True
            i += 1
            continue
        if char == ")" and len(stack) > 1:
            risky = stack.pop()
            quantifier, i = _quantifier_at(pattern, i + 1)
            if risky and quantifier and quantifier[1] != 1:
                return _NESTED
        else:  # an atom: an escape, a class or a single character
            end = i + 2 if char == "\\" else _class_end(pattern, i) if char == "[" else i + 1
            quantifier, i = _quantifier_at(pattern, end)
            risky = False
        stack[-1] = stack[-1] or risky or _is_variable(quantifier)
        wide += _is_wide(quantifier)
    if wide > MAX_WIDE_QUANTIFIERS:
        return (
            f"more than {MAX_WIDE_QUANTIFIERS} unbounded quantifiers (*, +, {{n,}}); "
            "use bounded ones such as {0,20}"
        )
    return ""


def _class_end(pattern: str, i: int) -> int:
    """The index after the character class that starts at ``pattern[i] == "["``."""
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


Bounds = tuple[int, int | None]  # (min, max); max None = unbounded


def _quantifier_at(pattern: str, i: int) -> tuple[Bounds | None, int]:
    """The quantifier at ``pattern[i]`` and the index after it, or ``(None, i)``."""
    found = _QUANTIFIER.match(pattern, i)
    if not found or found.group() == "{}":
        return None, i
    text = found.group()
    low, comma, high = found.groups()
    bounds: Bounds
    if text == "*":
        bounds = (0, None)
    elif text == "+":
        bounds = (1, None)
    elif text == "?":
        bounds = (0, 1)
    elif not comma:
        bounds = (int(low), int(low))
    else:
        bounds = (int(low or 0), int(high) if high else None)
    end = found.end()
    if end < len(pattern) and pattern[end] in "?+":  # lazy or possessive
        end += 1
    return bounds, end


def _is_variable(quantifier: Bounds | None) -> bool:
    if quantifier is None:
        return False
    low, high = quantifier
    return high is None or (high > 1 and high != low)


def _is_wide(quantifier: Bounds | None) -> bool:
    return quantifier is not None and (quantifier[1] is None or quantifier[1] > 100)
