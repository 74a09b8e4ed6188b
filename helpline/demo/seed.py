"""The demo organisation, Americorp: departments, help topics, agents at every level,
customers in two organizations and a few tickets in every status.

Tickets are made through the ticket services, exactly as a customer and the agents would make
them, so the demo never shows a state the product could not reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from helpline.accounts.models import Organization, Role, User
from helpline.directory.models import (
    Category,
    Department,
    DepartmentMembership,
    HelpTopic,
    Team,
)
from helpline.sla.models import Calendar, Policy, Target
from helpline.tickets import services
from helpline.tickets.models import Ticket
from helpline.tickets.services import Resolution

PASSWORD = "helpline-demo"
DOMAIN = "americorp.example"

WORKING_DEPARTMENTS = [
    ("Helpdesk Support", "helpdesk"),
    ("Technical Issues", "technical"),
    ("Network Performance Monitoring", "network"),
    ("Security and Compliance", "security"),
    ("Feedback and Improvement", "feedback"),
]
ADMIN_DEPARTMENT = "Support"

# name, department, type, fixed priority ("" = from impact × urgency), SLA class, description
HELP_TOPICS = [
    (
        "Critical Error",
        "Technical Issues",
        "incident",
        "critical",
        "A",
        "Something business-critical is down or losing data.",
    ),
    (
        "Report a Problem",
        "Helpdesk Support",
        "incident",
        "",
        "B",
        "Something is broken or does not work as it should.",
    ),
    (
        "General Inquiry",
        "Helpdesk Support",
        "service_request",
        "low",
        "C",
        "A question, or something you would like to have.",
    ),
    (
        "Feedback",
        "Feedback and Improvement",
        "service_request",
        "low",
        "C",
        "Tell us what we could do better.",
    ),
]

CATEGORIES = {
    "Hardware": ["Laptop", "Printer", "Monitor", "Phone"],
    "Software": ["Office", "Email client", "Operating system"],
    "Network": ["VPN", "Wi-Fi", "Internet access"],
    "Access": ["Accounts and passwords", "Permissions"],
}

FIRST_NAMES = {1: "Lee", 2: "Sam", 3: "Alex"}


@dataclass
class DemoLogins:
    admins: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    agents: list[tuple[str, str, int]] = field(default_factory=list)  # email, department, level

    def lines(self) -> list[str]:
        out = [f"Every demo password is: {PASSWORD}", "Admins:    " + ", ".join(self.admins)]
        out.append("Customers: " + ", ".join(self.customers))
        out.append("Agents (department, level):")
        out += [f"  {email:<40} {dept}, level {level}" for email, dept, level in self.agents]
        return out


def agent_email(slug: str, level: int) -> str:
    return f"{slug}.l{level}@{DOMAIN}"


def demo_logins() -> DemoLogins:
    logins = DemoLogins(
        admins=[f"admin@{DOMAIN}", f"admin2@{DOMAIN}"],
        customers=[
            f"customer1@{DOMAIN}",
            f"customer2@{DOMAIN}",
            "customer@northwind.example",
        ],
    )
    for name, slug in WORKING_DEPARTMENTS:
        for level in (1, 2, 3):
            logins.agents.append((agent_email(slug, level), name, level))
    return logins


def is_seeded() -> bool:
    return User.objects.filter(email=f"admin@{DOMAIN}").exists()


_password_hash: str | None = None


def _user(email: str, name: str, **fields: object) -> User:
    # Hash the shared demo password once: Argon2 is slow on purpose.
    global _password_hash
    if _password_hash is None:
        _password_hash = make_password(PASSWORD)
    return User.objects.create(email=email, name=name, password=_password_hash, **fields)


# Severity A (critical, high) 24, B (medium) 48, C (low) 72 working hours to resolve.
# priority: (first response, next response, resolution) in working hours
SLA_TARGETS = {
    "critical": (1, 2, 24),
    "high": (2, 4, 24),
    "medium": (4, 8, 48),
    "low": (8, 16, 72),
}


def seed_sla() -> Policy:
    """Americorp's service levels: Mon-Fri 08:00-16:00 Copenhagen, Danish public holidays."""
    calendar = Calendar.objects.create(
        name="Americorp office hours",
        timezone="Europe/Copenhagen",
        weekly={day: [["08:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=[{"from": "2026-12-24", "to": "2026-12-26"}, "2026-12-31"],
        country="DK",
    )
    policy = Policy.objects.create(
        name="Americorp standard",
        description="Severity A (urgent) 24, B (normal) 48, C (non-urgent) 72 working hours.",
        calendar=calendar,
        is_default=True,
        warning_percent=75,
    )
    for priority, (first, following, resolution) in SLA_TARGETS.items():
        Target.objects.create(
            policy=policy,
            priority=priority,
            first_response_minutes=first * 60,
            next_response_minutes=following * 60,
            resolution_minutes=resolution * 60,
        )
    return policy


@transaction.atomic
def seed() -> DemoLogins:
    """Load the demo organisation into an empty database."""
    seed_sla()
    americorp = Organization.objects.create(name="Americorp", domain=DOMAIN, shares_tickets=False)
    northwind = Organization.objects.create(
        name="Northwind Traders", domain="northwind.example", shares_tickets=True
    )

    departments: dict[str, Department] = {}
    agents: dict[tuple[str, int], User] = {}
    for name, slug in WORKING_DEPARTMENTS:
        department = Department.objects.create(name=name, slug=slug, email=f"{slug}@{DOMAIN}")
        departments[name] = department
        for level in (1, 2, 3):
            agent = _user(
                agent_email(slug, level),
                f"{FIRST_NAMES[level]} {name.split()[0]} (L{level})",
                role=Role.AGENT,
                support_level=level,
            )
            DepartmentMembership.objects.create(
                department=department, user=agent, is_manager=level == 3
            )
            agents[(name, level)] = agent
        department.manager = agents[(name, 3)]
        department.save(update_fields=["manager"])

    # After the working departments: a ticket nothing routes (mail, the API without a help
    # topic) goes to the first active department, the helpdesk's first level, whose agents
    # triage it. The admins' department takes what the working ones escalate past level 3.
    support = Department.objects.create(name=ADMIN_DEPARTMENT, slug="support")
    admin = _user(f"admin@{DOMAIN}", "Ada Admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    admin2 = _user(
        f"admin2@{DOMAIN}", "Grace Admin", role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    for user in (admin, admin2):
        DepartmentMembership.objects.create(department=support, user=user, is_manager=True)
    support.manager = admin
    support.save(update_fields=["manager"])
    for department in departments.values():  # saved one by one: the config caches hear it
        department.escalation_department = support
        department.save(update_fields=["escalation_department"])

    network_team = Team.objects.create(
        name="Network on-call", lead=agents[(WORKING_DEPARTMENTS[2][0], 3)]
    )
    network_team.members.set([agents[(WORKING_DEPARTMENTS[2][0], level)] for level in (2, 3)])

    topics = {}
    for order, (name, dept, ticket_type, priority, sla, description) in enumerate(HELP_TOPICS):
        topics[name] = HelpTopic.objects.create(
            name=name,
            description=description,
            department=departments[dept],
            type=ticket_type,
            priority=priority,
            sla_class=sla,
            order=order,
        )

    categories: dict[str, Category] = {}
    for parent_name, children in CATEGORIES.items():
        parent = Category.objects.create(name=parent_name)
        categories[parent_name] = parent
        for child in children:
            categories[child] = Category.objects.create(name=child, parent=parent)

    customer1 = _user(f"customer1@{DOMAIN}", "Casey Customer", organization=americorp)
    customer2 = _user(f"customer2@{DOMAIN}", "Robin Requester", organization=americorp)
    northwind_customer = _user(
        "customer@northwind.example", "Nora Northwind", organization=northwind
    )

    from helpline.kb.demo import seed_knowledge

    seed_knowledge(author=agents[("Helpdesk Support", 2)], admin=admin, topics=topics)
    from helpline.rules.demo import seed_rules

    seed_rules()
    _seed_tickets(
        topics=topics,
        categories=categories,
        agents=agents,
        customers=[customer1, customer2, northwind_customer],
    )
    return demo_logins()


def _seed_tickets(
    *,
    topics: dict[str, HelpTopic],
    categories: dict[str, Category],
    agents: dict[tuple[str, int], User],
    customers: list[User],
) -> None:
    c1, c2, nw = customers
    helpdesk_l1 = agents[("Helpdesk Support", 1)]
    helpdesk_l2 = agents[("Helpdesk Support", 2)]
    tech_l1 = agents[("Technical Issues", 1)]

    def create(requester: User, topic: str, subject: str, description: str, **kw: object) -> Ticket:
        return services.ticket_create(
            actor=requester,
            subject=subject,
            description=description,
            help_topic=topics[topic],
            **kw,  # type: ignore[arg-type]
        )

    # new
    create(
        c1,
        "Report a Problem",
        "Printer on 3rd floor prints blank pages",
        "Since this morning every page comes out blank. Toner was replaced last week.",
        impact="medium",
        urgency="medium",
        category=categories["Printer"],
        device="HP LaserJet M507",
        location="HQ, 3rd floor",
    )
    create(
        nw,
        "General Inquiry",
        "Can we get a second monitor?",
        "Our accountant would like a second screen for spreadsheets.",
        category=categories["Monitor"],
    )

    # open, with a first response
    vpn = create(
        c2,
        "Report a Problem",
        "VPN drops every few minutes",
        "Working from home, the VPN disconnects every 5-10 minutes since Monday.",
        impact="low",
        urgency="high",
        category=categories["VPN"],
        tags=["vpn", "remote"],
    )
    services.ticket_reply(
        actor=vpn.assignee or helpdesk_l1,
        ticket=vpn,
        body="Thanks, we are looking into it. Which VPN client version do you use?",
    )
    services.ticket_note(
        actor=vpn.assignee or helpdesk_l1,
        ticket=vpn,
        body="Probably the MTU issue again; check the gateway logs.",
    )

    # pending: waiting on the customer
    laptop = create(
        c1,
        "Report a Problem",
        "Laptop battery drains in an hour",
        "My laptop battery lasts about an hour, it used to last a full day.",
        category=categories["Laptop"],
        device="ThinkPad T14",
    )
    services.ticket_reply(
        actor=laptop.assignee or helpdesk_l1,
        ticket=laptop,
        body="Could you send us the battery report (powercfg /batteryreport)?",
    )
    services.ticket_transition(actor=laptop.assignee or helpdesk_l1, ticket=laptop, action="pend")

    # on hold: waiting on a third party, escalated to level 2
    crm = create(
        c2,
        "Critical Error",
        "CRM shows error 500 on every customer page",
        "Nobody in sales can open customer records.",
        impact="high",
        urgency="high",
    )
    services.ticket_take(actor=tech_l1, ticket=crm)
    services.ticket_escalate(
        actor=tech_l1, ticket=crm, note="Database errors in the CRM log; needs level 2."
    )
    crm.refresh_from_db()
    services.ticket_transition(
        actor=crm.assignee or tech_l1,
        ticket=crm,
        action="hold",
        reason="Waiting for the vendor's support to answer.",
    )

    # resolved, awaiting the customer's confirmation
    password = create(
        c1,
        "General Inquiry",
        "Password reset for the expense system",
        "I am locked out of the expense system.",
        category=categories["Accounts and passwords"],
    )
    services.ticket_take(actor=helpdesk_l1, ticket=password)
    services.ticket_reply(
        actor=helpdesk_l1,
        ticket=password,
        body="I have reset your password; you will get an email with a link.",
    )
    services.ticket_transition(
        actor=helpdesk_l1,
        ticket=password,
        action="resolve",
        resolution=Resolution(
            problem_identified="Account locked after five failed logins.",
            action_taken="Unlocked the account and sent a password reset link.",
            confirmation="Customer can log in again.",
            next_steps="None.",
        ),
    )

    # closed: resolved at level 2 and confirmed by the customer
    wifi = create(
        nw,
        "Report a Problem",
        "Wi-Fi in meeting room B is very slow",
        "Video calls freeze in meeting room B.",
        impact="medium",
        urgency="high",
        category=categories["Wi-Fi"],
        location="Meeting room B",
    )
    services.ticket_take(actor=helpdesk_l1, ticket=wifi)
    services.ticket_escalate(
        actor=helpdesk_l1,
        ticket=wifi,
        to_level=2,
        note="Signal is fine; looks like the access point. Level 2 please.",
    )
    services.ticket_transition(
        actor=helpdesk_l2,
        ticket=wifi,
        action="resolve",
        resolution=Resolution(
            problem_identified="The access point in room B ran old firmware with a known bug.",
            action_taken="Updated the firmware and moved the AP to channel 36.",
            confirmation="Test call of 30 minutes without freezes.",
            next_steps="Update the remaining access points this weekend.",
        ),
    )
    services.ticket_transition(actor=nw, ticket=wifi, action="close")

    # feedback
    create(
        c2,
        "Feedback",
        "Thank you for the quick laptop swap",
        "The replacement laptop arrived the same day. Great service!",
    )
