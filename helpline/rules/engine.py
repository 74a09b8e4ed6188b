"""Automation rules: validate admin-written rule data and evaluate it against a ticket snapshot.

Pure: no Django, no ORM. The caller builds the snapshot (a plain dict), this module says which
rules match and which actions they ask for, and ``helpline.tickets.services`` applies them.

A rule, as admins store it::

    {"id": 7, "name": "VPN to network", "trigger": "created", "match": "any",
     "conditions": [{"field": "text", "op": "contains_any", "value": ["vpn", "latency"]}],
     "actions": [{"type": "set_department", "value": "Network Performance Monitoring"}],
     "stop": false}

``id`` is optional (the rule's name stands in for it); ``enabled`` defaults to true. A rule
with no conditions matches every ticket.

Snapshot. Keys are the field names below; dotted fields may be given flat
(``{"requester.email": ...}``) or nested (``{"requester": {"email": ...}}``). ``text`` and
``requester.domain`` are derived when absent (subject + description + latest message; the part
of the requester's email after "@"). Department, team, help topic and category are compared
by name; the assignee by whatever the caller puts in (agent id or username).

Comparisons. String comparisons ignore case (``equals``, ``in``, ``starts_with``,
``contains``...) except ``regex``, which is compiled as written (use ``(?i)``). A negated
operator is exactly the negation of its positive form, so ``not_contains`` is true for an
empty field.

Regex guard. Python's ``re`` has no timeout, so patterns are checked when the rule is
validated: at most ``MAX_PATTERN_LENGTH`` characters, no backreferences, no repeated group
that itself contains a variable quantifier or an alternation (``(a+)+``, ``(\\w+\\.)*``,
``(a|ab)+``: the shapes behind exponential backtracking), and at most
``MAX_WIDE_QUANTIFIERS`` unbounded quantifiers (``*``, ``+``, ``{n,}``, or a bound above 100).
Polynomial backtracking (``[a-z]+z``, ``.*x.*z``) cannot be ruled out by shape, so matches run
line by line, each line cut at ``REGEX_LINE_LIMIT`` characters and the field at
``REGEX_TEXT_LIMIT``: ``^`` and ``$`` anchor at line ends and a match never spans lines. On
hostile text the worst accepted pattern then costs a second or two, not hours; evaluate rules
in the task worker, not in a request. ``contains_any`` covers the common "any of these words"
need without a regex.

Loop protection. Applying actions changes the ticket, which fires ``updated`` again. The
applying service keeps, per ticket and per chain of triggers, the ids of rules that already
fired, passes them as ``already_fired`` (``evaluation.fired`` is the set to pass next), and
stops the chain after ``MAX_CHAIN_DEPTH`` rounds. A rule therefore fires at most once per
chain and a chain is finite even if two rules keep undoing each other.
"""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypedDict
from urllib.parse import urlsplit

from helpline.rules.regex_guard import MAX_PATTERN_LENGTH, regex_risk
from helpline.tickets.states import Channel, Level, Priority, Status, TicketType

MAX_CHAIN_DEPTH = 5
REGEX_TEXT_LIMIT = 20_000
REGEX_LINE_LIMIT = 500
MAX_LIST_ITEMS = 200
MAX_TEXT_PARAM = 10_000

TRIGGERS = frozenset({"created", "updated", "customer_replied", "time"})
MATCH_MODES = frozenset({"all", "any"})

RuleId = int | str


class Kind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    NUMBER = "number"
    BOOL = "bool"
    TAGS = "tags"
    REF = "ref"  # an id or a name, compared exactly (strings ignoring case)


# fmt: off
FIELDS: Mapping[str, Kind] = MappingProxyType({
    **dict.fromkeys((
        "subject", "description", "latest_message", "text", "department", "team", "help_topic",
        "category", "requester.email", "requester.domain", "requester.name", "organization.name",
    ), Kind.TEXT),
    **dict.fromkeys(("status", "priority", "impact", "urgency", "type", "channel"), Kind.CHOICE),
    **dict.fromkeys((
        "support_level", "hours_since_created", "hours_since_updated",
        "hours_since_customer_reply", "hours_since_agent_reply", "hours_until_due",
    ), Kind.NUMBER),
    **dict.fromkeys(("business_hours", "sla_breached"), Kind.BOOL),
    "tags": Kind.TAGS,
    "assignee": Kind.REF,
})
# fmt: on

# The values a choice field (and the matching set_* action) accepts.
CHOICES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "status": frozenset(Status),
        "priority": frozenset(Priority),
        "impact": frozenset(Level),
        "urgency": frozenset(Level),
        "type": frozenset(TicketType),
        "channel": frozenset(Channel),
    }
)

_ANY_KIND_OPS = frozenset({"is_set", "is_not_set"})
_EQUALITY_OPS = _ANY_KIND_OPS | {"equals", "not_equals", "in", "not_in"}
OPERATORS: Mapping[Kind, frozenset[str]] = MappingProxyType(
    {
        Kind.TEXT: _EQUALITY_OPS
        | {"contains", "not_contains", "starts_with", "regex", "contains_any"},
        Kind.CHOICE: _EQUALITY_OPS,
        Kind.NUMBER: _EQUALITY_OPS | {"gt", "lt", "gte", "lte"},
        Kind.BOOL: _ANY_KIND_OPS | {"equals", "not_equals"},
        Kind.TAGS: _ANY_KIND_OPS | {"has_tag", "contains_any"},
        Kind.REF: _EQUALITY_OPS,
    }
)
ALL_OPERATORS = frozenset().union(*OPERATORS.values())

ASSIGN_STRATEGIES = frozenset({"load_balanced", "round_robin", "agent"})
NOTIFY_ROLES = frozenset(
    {"requester", "assignee", "team_lead", "department_manager", "department_agents", "admins"}
)
WEBHOOK_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
SUPPORT_LEVELS = frozenset({1, 2, 3})


class Problem(TypedDict):
    path: str
    message: str


class RuleError(ValueError):
    """The rule data is invalid; ``problems`` lists every problem found, with its path."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p['path']}: {p['message']}" for p in self.problems))


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None
    # Precompiled for regex and contains_any; not part of equality.
    pattern: re.Pattern[str] | None = dataclasses.field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        if self.op in _ANY_KIND_OPS:
            return f"{self.field} {self.op}"
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return f"{self.field} {self.op} {value!r}"


@dataclass(frozen=True)
class Action:
    type: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Rule:
    id: RuleId
    name: str
    trigger: str
    match: str
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    stop: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class ConditionResult:
    index: int
    condition: Condition
    actual: Any
    matched: bool

    @property
    def explanation(self) -> str:
        return f"conditions[{self.index}] {self.condition.describe()}: {str(self.matched).lower()}"


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    matched: bool
    conditions: tuple[ConditionResult, ...] = ()
    skipped: str = ""  # why the rule was not evaluated: "disabled", "already fired"

    def explain(self) -> list[str]:
        if self.skipped:
            return [f"rule {self.rule.name!r}: skipped ({self.skipped})"]
        verdict = "matched" if self.matched else "did not match"
        lines = [f"rule {self.rule.name!r} (match {self.rule.match}): {verdict}"]
        lines += [f"  {c.explanation}" for c in self.conditions]
        return lines


@dataclass(frozen=True)
class Evaluation:
    """What ``evaluate`` found, in rule order. Rules after a stop are not listed."""

    trigger: str
    results: tuple[RuleResult, ...]
    actions: tuple[Action, ...]  # of the matched rules, in order, without "stop"
    fired: frozenset[RuleId]  # already_fired plus the rules that matched now
    stopped_by: str = ""  # name of the rule that ended evaluation

    @property
    def matched(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.matched)

    def explain(self) -> list[str]:
        lines = [line for result in self.results for line in result.explain()]
        if self.stopped_by:
            lines.append(f"stopped by rule {self.stopped_by!r}")
        return lines


# ---------------------------------------------------------------------------------------------
# Validation


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.items.append({"path": path, "message": message})


def validate_rule(data: Any) -> Rule:
    """Check admin-written rule data and return a ``Rule``; raise ``RuleError`` listing every
    problem with its path (``conditions[2].op: unknown operator "matches"``)."""
    problems = _Problems()
    if not isinstance(data, Mapping):
        raise RuleError([{"path": "", "message": "a rule must be an object"}])
    _unknown_keys(data, _RULE_KEYS, "", problems)

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add("name", "required, a non-empty string")
        name = ""
    rule_id = data.get("id", name)
    if isinstance(rule_id, bool) or not isinstance(rule_id, int | str):
        problems.add("id", "must be an integer or a string")
    trigger = data.get("trigger")
    if trigger not in TRIGGERS:
        problems.add("trigger", f"must be one of {_one_of(TRIGGERS)}, not {trigger!r}")
    match = data.get("match", "all")
    if match not in MATCH_MODES:
        problems.add("match", f'must be "all" or "any", not {match!r}')
    for key in ("stop", "enabled"):
        if key in data and not isinstance(data[key], bool):
            problems.add(key, "must be true or false")
    stop = data.get("stop", False) is True

    conditions = tuple(
        condition
        for index, raw in enumerate(_list_at(data, "conditions", problems))
        if (condition := _validate_condition(raw, f"conditions[{index}]", problems))
    )
    raw_actions = _list_at(data, "actions", problems)
    if isinstance(data.get("actions", []), list) and not raw_actions and not stop:
        problems.add("actions", "must not be empty unless the rule stops processing")
    actions = tuple(
        action
        for index, raw in enumerate(raw_actions)
        if (action := _validate_action(raw, f"actions[{index}]", problems))
    )
    if problems.items:
        raise RuleError(problems.items)
    return Rule(
        id=rule_id,
        name=name,
        trigger=str(trigger),
        match=str(match),
        conditions=conditions,
        actions=actions,
        stop=stop,
        enabled=data.get("enabled", True) is True,
    )


_RULE_KEYS = frozenset(
    {"id", "name", "description", "trigger", "match", "conditions", "actions", "stop", "enabled"}
)


def _unknown_keys(data: Mapping[str, Any], allowed: Iterable[str], path: str, p: _Problems) -> None:
    prefix = f"{path}." if path else ""
    for key in data:
        if key not in allowed:
            p.add(f"{prefix}{key}", "unknown key")


def _list_at(data: Mapping[str, Any], key: str, p: _Problems) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        p.add(key, "must be a list")
        return []
    if len(value) > MAX_LIST_ITEMS:
        p.add(key, f"at most {MAX_LIST_ITEMS} items")
        return []
    return value


def _one_of(values: Iterable[Any]) -> str:
    return ", ".join(f'"{v}"' for v in sorted(values))


def _validate_condition(raw: Any, path: str, p: _Problems) -> Condition | None:
    if not isinstance(raw, Mapping):
        p.add(path, "a condition must be an object")
        return None
    _unknown_keys(raw, ("field", "op", "value"), path, p)
    name, op, value = raw.get("field"), raw.get("op"), raw.get("value")
    kind = FIELDS.get(name) if isinstance(name, str) else None
    if kind is None:
        p.add(f"{path}.field", f"unknown field {name!r}")
    if op not in ALL_OPERATORS:
        p.add(f"{path}.op", f'unknown operator "{op}"' if isinstance(op, str) else "required")
        return None
    if kind is None:
        return None
    if op not in OPERATORS[kind]:
        p.add(f"{path}.op", f'operator "{op}" does not apply to {kind} field "{name}"')
        return None
    before = len(p.items)
    pattern = _check_value(str(name), kind, str(op), value, f"{path}.value", p)
    if len(p.items) > before:
        return None
    if op in ("in", "not_in", "contains_any"):
        value = tuple(value or ())
    return Condition(field=str(name), op=str(op), value=value, pattern=pattern)


def _check_value(
    name: str, kind: Kind, op: str, value: Any, path: str, p: _Problems
) -> re.Pattern[str] | None:
    """Record problems with a condition's value; return the compiled pattern if it has one."""
    if op in _ANY_KIND_OPS:
        if value is not None:
            p.add(path, f'"{op}" takes no value')
    elif op == "regex":
        return _compile_guarded(value, path, p)
    elif op == "contains_any":
        words = _string_list(value, path, p)
        if words:
            return _word_pattern(words)
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value or len(value) > MAX_LIST_ITEMS:
            p.add(path, f"must be a non-empty list of at most {MAX_LIST_ITEMS} values")
        else:
            for index, item in enumerate(value):
                _check_scalar(name, kind, item, f"{path}[{index}]", p)
    elif op in ("contains", "not_contains", "starts_with", "has_tag"):
        if not isinstance(value, str) or not value:
            p.add(path, "must be a non-empty string")
    else:  # equals, not_equals, gt, lt, gte, lte
        _check_scalar(name, kind, value, path, p)
    return None


def _check_scalar(name: str, kind: Kind, value: Any, path: str, p: _Problems) -> None:
    if kind is Kind.NUMBER:
        if not _is_number(value):
            p.add(path, "must be a number")
    elif kind is Kind.BOOL:
        if not isinstance(value, bool):
            p.add(path, "must be true or false")
    elif kind is Kind.CHOICE:
        if value not in CHOICES[name]:
            p.add(path, f"must be one of {_one_of(CHOICES[name])}, not {value!r}")
    elif kind is Kind.REF:
        _check_ref(value, path, p)
    elif not isinstance(value, str):
        p.add(path, "must be a string")


def _check_ref(value: Any, path: str, p: _Problems) -> None:
    if isinstance(value, bool) or not (
        (isinstance(value, int) and value > 0) or (isinstance(value, str) and value.strip())
    ):
        p.add(path, "must be a positive id or a non-empty name")


def _string_list(value: Any, path: str, p: _Problems) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or len(value) > MAX_LIST_ITEMS
        or not all(isinstance(item, str) and item.strip() for item in value)
    ):
        p.add(path, f"must be a non-empty list of at most {MAX_LIST_ITEMS} non-empty strings")
        return []
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _word_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Any of ``words`` as a whole word or phrase: "vpn" matches "VPN down", not "vpnx"."""
    alternatives = sorted((r"\s+".join(map(re.escape, w.split())) for w in words), key=len)
    return re.compile(rf"(?<!\w)(?:{'|'.join(reversed(alternatives))})(?!\w)", re.IGNORECASE)


# --- regex guard (see regex_guard.py) -------------------------------------------------------


def _compile_guarded(value: Any, path: str, p: _Problems) -> re.Pattern[str] | None:
    if not isinstance(value, str) or not value:
        p.add(path, "must be a non-empty regular expression")
        return None
    if len(value) > MAX_PATTERN_LENGTH:
        p.add(path, f"regular expression longer than {MAX_PATTERN_LENGTH} characters")
        return None
    try:
        compiled = re.compile(value)
    except re.error as exc:
        p.add(path, f"invalid regular expression: {exc}")
        return None
    problem = regex_risk(value)
    if problem:
        p.add(path, problem)
        return None
    return compiled


# --- actions ----------------------------------------------------------------------------------

Check = Callable[[Any, str, _Problems], object]
ActionValidator = Callable[[Mapping[str, Any], str, _Problems], None]


def _params(**checks: Check) -> ActionValidator:
    """A validator for an action taking exactly these parameters, all required."""

    def validate(params: Mapping[str, Any], path: str, p: _Problems) -> None:
        _unknown_keys(params, checks, path, p)
        for key, check in checks.items():
            check(params.get(key), f"{path}.{key}", p)

    return validate


def _text(value: Any, path: str, p: _Problems) -> None:
    if not isinstance(value, str) or not value.strip():
        p.add(path, "required, a non-empty string")
    elif len(value) > MAX_TEXT_PARAM:
        p.add(path, f"at most {MAX_TEXT_PARAM} characters")


def _choice(name: str) -> Check:
    def check(value: Any, path: str, p: _Problems) -> None:
        if value not in CHOICES[name]:
            p.add(path, f"must be one of {_one_of(CHOICES[name])}, not {value!r}")

    return check


def _validate_assign(params: Mapping[str, Any], path: str, p: _Problems) -> None:
    _unknown_keys(params, ("strategy", "agent"), path, p)
    strategy = params.get("strategy")
    if strategy not in ASSIGN_STRATEGIES:
        p.add(f"{path}.strategy", f"must be one of {_one_of(ASSIGN_STRATEGIES)}, not {strategy!r}")
    elif strategy == "agent":
        _check_ref(params.get("agent"), f"{path}.agent", p)
    elif "agent" in params:
        p.add(f"{path}.agent", 'only with strategy "agent"')


def _validate_escalate(params: Mapping[str, Any], path: str, p: _Problems) -> None:
    _unknown_keys(params, ("to_level", "department", "note"), path, p)
    if "to_level" not in params and "department" not in params:
        p.add(path, 'needs "to_level" or "department"')
    if "to_level" in params and params["to_level"] not in SUPPORT_LEVELS:
        p.add(f"{path}.to_level", "must be 1, 2 or 3")
    if "department" in params:
        _check_ref(params["department"], f"{path}.department", p)
    _text(params.get("note"), f"{path}.note", p)


def _validate_add_note(params: Mapping[str, Any], path: str, p: _Problems) -> None:
    _unknown_keys(params, ("body",), path, p)
    _text(params.get("body"), f"{path}.body", p)


def _validate_reply_template(params: Mapping[str, Any], path: str, p: _Problems) -> None:
    _unknown_keys(params, ("template",), path, p)
    _text(params.get("template"), f"{path}.template", p)


def _validate_notify(params: Mapping[str, Any], path: str, p: _Problems) -> None:
    _unknown_keys(params, ("users", "team", "role", "message"), path, p)
    if not any(key in params for key in ("users", "team", "role")):
        p.add(path, 'needs "users", "team" or "role"')
    if "users" in params:
        users = params["users"]
        if not isinstance(users, list) or not users or len(users) > MAX_LIST_ITEMS:
            p.add(f"{path}.users", "must be a non-empty list of user ids or names")
        else:
            for index, user in enumerate(users):
                _check_ref(user, f"{path}.users[{index}]", p)
    if "team" in params:
        _check_ref(params["team"], f"{path}.team", p)
    if "role" in params and params["role"] not in NOTIFY_ROLES:
        p.add(f"{path}.role", f"must be one of {_one_of(NOTIFY_ROLES)}")
    if "message" in params:
        _text(params["message"], f"{path}.message", p)


def _validate_webhook(params: Mapping[str, Any], path: str, p: _Problems) -> None:
    _unknown_keys(params, ("url", "method", "payload"), path, p)
    url = params.get("url")
    if not isinstance(url, str) or not _is_http_url(url):
        p.add(f"{path}.url", "must be an http:// or https:// URL with a host")
    method = params.get("method", "POST")
    if method not in WEBHOOK_METHODS:
        p.add(f"{path}.method", f"must be one of {_one_of(WEBHOOK_METHODS)}")
    if "payload" in params:
        payload = params["payload"]
        if not isinstance(payload, str) or len(payload) > MAX_TEXT_PARAM:
            p.add(f"{path}.payload", f"must be a template string of at most {MAX_TEXT_PARAM} chars")


def _is_http_url(url: str) -> bool:
    if len(url) > 2000 or any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a malformed port or IPv6 literal
        return False


_ACTION_VALIDATORS: Mapping[str, ActionValidator] = MappingProxyType(
    {
        "set_department": _params(value=_check_ref),
        "set_help_topic": _params(value=_check_ref),
        "set_type": _params(value=_choice("type")),
        "set_category": _params(value=_check_ref),
        "set_priority": _params(value=_choice("priority")),
        "set_impact": _params(value=_choice("impact")),
        "set_urgency": _params(value=_choice("urgency")),
        "add_tags": _params(tags=_string_list),
        "remove_tags": _params(tags=_string_list),
        "set_team": _params(value=_check_ref),
        "assign": _validate_assign,
        "escalate": _validate_escalate,
        "add_note": _params(body=_text),
        "reply_template": _params(template=_text),
        "notify": _validate_notify,
        "webhook": _validate_webhook,
        "stop": _params(),
    }
)
ACTION_TYPES = frozenset(_ACTION_VALIDATORS)


def _validate_action(raw: Any, path: str, p: _Problems) -> Action | None:
    if not isinstance(raw, Mapping):
        p.add(path, "an action must be an object")
        return None
    kind = raw.get("type")
    validator = _ACTION_VALIDATORS.get(kind) if isinstance(kind, str) else None
    if validator is None:
        p.add(f"{path}.type", f'unknown action "{kind}"' if isinstance(kind, str) else "required")
        return None
    params = {key: value for key, value in raw.items() if key != "type"}
    before = len(p.items)
    validator(params, path, p)
    if len(p.items) > before:
        return None
    if kind == "webhook":
        params.setdefault("method", "POST")
    return Action(type=str(kind), params=MappingProxyType(params))


# ---------------------------------------------------------------------------------------------
# Evaluation


def evaluate(
    rules: Iterable[Rule],
    snapshot: Mapping[str, Any],
    trigger: str,
    *,
    already_fired: frozenset[RuleId] = frozenset(),
) -> Evaluation:
    """Evaluate ``rules`` for ``trigger`` in order, against ``snapshot``.

    Rules for other triggers are ignored; disabled rules and rules in ``already_fired`` are
    listed as skipped. A matching rule with ``stop`` (or a ``stop`` action, which also drops
    the actions after it) ends evaluation.
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    results: list[RuleResult] = []
    actions: list[Action] = []
    fired = set(already_fired)
    for rule in rules:
        if rule.trigger != trigger:
            continue
        if not rule.enabled or rule.id in already_fired:
            skipped = "disabled" if not rule.enabled else "already fired"
            results.append(RuleResult(rule=rule, matched=False, skipped=skipped))
            continue
        result = evaluate_rule(rule, snapshot)
        results.append(result)
        if not result.matched:
            continue
        fired.add(rule.id)
        stop = rule.stop
        for action in rule.actions:
            if action.type == "stop":
                stop = True
                break
            actions.append(action)
        if stop:
            return Evaluation(trigger, tuple(results), tuple(actions), frozenset(fired), rule.name)
    return Evaluation(trigger, tuple(results), tuple(actions), frozenset(fired))


def evaluate_rule(rule: Rule, snapshot: Mapping[str, Any]) -> RuleResult:
    """Every condition of ``rule`` against ``snapshot`` (no short-circuit, for the dry run)."""
    checked = tuple(
        ConditionResult(index, condition, actual, _test(condition, actual))
        for index, condition in enumerate(rule.conditions)
        for actual in (field_value(snapshot, condition.field),)
    )
    outcomes = [c.matched for c in checked]
    matched = not outcomes or (all(outcomes) if rule.match == "all" else any(outcomes))
    return RuleResult(rule=rule, matched=matched, conditions=checked)


def field_value(snapshot: Mapping[str, Any], name: str) -> Any:
    """The value of field ``name`` in ``snapshot`` (None when missing), deriving ``text`` and
    ``requester.domain`` when the caller did not supply them."""
    value = _lookup(snapshot, name)
    if value is not None:
        return value
    if name == "text":
        parts = (_lookup(snapshot, key) for key in ("subject", "description", "latest_message"))
        return "\n".join(part for part in parts if isinstance(part, str) and part) or None
    if name == "requester.domain":
        email = _lookup(snapshot, "requester.email")
        if isinstance(email, str) and "@" in email:
            return email.rpartition("@")[2].lower()
    return None


def _lookup(snapshot: Mapping[str, Any], name: str) -> Any:
    if name in snapshot:
        return snapshot[name]
    node: Any = snapshot
    for part in name.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _test(condition: Condition, actual: Any) -> bool:
    op, expected = condition.op, condition.value
    if op.startswith("not_"):
        return not _POSITIVE[op[4:]](condition, actual, expected)
    if op == "is_not_set":
        return not _is_set(actual)
    return _POSITIVE[op](condition, actual, expected)


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _same(actual: Any, expected: Any) -> bool:
    if _is_number(actual) and _is_number(expected):
        return bool(actual == expected)
    if type(actual) is not type(expected) and not (
        isinstance(actual, str) and isinstance(expected, str)
    ):
        return False
    return bool(_fold(actual) == _fold(expected))


def _is_set(actual: Any) -> bool:
    if isinstance(actual, str):
        return bool(actual.strip())
    if isinstance(actual, list | tuple | set | frozenset | dict):
        return bool(actual)
    return actual is not None


def _compare(relation: Callable[[Any, Any], bool]) -> Callable[[Condition, Any, Any], bool]:
    def compare(_: Condition, actual: Any, expected: Any) -> bool:
        return _is_number(actual) and _is_number(expected) and bool(relation(actual, expected))

    return compare


def _contains(_: Condition, actual: Any, expected: Any) -> bool:
    return isinstance(actual, str) and expected.casefold() in actual.casefold()


def _starts_with(_: Condition, actual: Any, expected: Any) -> bool:
    return isinstance(actual, str) and actual.casefold().startswith(expected.casefold())


def _regex(condition: Condition, actual: Any, _: Any) -> bool:
    if not isinstance(actual, str) or condition.pattern is None:
        return False
    lines = actual[:REGEX_TEXT_LIMIT].splitlines() or [""]
    return any(condition.pattern.search(line[:REGEX_LINE_LIMIT]) for line in lines)


def _contains_any(condition: Condition, actual: Any, expected: Any) -> bool:
    if isinstance(actual, list | tuple | set | frozenset):
        tags = {_fold(tag) for tag in actual}
        return any(word.casefold() in tags for word in expected)
    if not isinstance(actual, str) or condition.pattern is None:
        return False
    return condition.pattern.search(actual) is not None


def _has_tag(_: Condition, actual: Any, expected: Any) -> bool:
    if not isinstance(actual, list | tuple | set | frozenset):
        return False
    return any(_same(tag, expected) for tag in actual)


_POSITIVE: Mapping[str, Callable[[Condition, Any, Any], bool]] = MappingProxyType(
    {
        "equals": lambda _, actual, expected: _same(actual, expected),
        "in": lambda _, actual, expected: any(_same(actual, item) for item in expected),
        "contains": _contains,
        "starts_with": _starts_with,
        "regex": _regex,
        "contains_any": _contains_any,
        "has_tag": _has_tag,
        "is_set": lambda _, actual, __: _is_set(actual),
        "gt": _compare(operator.gt),
        "lt": _compare(operator.lt),
        "gte": _compare(operator.ge),
        "lte": _compare(operator.le),
    }
)
