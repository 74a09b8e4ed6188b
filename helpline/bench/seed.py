"""A realistic data set for benchmarks, written fast with bulk inserts.

Tickets, their thread entries and audit rows are generated in batches (no per-row services,
no signals): ~1M tickets with 3-8 entries each in minutes. Only for benchmark databases: the
rows skip the services' checks on purpose, so never run this against a real desk.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from helpline.accounts.models import Organization, Role, User
from helpline.core import clock
from helpline.directory.models import Department, DepartmentMembership, Tag
from helpline.tickets.models import Counter, EntryKind, ThreadEntry, Ticket

PASSWORD = "helpline-bench"
BATCH = 2_000

WORDS = (
    "printer laptop battery screen monitor keyboard mouse vpn network wifi latency packet loss "
    "password account locked access permission email outlook calendar teams meeting camera "
    "microphone headset license install update upgrade crash error freeze slow disk full backup "
    "restore server database timeout certificate expired phishing malware virus firewall proxy "
    "dns dhcp router switch cable port docking station charger phone mobile tablet sharepoint "
    "onedrive folder file permission denied invoice erp crm report dashboard export import "
    "excel word powerpoint pdf scanner badge door building office remote home desk chair "
    "request new hardware software access token reset unlock configure migrate replace repair"
).split()
STATUSES = (
    ["closed"] * 60
    + ["resolved"] * 10
    + ["open"] * 14
    + ["pending"] * 6
    + ["new"] * 6
    + ["on_hold"] * 4
)
PRIORITIES = ["low"] * 40 + ["medium"] * 40 + ["high"] * 15 + ["critical"] * 5
LEVELS = ["low", "medium", "high"]


@dataclass
class BenchDesk:
    departments: list[Department]
    agents_by_department: dict[int, list[User]]
    customers: list[User]


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize()


def build_desk(
    *, customers: int = 2_000, departments: int = 8, agents_per_level: int = 4
) -> BenchDesk:
    """Departments with agents at levels 1-3 and a pool of customers (idempotent)."""
    password = make_password(PASSWORD)
    org, _ = Organization.objects.get_or_create(name="Bench Org")
    depts = []
    agents: dict[int, list[User]] = {}
    for d in range(departments):
        dept, _ = Department.objects.get_or_create(
            name=f"Bench {d}", defaults={"slug": f"bench-{d}"}
        )
        depts.append(dept)
        agents[dept.pk] = []
        for level in (1, 2, 3):
            for a in range(agents_per_level):
                user, created = User.objects.get_or_create(
                    email=f"bench.d{d}.l{level}.{a}@bench.example",
                    defaults={
                        "role": Role.AGENT,
                        "support_level": level,
                        "password": password,
                        "name": f"Agent {d}-{level}-{a}",
                    },
                )
                if created:
                    DepartmentMembership.objects.create(department=dept, user=user)
                agents[dept.pk].append(user)
    existing = User.objects.filter(email__endswith="@customers.bench.example").count()
    User.objects.bulk_create(
        [
            User(
                email=f"c{i}@customers.bench.example",
                name=f"Customer {i}",
                password=password,
                organization=org,
            )
            for i in range(existing, customers)
        ],
        batch_size=BATCH,
    )
    pool = list(User.objects.filter(email__endswith="@customers.bench.example"))
    return BenchDesk(depts, agents, pool)


def _chunks(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        yield min(size, total - done)
        done += size


def seed_tickets(
    *,
    tickets: int,
    seed: int = 42,
    entries: tuple[int, int] = (3, 8),
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert ``tickets`` tickets with ``entries`` thread entries each; returns tickets made."""
    rng = random.Random(seed)
    desk = build_desk()
    tags = [
        Tag.objects.get_or_create(name=name)[0]
        for name in ("vpn", "hardware", "access", "urgent", "email")
    ]
    tag_through = Ticket.tags.through
    now = clock.now()
    span = timedelta(days=730)
    made = 0
    for size in _chunks(tickets, BATCH):
        with transaction.atomic():
            start = _reserve_numbers(size)
            rows = [_ticket(rng, desk, start + i, now, span) for i in range(size)]
            Ticket.objects.bulk_create(rows, batch_size=BATCH)
            # bulk_create sets primary keys on PostgreSQL and SQLite ≥ 3.35.
            entries_rows = []
            tag_rows = []
            for ticket in rows:
                entries_rows += _entries(rng, ticket, desk, entries)
                if rng.random() < 0.3:
                    tag_rows.append(tag_through(ticket_id=ticket.pk, tag_id=rng.choice(tags).pk))
            ThreadEntry.objects.bulk_create(entries_rows, batch_size=BATCH)
            tag_through.objects.bulk_create(tag_rows, batch_size=BATCH)
        made += size
        if progress:
            progress(made)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return made


def _reserve_numbers(count: int) -> int:
    """Advance the ticket counter by ``count``; returns the first number reserved."""
    counter, _ = Counter.objects.select_for_update().get_or_create(
        name="ticket", defaults={"value": 999}
    )
    first = counter.value + 1
    counter.value += count
    counter.save(update_fields=["value"])
    return first


def _ticket(
    rng: random.Random, desk: BenchDesk, number: int, now: datetime, span: timedelta
) -> Ticket:
    dept = rng.choice(desk.departments)
    status = rng.choice(STATUSES)
    created = now - timedelta(seconds=rng.randint(0, int(span.total_seconds())))
    agents = desk.agents_by_department[dept.pk]
    assignee = None if status == "new" and rng.random() < 0.6 else rng.choice(agents)
    resolved = (
        created + timedelta(hours=rng.randint(1, 200)) if status in ("resolved", "closed") else None
    )
    requester = rng.choice(desk.customers)
    return Ticket(
        number=number,
        subject=sentence(rng, 3, 8),
        description=sentence(rng, 15, 60),
        type=rng.choice(["incident", "incident", "service_request"]),
        status=status,
        impact=rng.choice(LEVELS),
        urgency=rng.choice(LEVELS),
        priority=rng.choice(PRIORITIES),
        requester=requester,
        organization_id=requester.organization_id,
        channel=rng.choice(["web", "email", "email", "api", "phone"]),
        department=dept,
        assignee=assignee,
        support_level=assignee.support_level if assignee else 1,
        created_at=created,
        updated_at=resolved or created,
        status_changed_at=resolved or created,
        first_response_at=created + timedelta(minutes=rng.randint(5, 600))
        if status != "new"
        else None,
        resolved_at=resolved,
        closed_at=resolved + timedelta(days=3) if status == "closed" and resolved else None,
        resolution_problem=sentence(rng, 5, 12) if resolved else "",
        resolution_action=sentence(rng, 5, 12) if resolved else "",
    )


def _entries(
    rng: random.Random, ticket: Ticket, desk: BenchDesk, bounds: tuple[int, int]
) -> list[ThreadEntry]:
    rows = []
    at = ticket.created_at
    agents = desk.agents_by_department[ticket.department_id]
    for i in range(rng.randint(*bounds)):
        at = at + timedelta(minutes=rng.randint(5, 900))
        kind = (
            EntryKind.CUSTOMER_MESSAGE
            if i % 2 == 0
            else rng.choice([EntryKind.REPLY, EntryKind.REPLY, EntryKind.NOTE])
        )
        author = ticket.requester if kind == EntryKind.CUSTOMER_MESSAGE else rng.choice(agents)
        body = sentence(rng, 10, 50)
        rows.append(
            ThreadEntry(
                ticket_id=ticket.pk,
                kind=kind,
                author=author,
                body=body,
                body_html=f"<p>{body}</p>",
                created_at=at,
            )
        )
    return rows
