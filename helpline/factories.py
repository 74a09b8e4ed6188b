"""Test data factories, the one place tests build objects.

Objects that must change through the services (tickets) are built through them too, so a
factory can never produce a state the product could not reach.
"""

from __future__ import annotations

import itertools
from typing import Any

from helpline.accounts.models import Organization, Role, User
from helpline.directory.models import Department, DepartmentMembership, HelpTopic, Team
from helpline.tickets import services
from helpline.tickets.models import Ticket

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def organization(**fields: Any) -> Organization:
    fields.setdefault("name", f"Org {next(_seq)}")
    return Organization.objects.create(**fields)


def customer(**fields: Any) -> User:
    n = next(_seq)
    fields.setdefault("email", f"customer{n}@example.com")
    fields.setdefault("name", f"Customer {n}")
    return User.objects.create_user(password=PASSWORD, role=Role.CUSTOMER, **fields)


def department(**fields: Any) -> Department:
    n = next(_seq)
    fields.setdefault("name", f"Department {n}")
    fields.setdefault("slug", f"department-{n}")
    return Department.objects.create(**fields)


def agent(
    *, departments: list[Department] | tuple[Department, ...] = (), level: int = 1, **fields: Any
) -> User:
    n = next(_seq)
    fields.setdefault("email", f"agent{n}@example.com")
    fields.setdefault("name", f"Agent {n}")
    fields.setdefault("role", Role.AGENT)
    user = User.objects.create_user(password=PASSWORD, support_level=level, **fields)
    for dept in departments:
        DepartmentMembership.objects.create(department=dept, user=user)
    return user


def admin(**fields: Any) -> User:
    n = next(_seq)
    fields.setdefault("email", f"admin{n}@example.com")
    fields.setdefault("name", f"Admin {n}")
    return User.objects.create_user(
        password=PASSWORD, role=Role.ADMIN, is_staff=True, is_superuser=True, **fields
    )


def team(**fields: Any) -> Team:
    fields.setdefault("name", f"Team {next(_seq)}")
    return Team.objects.create(**fields)


def help_topic(*, department: Department, **fields: Any) -> HelpTopic:
    fields.setdefault("name", f"Topic {next(_seq)}")
    return HelpTopic.objects.create(department=department, **fields)


def ticket(*, requester: User, department: Department | None = None, **fields: Any) -> Ticket:
    """A new ticket created by ``requester`` through the service (routed and auto-assigned)."""
    fields.setdefault("subject", f"Problem {next(_seq)}")
    fields.setdefault("description", "Something does not work.")
    return services.ticket_create(actor=requester, department=department, **fields)


class Desk:
    """A small support organisation: one department with agents at levels 1-3, a second
    department, two customers, an admin. Most tests start from one."""

    def __init__(self) -> None:
        self.department = department(name="Helpdesk", slug="helpdesk")
        self.other_department = department(name="Network", slug="network")
        self.l1 = agent(departments=[self.department], level=1, name="Level One")
        self.l2 = agent(departments=[self.department], level=2, name="Level Two")
        self.l3 = agent(departments=[self.department], level=3, name="Level Three")
        self.outsider = agent(departments=[self.other_department], level=1, name="Outsider")
        self.admin = admin(name="Admin")
        self.org = organization(name="Acme")
        self.customer = customer(organization=self.org, name="Carol Customer")
        self.other_customer = customer(organization=self.org, name="Oscar Other")
        self.topic = help_topic(department=self.department, name="Report a Problem")

    def ticket(self, **fields: Any) -> Ticket:
        fields.setdefault("requester", self.customer)
        fields.setdefault("department", self.department)
        return ticket(**fields)
