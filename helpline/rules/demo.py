"""The demo's automation: route by content, and round robin in one department."""

from __future__ import annotations

from helpline.directory.models import AssignmentStrategy, Department, Strategy
from helpline.rules.models import Rule

NETWORK = "Network Performance Monitoring"
SECURITY = "Security and Compliance"
ROUND_ROBIN_DEPARTMENT = "Helpdesk Support"

# Only new and open tickets: a seeded ticket already worked on stays where it is.
_ACTIVE = {"field": "status", "op": "in", "value": ["new", "open"]}

DEMO_RULES = [
    {
        "name": "Network problems go to Network Performance Monitoring",
        "description": "VPN, latency or packet loss in the subject or description.",
        "order": 10,
        "trigger": "created",
        "match": "all",
        "conditions": [
            _ACTIVE,
            {"field": "text", "op": "contains_any", "value": ["vpn", "latency", "packet loss"]},
        ],
        "actions": [
            {"type": "set_department", "value": NETWORK},
            {"type": "assign", "strategy": "load_balanced"},
            {"type": "add_tags", "tags": ["network"]},
        ],
    },
    {
        "name": "Security incidents go to Security and Compliance",
        "description": "Phishing, malware or a breach: high impact.",
        "order": 20,
        "trigger": "created",
        "match": "all",
        "conditions": [
            _ACTIVE,
            {"field": "text", "op": "contains_any", "value": ["phishing", "malware", "breach"]},
        ],
        "actions": [
            {"type": "set_department", "value": SECURITY},
            {"type": "set_impact", "value": "high"},
            {"type": "add_tags", "tags": ["security"]},
        ],
    },
]


def seed_rules() -> list[Rule]:
    """The demo's content rules, and round robin for level 1 of the Helpdesk Support
    department. Call after the departments exist."""
    rules = []
    for data in DEMO_RULES:
        rule = Rule(**data)
        rule.full_clean()
        rule.save()
        rules.append(rule)
    helpdesk = Department.objects.filter(name=ROUND_ROBIN_DEPARTMENT).first()
    if helpdesk is not None:
        AssignmentStrategy.objects.update_or_create(
            department=helpdesk, level=1, defaults={"strategy": Strategy.ROUND_ROBIN}
        )
    return rules
