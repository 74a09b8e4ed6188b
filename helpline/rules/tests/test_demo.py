"""The demo organisation routes by content."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.accounts.models import User
from helpline.demo import seed
from helpline.directory.models import AssignmentStrategy, Department, Strategy
from helpline.tickets import services
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _open(capture: Any, subject: str, description: str = "Please help.") -> Ticket:
    customer = User.objects.get(email=f"customer1@{seed.DOMAIN}")
    with capture(execute=True):
        ticket = services.ticket_create(actor=customer, subject=subject, description=description)
    return Ticket.objects.select_related("department").get(pk=ticket.pk)


def test_the_demo_routes_vpn_tickets_to_network_and_phishing_to_security(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        seed.seed()
    vpn = _open(django_capture_on_commit_callbacks, "Packet loss on the VPN")
    assert vpn.department.name == "Network Performance Monitoring"
    assert vpn.assignee is not None and vpn.assignee.support_level == 1
    phishing = _open(django_capture_on_commit_callbacks, "Suspicious mail", "Looks like phishing")
    assert (phishing.department.name, phishing.impact) == ("Security and Compliance", "high")
    other = _open(django_capture_on_commit_callbacks, "Printer jam")
    assert other.department.name not in (
        "Network Performance Monitoring",
        "Security and Compliance",
    )
    strategy = AssignmentStrategy.objects.get(department__name="Helpdesk Support", level=1)
    assert strategy.strategy == Strategy.ROUND_ROBIN


def test_the_readmes_dept_filter_finds_the_demo_network_department(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from helpline.search.selectors import search_tickets

    with django_capture_on_commit_callbacks(execute=False):
        seed.seed()
    vpn = _open(django_capture_on_commit_callbacks, "Packet loss on the VPN")
    admin = User.objects.get(email=f"admin@{seed.DOMAIN}")

    hits = search_tickets(user=admin, query="dept:network vpn", limit=50).hits
    assert vpn.number in [hit.ticket.number for hit in hits]
    assert {hit.ticket.department.slug for hit in hits} == {"network"}


def test_a_demo_ticket_nothing_routes_lands_with_the_helpdesks_first_level(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Mail and API tickets without a help topic go to the default department: the helpdesk,
    # whose agents triage them, not the admins' department that no agent sees.
    with django_capture_on_commit_callbacks(execute=False):
        seed.seed()
    ticket = _open(django_capture_on_commit_callbacks, "Printer jam", "Tray 2 again.")

    assert ticket.department.slug == "helpdesk"
    assert ticket.assignee is not None and ticket.assignee.support_level == 1
    escalations = {d.escalation_department.slug for d in Department.objects.exclude(slug="support")}
    assert escalations == {"support"}
