"""ticket_create: validation, routing by help topic, auto-assignment, requesters, audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline import factories
from helpline.accounts.models import Availability, Role, User
from helpline.audit.models import AuditEvent
from helpline.core import clock
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.tickets import services
from helpline.tickets.models import PriorityMatrixEntry, Ticket
from helpline.tickets.tests.scenarios import last_event, nothing_changes, ref, ticket_in

# --- routing -------------------------------------------------------------------------------


def test_a_help_topic_routes_to_its_department_type_and_fixed_priority(desk):
    topic = factories.help_topic(
        department=desk.other_department, type="service_request", priority="critical"
    )
    ticket = services.ticket_create(
        actor=desk.customer, subject="New laptop", description="Please.", help_topic=topic,
        impact="low", urgency="low",
    )  # fmt: skip
    assert ticket.department == desk.other_department
    assert ticket.type == "service_request"
    assert ticket.priority == "critical"
    assert ticket.help_topic == topic


def test_a_help_topic_without_priority_derives_it_from_impact_and_urgency(desk):
    ticket = services.ticket_create(
        actor=desk.customer, subject="Down", description="All down.", help_topic=desk.topic,
        impact="high", urgency="high",
    )  # fmt: skip
    assert ticket.department == desk.department
    assert ticket.type == "incident"
    assert ticket.priority == "critical"


def test_an_explicit_department_wins_over_the_help_topic(desk):
    ticket = desk.ticket(help_topic=desk.topic, department=desk.other_department)
    assert ticket.department == desk.other_department


def test_without_topic_or_department_the_first_active_department_receives_it(desk):
    ticket = services.ticket_create(actor=desk.customer, subject="Hi", description="Help.")
    assert ticket.department == desk.department  # created first


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [(None, None, "medium"), ("high", "low", "medium"), ("high", "medium", "high")],
)
def test_priority_is_derived_from_impact_and_urgency(desk, impact, urgency, priority):
    ticket = desk.ticket(impact=impact, urgency=urgency)
    assert ticket.priority == priority


def test_the_priority_matrix_stored_in_the_database_is_used(desk):
    PriorityMatrixEntry.objects.update_or_create(
        impact="low", urgency="low", defaults={"priority": "high"}
    )
    assert desk.ticket(impact="low", urgency="low").priority == "high"


def test_the_ticket_takes_the_requesters_organization(desk):
    assert desk.ticket().organization == desk.org


def test_tags_are_stored_lowercased_and_once(desk):
    ticket = desk.ticket(tags=["VPN", "vpn ", "Remote", ""])
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["remote", "vpn"]


def test_an_attachment_is_stored_with_the_ticket(desk):
    upload = SimpleUploadedFile("../../etc/log.txt", b"boom", content_type="text/plain")
    ticket = desk.ticket(attachments=[upload])
    attachment = ticket.attachments.get()
    assert attachment.filename == "log.txt"
    assert attachment.size == 4
    assert "log.txt" not in attachment.file.name


def test_ticket_numbers_are_consecutive_from_the_first_number(desk):
    numbers = [desk.ticket().number for _ in range(3)]
    assert numbers[0] >= services.FIRST_TICKET_NUMBER
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_the_ticket_number_is_taken_after_every_read_of_the_create(desk):
    # Where the number comes from a counter row, the row stays locked until the commit and
    # every create writes it: after it, nothing but this create's own writes may run. On
    # PostgreSQL the INSERT itself takes the number from a sequence.
    with CaptureQueriesContext(connection) as queries:
        ticket = desk.ticket()
    sqls = [q["sql"] for q in queries.captured_queries]
    insert = next(i for i, sql in enumerate(sqls) if sql.startswith('INSERT INTO "tickets_ticket"'))
    if connection.vendor == "postgresql":
        assert "nextval('tickets_ticket_number_seq')" in sqls[insert]
        assert not any("tickets_counter" in sql for sql in sqls)
        taken = insert
    else:
        taken = next(i for i, sql in enumerate(sqls) if "tickets_counter" in sql)
        assert taken < insert
    reads = [sql for sql in sqls[taken + 1 :] if sql.lstrip().upper().startswith("SELECT")]
    assert reads == []
    assert ticket.assignee == desk.l1
    assert ticket.number >= services.FIRST_TICKET_NUMBER


def test_the_new_tickets_fields_and_sla_times_are_worked_out_before_its_transaction(
    desk, monkeypatch
):
    # On SQLite the transaction holds the database's one write lock: the work that writes
    # nothing comes before it, so that the other writers wait for less.
    from helpline.tickets.services import create

    outside = len(connection.savepoint_ids)  # the test's own transaction has none
    seen: list[tuple[str, bool]] = []
    for name in ("render", "derive_priority", "sla_refresh", "_insert_ticket"):
        original = getattr(create, name)

        def spy(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            seen.append((_name, len(connection.savepoint_ids) > outside))  # in an atomic?
            return _original(*args, **kwargs)

        monkeypatch.setattr(create, name, spy)

    desk.ticket()

    assert seen == [
        ("render", False),
        ("derive_priority", False),
        ("sla_refresh", False),
        ("_insert_ticket", True),
    ]


# --- auto-assignment -----------------------------------------------------------------------


def test_a_new_ticket_goes_to_the_available_level_one_agent(desk):
    ticket = desk.ticket()
    assert ticket.assignee == desk.l1
    assert ticket.status == "new"
    assert ticket.support_level == 1


def test_the_level_one_agent_with_the_fewest_active_tickets_gets_it(desk):
    desk.ticket()  # goes to l1
    second = factories.agent(departments=[desk.department], level=1)
    assert desk.ticket().assignee == second


def test_resolved_tickets_do_not_count_as_active(desk):
    ticket_in(desk, "resolved")
    ticket_in(desk, "closed")
    second = factories.agent(departments=[desk.department], level=1)
    assert desk.ticket().assignee == second  # never assigned before
    assert desk.ticket().assignee == desk.l1  # no active tickets against one


def test_a_tie_goes_to_the_agent_who_waited_longest(desk):
    second = factories.agent(departments=[desk.department], level=1)
    assignees = [desk.ticket().assignee for _ in range(4)]
    assert assignees == [desk.l1, second, desk.l1, second]


def test_an_agent_never_assigned_before_goes_first_on_a_tie(desk):
    ticket_in(desk, "closed")  # l1 was assigned once, now has nothing active
    newcomer = factories.agent(departments=[desk.department], level=1)
    assert desk.ticket().assignee == newcomer


def test_assignment_stamps_the_agents_last_assigned_time(desk):
    desk.ticket()
    desk.l1.refresh_from_db()
    assert desk.l1.last_assigned_at is not None


@pytest.mark.parametrize(
    ("availability", "away_until", "assigned"),
    [
        (Availability.AVAILABLE, None, True),
        (Availability.AWAY, None, False),
        (Availability.OFF, None, False),
        (Availability.OFF, timedelta(hours=1), False),
        (Availability.OFF, -timedelta(hours=1), True),
    ],
    ids=["available", "away", "off-indefinitely", "off-until-later", "off-until-past"],
)
def test_only_available_agents_are_picked(desk, availability, away_until, assigned):
    User.objects.filter(pk=desk.l1.pk).update(
        availability=availability,
        away_until=clock.now() + away_until if away_until is not None else None,
    )
    ticket = desk.ticket()
    assert ticket.assignee == (desk.l1 if assigned else None)


def test_an_away_agent_is_skipped_for_an_available_one(desk):
    User.objects.filter(pk=desk.l1.pk).update(availability=Availability.AWAY)
    second = factories.agent(departments=[desk.department], level=1)
    assert desk.ticket().assignee == second


def test_inactive_agents_are_not_picked(desk):
    User.objects.filter(pk=desk.l1.pk).update(is_active=False)
    assert desk.ticket().assignee is None


def test_without_an_available_level_one_agent_the_ticket_stays_unassigned(desk):
    # Level 2 and 3 of the department and level 1 of another department are all available.
    User.objects.filter(pk=desk.l1.pk).update(availability=Availability.AWAY)
    ticket = desk.ticket()
    assert ticket.assignee is None
    assert ticket.status == "new"


def test_a_department_without_agents_leaves_the_ticket_unassigned(desk):
    empty = factories.department()
    assert desk.ticket(department=empty).assignee is None


# --- requesters ----------------------------------------------------------------------------


def test_an_agent_creating_for_an_unknown_email_creates_a_customer(desk):
    ticket = services.ticket_create(
        actor=desk.l1, subject="Phone call", description="Caller's printer jams.",
        requester_email=" New.Person@Example.com ", channel="phone",
    )  # fmt: skip
    requester = ticket.requester
    assert requester.email == "new.person@example.com"
    assert requester.role == Role.CUSTOMER
    assert not requester.has_usable_password()
    assert ticket.channel == "phone"
    created = AuditEvent.objects.get(action="user.create")
    assert created.actor == desk.l1
    assert created.object_id == str(requester.pk)


def test_an_agent_creating_for_a_known_email_reuses_the_user(desk):
    ticket = services.ticket_create(
        actor=desk.l1, subject="S", description="D", requester_email=desk.customer.email.upper()
    )
    assert ticket.requester == desk.customer
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_an_agent_creating_without_a_requester_is_the_requester(desk):
    ticket = services.ticket_create(actor=desk.l2, subject="S", description="D")
    assert ticket.requester == desk.l2


def test_an_agent_may_name_an_existing_requester(desk):
    ticket = services.ticket_create(
        actor=desk.l1, subject="S", description="D", requester=desk.other_customer
    )
    assert ticket.requester == desk.other_customer


def test_an_invalid_requester_email_creates_nothing(desk):
    with nothing_changes(), pytest.raises(ValidationFailed) as raised:
        services.ticket_create(
            actor=desk.l1, subject="S", description="D", requester_email="not an address"
        )
    assert raised.value.fields == {"requester_email": "not a valid email address"}


def test_a_customer_naming_a_requester_still_creates_for_themselves(desk):
    ticket = services.ticket_create(
        actor=desk.customer, subject="S", description="D", requester=desk.other_customer
    )
    assert ticket.requester == desk.customer


def test_a_customer_cannot_create_for_an_email_address(desk):
    with nothing_changes(), pytest.raises(PermissionDenied):
        services.ticket_create(
            actor=desk.customer, subject="S", description="D",
            requester_email="someone.else@example.com",
        )  # fmt: skip


def test_a_customer_cannot_pick_a_private_help_topic(desk):
    private = factories.help_topic(department=desk.department, is_public=False)
    with nothing_changes(), pytest.raises(ValidationFailed):
        services.ticket_create(
            actor=desk.customer, subject="S", description="D", help_topic=private
        )


def test_an_agent_may_pick_a_private_help_topic(desk):
    private = factories.help_topic(department=desk.other_department, is_public=False)
    ticket = services.ticket_create(actor=desk.l1, subject="S", description="D", help_topic=private)
    assert ticket.department == desk.other_department


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 251}, "subject"),
        ({"description": ""}, "description"),
        ({"impact": "extreme"}, "impact"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"channel": "fax"}, "channel"),
        ({"type": "complaint"}, "type"),
        ({"device": "d" * 201}, "device"),
        ({"tags": [f"tag{n}" for n in range(21)]}, "tags"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_input_is_refused_and_changes_nothing(desk, fields, error_field):
    args = {"subject": "Printer", "description": "It jams.", **fields}
    with nothing_changes(), pytest.raises(ValidationFailed) as raised:
        services.ticket_create(actor=desk.customer, department=desk.department, **args)
    assert error_field in raised.value.fields


def test_a_refused_create_does_not_use_up_a_ticket_number(desk):
    first = desk.ticket().number
    with pytest.raises(ValidationFailed):
        desk.ticket(tags=[f"tag{n}" for n in range(21)])
    assert desk.ticket().number == first + 1


def test_too_many_attachments_are_refused(desk, settings):
    settings.HELPLINE_MAX_ATTACHMENTS = 1
    files = [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(2)]
    with nothing_changes(), pytest.raises(ValidationFailed) as raised:
        desk.ticket(attachments=files)
    assert "attachments" in raised.value.fields


def test_an_oversized_attachment_is_refused(desk, settings):
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = 3
    with nothing_changes(), pytest.raises(ValidationFailed):
        desk.ticket(attachments=[SimpleUploadedFile("big.bin", b"1234")])


def test_without_any_department_creation_is_refused(db):
    customer = factories.customer()
    with nothing_changes(), pytest.raises(ValidationFailed):
        services.ticket_create(actor=customer, subject="S", description="D")


# --- audit ---------------------------------------------------------------------------------


def test_creation_is_audited_with_the_initial_values(desk):
    ticket = desk.ticket(impact="high", urgency="medium")
    event = last_event(ticket)
    assert event.action == "ticket.create"
    assert event.actor == desk.customer
    assert event.object_type == "tickets.ticket"
    assert event.object_id == str(ticket.pk)
    assert event.changes == {
        "status": [None, "new"],
        "priority": [None, "high"],
        "department": [None, ref(desk.department)],
        "assignee": [None, ref(desk.l1)],
        "support_level": [None, 1],
        "requester": [None, ref(desk.customer)],
    }


def test_a_new_ticket_starts_at_version_one(desk):
    ticket = desk.ticket()
    assert Ticket.objects.get(pk=ticket.pk).version == 1
