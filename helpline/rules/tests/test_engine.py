from typing import Any

import pytest

from helpline.rules.engine import (
    MAX_CHAIN_DEPTH,
    REGEX_LINE_LIMIT,
    REGEX_TEXT_LIMIT,
    Action,
    Rule,
    RuleError,
    evaluate,
    field_value,
    regex_risk,
    validate_rule,
)


@pytest.fixture(autouse=True)
def _test_settings() -> None:
    """A pure module: nothing to configure (replaces helpline/conftest.py's Django fixture, so
    these tests also run with ``-p no:django``)."""


TAG = {"type": "add_tags", "tags": ["matched"]}


def rule(*conditions: dict[str, Any], **overrides: Any) -> Rule:
    data: dict[str, Any] = {
        "name": "test rule",
        "trigger": "created",
        "match": "all",
        "conditions": list(conditions),
        "actions": [TAG],
    }
    data.update(overrides)
    return validate_rule(data)


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    data = {"field": field, "op": op}
    return data if value is None else {**data, "value": value}


def problems_of(data: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(RuleError) as caught:
        validate_rule(data)
    return [dict(problem) for problem in caught.value.problems]


SNAPSHOT: dict[str, Any] = {
    "subject": "VPN down since this morning",
    "description": "Packet loss on the Berlin link.",
    "status": "new",
    "priority": "high",
    "impact": "medium",
    "urgency": "high",
    "type": "incident",
    "channel": "email",
    "department": "Service Desk",
    "team": None,
    "assignee": None,
    "support_level": 1,
    "category": "network/vpn",
    "tags": ["VIP", "remote"],
    "requester": {"email": "ana@Example.org", "name": "Ana"},
    "organization.name": "Example Corp",
    "business_hours": True,
    "hours_since_created": 2.5,
}


# (field, op, value, expected)
OPERATOR_CASES = [
    ("status", "equals", "new", True),
    ("status", "equals", "open", False),
    ("department", "equals", "service desk", True),  # ignores case
    ("support_level", "equals", 1, True),
    ("support_level", "equals", 2, False),
    ("business_hours", "equals", True, True),
    ("business_hours", "equals", False, False),
    ("status", "not_equals", "open", True),
    ("status", "not_equals", "new", False),
    ("subject", "contains", "vpn", True),
    ("subject", "contains", "printer", False),
    ("team", "contains", "x", False),  # an empty field contains nothing
    ("subject", "not_contains", "printer", True),
    ("subject", "not_contains", "DOWN", False),
    ("team", "not_contains", "x", True),
    ("category", "starts_with", "Network/", True),
    ("category", "starts_with", "vpn", False),
    ("subject", "regex", r"^VPN\s+down", True),
    ("subject", "regex", r"^down", False),
    ("subject", "regex", r"(?i)^vpn", True),
    ("priority", "in", ["critical", "high"], True),
    ("priority", "in", ["medium", "low"], False),
    ("support_level", "in", [1, 2], True),
    ("priority", "not_in", ["medium", "low"], True),
    ("priority", "not_in", ["critical", "high"], False),
    ("hours_since_created", "gt", 2, True),
    ("hours_since_created", "gt", 2.5, False),
    ("hours_since_created", "lt", 3, True),
    ("hours_since_created", "lt", 2.5, False),
    ("hours_since_created", "gte", 2.5, True),
    ("hours_since_created", "gte", 3, False),
    ("hours_since_created", "lte", 2.5, True),
    ("hours_since_created", "lte", 2, False),
    ("hours_since_updated", "gt", 0, False),  # missing numbers compare false
    ("department", "is_set", None, True),
    ("assignee", "is_set", None, False),
    ("assignee", "is_not_set", None, True),
    ("department", "is_not_set", None, False),
    ("tags", "is_set", None, True),
    ("text", "contains_any", ["vpn", "latency"], True),
    ("text", "contains_any", ["packet loss"], True),
    ("text", "contains_any", ["vpnx", "latency"], False),
    ("text", "contains_any", ["down since"], True),
    ("tags", "contains_any", ["vip", "urgent"], True),
    ("tags", "contains_any", ["urgent"], False),
    ("tags", "has_tag", "vip", True),
    ("tags", "has_tag", "onsite", False),
    ("requester.email", "equals", "ana@example.org", True),
    ("requester.domain", "equals", "example.org", True),
    ("requester.domain", "in", ["example.com"], False),
    ("organization.name", "equals", "Example Corp", True),
]


@pytest.mark.parametrize(("field", "op", "value", "expected"), OPERATOR_CASES)
def test_each_operator_decides_a_condition(field: str, op: str, value: Any, expected: bool) -> None:
    evaluation = evaluate([rule(cond(field, op, value))], SNAPSHOT, "created")

    assert bool(evaluation.matched) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VPN down", True),
        ("the vpn, again", True),
        ("vpnx is a product name", False),
        ("openvpn client", False),
        ("", False),
    ],
)
def test_contains_any_matches_whole_words_only(text: str, expected: bool) -> None:
    evaluation = evaluate([rule(cond("text", "contains_any", ["vpn"]))], {"text": text}, "created")

    assert bool(evaluation.matched) is expected


@pytest.mark.parametrize(
    ("match", "conditions", "expected"),
    [
        ("all", [cond("status", "equals", "new"), cond("priority", "equals", "high")], True),
        ("all", [cond("status", "equals", "new"), cond("priority", "equals", "low")], False),
        ("any", [cond("status", "equals", "open"), cond("priority", "equals", "high")], True),
        ("any", [cond("status", "equals", "open"), cond("priority", "equals", "low")], False),
        ("all", [], True),
        ("any", [], True),
    ],
)
def test_match_all_needs_every_condition_and_any_needs_one(
    match: str, conditions: list[dict[str, Any]], expected: bool
) -> None:
    evaluation = evaluate([rule(*conditions, match=match)], SNAPSHOT, "created")

    assert bool(evaluation.matched) is expected


def test_it_returns_matched_rules_and_their_actions_in_rule_order() -> None:
    first = rule(name="first", actions=[{"type": "set_priority", "value": "low"}])
    skipped = rule(cond("status", "equals", "closed"), name="no match")
    second = rule(name="second", actions=[TAG, {"type": "add_note", "body": "hi"}])

    evaluation = evaluate([first, skipped, second], SNAPSHOT, "created")

    assert [r.rule.name for r in evaluation.matched] == ["first", "second"]
    assert [a.type for a in evaluation.actions] == ["set_priority", "add_tags", "add_note"]


def test_it_ignores_rules_for_other_triggers() -> None:
    evaluation = evaluate([rule(trigger="time")], SNAPSHOT, "created")

    assert evaluation.results == ()


def test_a_matching_rule_with_stop_ends_evaluation() -> None:
    stopper = rule(name="stopper", stop=True)
    later = rule(name="later")

    evaluation = evaluate([stopper, later], SNAPSHOT, "created")

    assert [r.rule.name for r in evaluation.results] == ["stopper"]
    assert evaluation.stopped_by == "stopper"


def test_a_stop_action_ends_evaluation_and_drops_the_actions_after_it() -> None:
    stopper = rule(actions=[TAG, {"type": "stop"}, {"type": "add_note", "body": "never"}])
    later = rule(name="later")

    evaluation = evaluate([stopper, later], SNAPSHOT, "created")

    assert [a.type for a in evaluation.actions] == ["add_tags"]
    assert len(evaluation.results) == 1


def test_a_stop_rule_that_does_not_match_does_not_stop() -> None:
    stopper = rule(cond("status", "equals", "closed"), name="stopper", stop=True)

    evaluation = evaluate([stopper, rule(name="later")], SNAPSHOT, "created")

    assert [r.rule.name for r in evaluation.matched] == ["later"]
    assert evaluation.stopped_by == ""


def test_it_skips_rules_that_already_fired_in_the_chain() -> None:
    once = rule(id=7, name="once")
    other = rule(id=8, name="other")

    evaluation = evaluate([once, other], SNAPSHOT, "created", already_fired=frozenset({7}))

    assert [r.rule.name for r in evaluation.matched] == ["other"]
    assert evaluation.results[0].skipped == "already fired"
    assert evaluation.fired == frozenset({7, 8})


def test_a_chain_of_rules_that_undo_each_other_ends() -> None:
    to_low = rule(cond("priority", "equals", "high"), id=1, trigger="updated",
                  actions=[{"type": "set_priority", "value": "low"}])  # fmt: skip
    to_high = rule(cond("priority", "equals", "low"), id=2, trigger="updated",
                   actions=[{"type": "set_priority", "value": "high"}])  # fmt: skip
    ticket, fired, rounds = dict(SNAPSHOT), frozenset[int | str](), 0

    while rounds < MAX_CHAIN_DEPTH:
        evaluation = evaluate([to_low, to_high], ticket, "updated", already_fired=fired)
        if not evaluation.actions:
            break
        for action in evaluation.actions:
            ticket["priority"] = action.params["value"]
        fired, rounds = evaluation.fired, rounds + 1

    assert rounds == 2
    assert ticket["priority"] == "high"


def test_disabled_rules_are_skipped() -> None:
    evaluation = evaluate([rule(enabled=False)], SNAPSHOT, "created")

    assert evaluation.matched == ()
    assert evaluation.results[0].skipped == "disabled"


def test_the_rule_name_stands_in_for_a_missing_id() -> None:
    assert rule(name="named").id == "named"


def test_evaluate_refuses_an_unknown_trigger() -> None:
    with pytest.raises(ValueError, match="unknown trigger"):
        evaluate([], SNAPSHOT, "deleted")


def test_the_dry_run_explains_every_condition() -> None:
    checked = rule(
        cond("subject", "contains", "vpn"),
        cond("priority", "in", ["low"]),
        cond("assignee", "is_set"),
        name="VPN",
        match="any",
    )

    evaluation = evaluate([checked], SNAPSHOT, "created")

    assert evaluation.explain() == [
        "rule 'VPN' (match any): matched",
        "  conditions[0] subject contains 'vpn': true",
        "  conditions[1] priority in ['low']: false",
        "  conditions[2] assignee is_set: false",
    ]
    assert evaluation.results[0].conditions[0].actual == SNAPSHOT["subject"]


def test_the_dry_run_names_the_rule_that_stopped() -> None:
    evaluation = evaluate([rule(name="halt", stop=True)], SNAPSHOT, "created")

    assert evaluation.explain()[-1] == "stopped by rule 'halt'"


@pytest.mark.parametrize(
    ("snapshot", "field", "expected"),
    [
        ({"subject": "a", "description": "b", "latest_message": "c"}, "text", "a\nb\nc"),
        ({"subject": "a", "text": "given"}, "text", "given"),
        ({}, "text", None),
        ({"requester": {"email": "x@Mail.Example.com"}}, "requester.domain", "mail.example.com"),
        ({"requester.email": "x@example.com"}, "requester.domain", "example.com"),
        ({"requester": {"email": "x@a.org"}, "requester.domain": "b.org"}, "requester.domain",
         "b.org"),
        ({"organization": {"name": "Acme"}}, "organization.name", "Acme"),
        ({"requester": "not a mapping"}, "requester.email", None),
    ],
)  # fmt: skip
def test_field_value_reads_flat_nested_and_derived_fields(
    snapshot: dict[str, Any], field: str, expected: Any
) -> None:
    assert field_value(snapshot, field) == expected


# --- validation -------------------------------------------------------------------------------

VALID: dict[str, Any] = {
    "name": "valid",
    "trigger": "created",
    "match": "all",
    "conditions": [cond("subject", "contains", "vpn")],
    "actions": [TAG],
}


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"name": ""}, "name", "required, a non-empty string"),
        ({"trigger": "deleted"}, "trigger", "must be one of"),
        ({"match": "most"}, "match", 'must be "all" or "any"'),
        ({"stop": "yes"}, "stop", "must be true or false"),
        ({"conditons": []}, "conditons", "unknown key"),
        ({"conditions": "subject"}, "conditions", "must be a list"),
        ({"actions": []}, "actions", "must not be empty"),
        ({"conditions": [cond("subject", "matches", "x")]}, "conditions[0].op",
         'unknown operator "matches"'),
        ({"conditions": [cond("colour", "equals", "x")]}, "conditions[0].field",
         "unknown field 'colour'"),
        ({"conditions": [cond("status", "gt", "new")]}, "conditions[0].op",
         'operator "gt" does not apply to choice field "status"'),
        ({"conditions": [cond("status", "equals", "waiting")]}, "conditions[0].value",
         "must be one of"),
        ({"conditions": [cond("support_level", "gt", "2")]}, "conditions[0].value",
         "must be a number"),
        ({"conditions": [cond("business_hours", "equals", 1)]}, "conditions[0].value",
         "must be true or false"),
        ({"conditions": [cond("priority", "in", [])]}, "conditions[0].value",
         "must be a non-empty list"),
        ({"conditions": [cond("priority", "in", ["high", "urgent"])]}, "conditions[0].value[1]",
         "must be one of"),
        ({"conditions": [cond("subject", "contains", "")]}, "conditions[0].value",
         "must be a non-empty string"),
        ({"conditions": [cond("text", "contains_any", ["vpn", ""])]}, "conditions[0].value",
         "non-empty strings"),
        ({"conditions": [{"field": "assignee", "op": "is_set", "value": 3}]},
         "conditions[0].value", '"is_set" takes no value'),
        ({"conditions": [cond("subject", "regex", "(unclosed")]}, "conditions[0].value",
         "invalid regular expression"),
        ({"conditions": [cond("subject", "regex", "(a+)+$")]}, "conditions[0].value",
         "nested quantifier"),
        ({"conditions": [cond("subject", "regex", "a" * 301)]}, "conditions[0].value",
         "longer than 300"),
        ({"conditions": [{"field": "subject", "op": "contains", "value": "x", "not": 1}]},
         "conditions[0].not", "unknown key"),
        ({"actions": [{"type": "explode"}]}, "actions[0].type", 'unknown action "explode"'),
        ({"actions": [{"type": "set_priority", "value": "urgent"}]}, "actions[0].value",
         "must be one of"),
        ({"actions": [{"type": "set_type", "value": "problem"}]}, "actions[0].value",
         "must be one of"),
        ({"actions": [{"type": "set_department"}]}, "actions[0].value",
         "must be a positive id or a non-empty name"),
        ({"actions": [{"type": "set_team", "value": "Net", "extra": 1}]}, "actions[0].extra",
         "unknown key"),
        ({"actions": [{"type": "add_tags", "tags": "vip"}]}, "actions[0].tags",
         "non-empty list"),
        ({"actions": [{"type": "assign", "strategy": "random"}]}, "actions[0].strategy",
         "must be one of"),
        ({"actions": [{"type": "assign", "strategy": "agent"}]}, "actions[0].agent",
         "must be a positive id"),
        ({"actions": [{"type": "assign", "strategy": "round_robin", "agent": 3}]},
         "actions[0].agent", 'only with strategy "agent"'),
        ({"actions": [{"type": "escalate", "note": "why"}]}, "actions[0]",
         'needs "to_level" or "department"'),
        ({"actions": [{"type": "escalate", "to_level": 4, "note": "why"}]},
         "actions[0].to_level", "must be 1, 2 or 3"),
        ({"actions": [{"type": "escalate", "to_level": 2}]}, "actions[0].note", "required"),
        ({"actions": [{"type": "add_note", "body": "  "}]}, "actions[0].body", "required"),
        ({"actions": [{"type": "reply_template"}]}, "actions[0].template", "required"),
        ({"actions": [{"type": "notify"}]}, "actions[0]", 'needs "users", "team" or "role"'),
        ({"actions": [{"type": "notify", "role": "everyone"}]}, "actions[0].role",
         "must be one of"),
        ({"actions": [{"type": "notify", "users": [1, 0]}]}, "actions[0].users[1]",
         "must be a positive id"),
        ({"actions": [{"type": "webhook", "url": "ftp://example.com/x"}]}, "actions[0].url",
         "http:// or https://"),
        ({"actions": [{"type": "webhook", "url": "javascript:alert(1)"}]}, "actions[0].url",
         "http:// or https://"),
        ({"actions": [{"type": "webhook", "url": "https:///nohost"}]}, "actions[0].url",
         "with a host"),
        ({"actions": [{"type": "webhook", "url": "https://x.org", "method": "TRACE"}]},
         "actions[0].method", "must be one of"),
        ({"actions": [{"type": "webhook", "url": "https://x.org", "payload": {"a": 1}}]},
         "actions[0].payload", "template string"),
        ({"actions": [{"type": "stop", "now": True}]}, "actions[0].now", "unknown key"),
    ],
)  # fmt: skip
def test_validation_reports_a_problem_with_its_path(
    change: dict[str, Any], path: str, message: str
) -> None:
    problems = problems_of({**VALID, **change})

    assert [p["path"] for p in problems] == [path]
    assert message in problems[0]["message"]


def test_validation_reports_every_problem_at_once() -> None:
    data = {
        **VALID,
        "trigger": "never",
        "conditions": [cond("subject", "contains", "x"), cond("subject", "matches", "x"),
                       cond("nope", "equals", "x")],
        "actions": [{"type": "set_impact", "value": "huge"}],
    }  # fmt: skip

    problems = problems_of(data)

    assert [p["path"] for p in problems] == [
        "trigger",
        "conditions[1].op",
        "conditions[2].field",
        "actions[0].value",
    ]


def test_rule_error_is_a_value_error_naming_path_and_message() -> None:
    with pytest.raises(ValueError, match=r'conditions\[0\]\.op: unknown operator "matches"'):
        validate_rule({**VALID, "conditions": [cond("subject", "matches", "x")]})


@pytest.mark.parametrize("data", [None, [], "rule", 3])
def test_validation_refuses_data_that_is_not_an_object(data: Any) -> None:
    with pytest.raises(RuleError):
        validate_rule(data)


def test_a_stop_only_rule_needs_no_actions() -> None:
    assert validate_rule({**VALID, "actions": [], "stop": True}).actions == ()


@pytest.mark.parametrize(
    "action",
    [
        {"type": "set_department", "value": "Network Performance Monitoring"},
        {"type": "set_help_topic", "value": 4},
        {"type": "set_type", "value": "service_request"},
        {"type": "set_category", "value": "network/vpn"},
        {"type": "set_priority", "value": "critical"},
        {"type": "set_impact", "value": "high"},
        {"type": "set_urgency", "value": "low"},
        {"type": "add_tags", "tags": ["vpn", "network"]},
        {"type": "remove_tags", "tags": ["triage"]},
        {"type": "set_team", "value": "Network"},
        {"type": "assign", "strategy": "load_balanced"},
        {"type": "assign", "strategy": "round_robin"},
        {"type": "assign", "strategy": "agent", "agent": 12},
        {"type": "escalate", "to_level": 2, "note": "needs a network engineer"},
        {"type": "escalate", "department": "Security and Compliance", "note": "possible breach"},
        {"type": "add_note", "body": "Routed by rule."},
        {"type": "reply_template", "template": "vpn-known-issue"},
        {"type": "notify", "users": [3, "ana"], "team": "Network", "role": "team_lead"},
        {"type": "webhook", "url": "https://hooks.example.com/x", "method": "PUT",
         "payload": '{"ticket": "{{ ticket.number }}"}'},
        {"type": "stop"},
    ],
)  # fmt: skip
def test_every_action_type_validates(action: dict[str, Any]) -> None:
    (validated,) = validate_rule({**VALID, "actions": [action]}).actions

    assert validated.type == action["type"]
    assert dict(validated.params) == {k: v for k, v in action.items() if k != "type"}


def test_a_webhook_defaults_to_post() -> None:
    data = {**VALID, "actions": [{"type": "webhook", "url": "http://hooks.example.com"}]}

    assert validate_rule(data).actions[0].params["method"] == "POST"


# --- regex guard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("(a+)+", "nested quantifier"),
        ("(?:a*)*b", "nested quantifier"),
        (r"((\d+))+", "nested quantifier"),
        (r"(\w+\.)*example\.com", "nested quantifier"),
        ("(a|aa)+", "nested quantifier"),
        ("(a{1,5}){2,}", "nested quantifier"),
        (r"(a)\1", "backreferences"),
        ("(?P<x>a)(?P=x)", "backreferences"),
        (".*x.*y.*z", "more than 2 unbounded quantifiers"),
        (r"\d{1,500}\s+\w+x", "more than 2 unbounded quantifiers"),
        (r"\bvpn\b", ""),
        (r"(?i)error\s+\d+", ""),
        (r"(https?://)?intranet", ""),
        (r"(\d{3}-)+\d{4}", ""),
        (r"\b(vpn|wifi)\b", ""),
        (r"[(]a+[)]+", ""),
        (r"\(a+\)+", ""),
        (r"[a-z]{1,20}@example\.com", ""),
    ],
)
def test_the_regex_guard_rejects_catastrophic_shapes(pattern: str, problem: str) -> None:
    risk = regex_risk(pattern)

    assert (problem in risk) if problem else risk == ""


def test_regex_matches_only_the_capped_start_of_a_line() -> None:
    late = rule(cond("text", "regex", "needle"))
    early = {"text": "x" * (REGEX_LINE_LIMIT - 6) + "needle"}
    too_late = {"text": "x" * REGEX_LINE_LIMIT + "needle"}

    assert evaluate([late], early, "created").matched
    assert not evaluate([late], too_late, "created").matched


def test_regex_ignores_text_past_the_total_cap() -> None:
    late = rule(cond("text", "regex", "^needle$"))
    snapshot = {"text": "filler\n" * (REGEX_TEXT_LIMIT // 7 + 1) + "needle"}

    assert not evaluate([late], snapshot, "created").matched


def test_regex_anchors_match_at_line_ends() -> None:
    anchored = rule(cond("text", "regex", "^Error 42$"))

    assert evaluate([anchored], {"text": "Hello\nError 42\nBye"}, "created").matched


# --- demo routing -----------------------------------------------------------------------------

DEMO_RULES = [
    validate_rule(
        {
            "id": 1,
            "name": "Network problems to NPM",
            "trigger": "created",
            "match": "any",
            "conditions": [cond("text", "contains_any", ["vpn", "latency", "packet loss"])],
            "actions": [{"type": "set_department", "value": "Network Performance Monitoring"}],
        }
    ),
    validate_rule(
        {
            "id": 2,
            "name": "Security incidents to S&C",
            "trigger": "created",
            "match": "any",
            "conditions": [cond("text", "contains_any", ["phishing", "malware", "breach"])],
            "actions": [
                {"type": "set_department", "value": "Security and Compliance"},
                {"type": "set_impact", "value": "high"},
            ],
        }
    ),
]


@pytest.mark.parametrize(
    ("subject", "description", "expected"),
    [
        ("VPN down", "", [Action("set_department", {"value": "Network Performance Monitoring"})]),
        ("Slow calls", "High latency to the Frankfurt office",
         [Action("set_department", {"value": "Network Performance Monitoring"})]),
        ("Calls drop", "Seeing packet loss since 9:00",
         [Action("set_department", {"value": "Network Performance Monitoring"})]),
        ("Strange mail", "Looks like Phishing",
         [Action("set_department", {"value": "Security and Compliance"}),
          Action("set_impact", {"value": "high"})]),
        ("Malware alert on laptop", "",
         [Action("set_department", {"value": "Security and Compliance"}),
          Action("set_impact", {"value": "high"})]),
        ("Possible data breach", "",
         [Action("set_department", {"value": "Security and Compliance"}),
          Action("set_impact", {"value": "high"})]),
        ("Printer jammed", "Tray 2", []),
    ],
)  # fmt: skip
def test_the_demo_rules_route_network_and_security_tickets(
    subject: str, description: str, expected: list[Action]
) -> None:
    evaluation = evaluate(DEMO_RULES, {"subject": subject, "description": description}, "created")

    assert [(a.type, dict(a.params)) for a in evaluation.actions] == [
        (a.type, dict(a.params)) for a in expected
    ]
