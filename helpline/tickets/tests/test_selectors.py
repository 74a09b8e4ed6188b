"""Ticket reads: keyset pagination, filters, queue counts, and what a thread shows to whom."""

from __future__ import annotations

import base64

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline import factories
from helpline.accounts.models import Role, User
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.directory.models import DepartmentMembership
from helpline.tickets import selectors, services
from helpline.tickets.models import Attachment, EntryKind
from helpline.tickets.tests.scenarios import ticket_in


def _all_pages(user, limit, **filters) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = selectors.ticket_list(user=user, cursor=cursor, limit=limit, **filters)
        pages.append([ticket.pk for ticket in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


# --- pagination ----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "limit"), [(0, 3), (1, 3), (6, 3), (7, 3), (5, 1), (4, 100)])
def test_paging_returns_each_visible_ticket_exactly_once_newest_first(desk, count, limit):
    visible = [desk.ticket().pk for _ in range(count)]
    desk.ticket(department=desk.other_department)  # hidden from l1
    pages = _all_pages(desk.l1, limit)
    flat = [pk for page in pages for pk in page]
    assert flat == sorted(visible, reverse=True)
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages) == max(1, -(-count // limit))


def test_a_page_is_stable_when_newer_tickets_arrive(desk):
    tickets = [desk.ticket().pk for _ in range(4)]
    first = selectors.ticket_list(user=desk.l1, limit=2)
    desk.ticket()  # arrives between two page loads
    second = selectors.ticket_list(user=desk.l1, limit=2, cursor=first.next_cursor)
    assert [t.pk for t in first.items + second.items] == sorted(tickets, reverse=True)


def test_a_customer_pages_through_their_own_tickets_only(desk):
    mine = [desk.ticket().pk for _ in range(3)]
    desk.ticket(requester=desk.other_customer)
    assert [pk for page in _all_pages(desk.customer, 2) for pk in page] == mine[::-1]


def test_a_list_page_costs_a_fixed_number_of_queries(desk, django_assert_max_num_queries):
    for _ in range(5):
        desk.ticket(tags=["vpn"])
    # The page's ids, its rows with their related rows, their tags.
    with django_assert_max_num_queries(3):
        page = selectors.ticket_list(user=desk.l1, limit=25)
        for ticket in page.items:
            (
                ticket.requester.email,
                ticket.assignee,
                ticket.department.name,
                list(ticket.tags.all()),
            )


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "not-base64-at-all",
        base64.urlsafe_b64encode(b"id:abc").decode(),
        base64.urlsafe_b64encode(b"pk:12").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_bad_cursor_is_a_validation_error(desk, cursor):
    with pytest.raises(ValidationFailed) as raised:
        selectors.ticket_list(user=desk.l1, cursor=cursor)
    assert raised.value.fields == {"cursor": "invalid"}


def test_a_cursor_round_trips():
    assert selectors.decode_cursor(selectors.encode_cursor(12345)) == 12345


@pytest.mark.parametrize("limit", [0, -1, selectors.MAX_PAGE + 1])
def test_a_limit_out_of_range_is_a_validation_error(desk, limit):
    with pytest.raises(ValidationFailed) as raised:
        selectors.ticket_list(user=desk.l1, limit=limit)
    assert raised.value.fields == {"limit": "out of range"}


# --- filters -------------------------------------------------------------------------------


@pytest.fixture
def spread(desk):
    """Tickets in several states, departments and hands, all visible to the admin."""
    new = desk.ticket()  # l1
    pending = ticket_in(desk, "pending")  # l1
    resolved = ticket_in(desk, "resolved")  # l1
    l2s = desk.ticket()
    services.ticket_assign(actor=desk.admin, ticket=l2s, assignee=desk.l2)
    unassigned = desk.ticket()
    services.ticket_assign(actor=desk.admin, ticket=unassigned, assignee=None)
    network = desk.ticket(department=desk.other_department, requester=desk.other_customer)
    return {
        "new": new.pk, "pending": pending.pk, "resolved": resolved.pk, "l2s": l2s.pk,
        "unassigned": unassigned.pk, "network": network.pk,
    }  # fmt: skip


def _pks(user, **filters) -> set[int]:
    return {ticket.pk for ticket in selectors.ticket_list(user=user, **filters).items}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (["pending"], {"pending"}),
        (["new"], {"new", "l2s", "unassigned", "network"}),
        (["pending", "resolved"], {"pending", "resolved"}),
        (["closed"], set()),
    ],
)
def test_the_status_filter_takes_a_list(desk, spread, status, expected):
    assert _pks(desk.admin, status=status) == {spread[name] for name in expected}


def test_an_unknown_status_is_a_validation_error(desk):
    with pytest.raises(ValidationFailed):
        selectors.ticket_list(user=desk.admin, status=["open", "lost"])


def test_the_department_filter(desk, spread):
    assert _pks(desk.admin, department_id=desk.other_department.pk) == {spread["network"]}


@pytest.mark.parametrize(
    ("who", "assignee", "expected"),
    [
        ("l1", "me", {"new", "pending", "resolved"}),
        ("l2", "me", {"l2s"}),
        ("admin", "none", {"unassigned"}),
        ("admin", "l2", {"l2s"}),
        ("admin", "outsider", {"network"}),
    ],
)
def test_the_assignee_filter_takes_me_none_or_an_id(desk, spread, who, assignee, expected):
    if assignee not in ("me", "none"):
        assignee = str(getattr(desk, assignee).pk)
    assert _pks(getattr(desk, who), assignee=assignee) == {spread[name] for name in expected}


@pytest.mark.parametrize("assignee", ["bob", "-1", "1.5", "²"])
def test_a_malformed_assignee_is_a_validation_error(desk, assignee):
    with pytest.raises(ValidationFailed) as raised:
        selectors.ticket_list(user=desk.admin, assignee=assignee)
    assert raised.value.fields == {"assignee": "invalid"}


def test_the_requester_filter_takes_me(desk, spread):
    assert _pks(desk.other_customer, requester="me") == {spread["network"]}
    with pytest.raises(ValidationFailed):
        selectors.ticket_list(user=desk.admin, requester=str(desk.customer.pk))


def test_filters_never_widen_visibility(desk, spread):
    assert _pks(desk.l1, department_id=desk.other_department.pk) == set()
    assert _pks(desk.other_customer, assignee="none") == set()
    assert _pks(desk.customer, assignee="none") == {spread["unassigned"]}
    assert _pks(desk.outsider, status=["new"]) == {spread["network"]}


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("mine", {"new", "pending"}),
        ("unassigned", {"unassigned"}),
        ("department", {"new", "pending", "l2s", "unassigned"}),
        ("all", {"new", "pending", "resolved", "l2s", "unassigned"}),
    ],
)
def test_agent_queues(desk, spread, queue, expected):
    assert _pks(desk.l1, queue=queue) == {spread[name] for name in expected}


def test_queues_are_for_agents(desk):
    with pytest.raises(PermissionDenied):
        selectors.ticket_list(user=desk.customer, queue="mine")


def test_an_unknown_queue_is_a_validation_error(desk):
    with pytest.raises(ValidationFailed):
        selectors.ticket_list(user=desk.l1, queue="everything")


# --- queue counts --------------------------------------------------------------------------


def test_queue_counts_match_the_queues(desk, spread):
    counts = selectors.queue_counts(user=desk.l1)
    assert counts == {"mine": 2, "unassigned": 1, "department": 4}
    for name, count in counts.items():
        assert len(selectors.ticket_list(user=desk.l1, queue=name).items) == count


def test_queue_counts_of_an_agent_of_another_department(desk, spread):
    assert selectors.queue_counts(user=desk.outsider) == {
        "mine": 1, "unassigned": 0, "department": 1,
    }  # fmt: skip


def test_queue_counts_include_tickets_assigned_from_outside_my_departments(desk):
    ticket = desk.ticket(department=desk.other_department)
    services.ticket_assign(actor=desk.admin, ticket=ticket, assignee=desk.admin)
    assert selectors.queue_counts(user=desk.admin) == {"mine": 1, "unassigned": 0, "department": 0}


def test_customers_get_no_queue_counts(desk):
    desk.ticket()
    assert selectors.queue_counts(user=desk.customer) == {}


# --- thread and trail ----------------------------------------------------------------------


@pytest.fixture
def discussed(desk):
    ticket = desk.ticket()
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Which model?")
    services.ticket_note(actor=desk.l1, ticket=ticket, body="Internal: known bug.")
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="An HP.")
    return ticket


def test_the_thread_hides_internal_notes_from_customers(desk, discussed):
    entries = selectors.ticket_entries(user=desk.customer, ticket=discussed)
    assert EntryKind.NOTE not in {entry.kind for entry in entries}
    assert [e.body for e in entries if e.kind != EntryKind.EVENT] == ["Which model?", "An HP."]


def test_the_thread_hides_internal_notes_from_collaborators(desk, discussed):
    cc = factories.customer()
    discussed.collaborators.add(cc)
    entries = selectors.ticket_entries(user=cc, ticket=discussed)
    assert all(not entry.is_internal for entry in entries)


@pytest.mark.parametrize("who", ["l1", "admin"])
def test_agents_see_the_whole_thread_in_order(desk, discussed, who):
    entries = selectors.ticket_entries(user=getattr(desk, who), ticket=discussed)
    assert [e.kind for e in entries] == ["reply", "event", "note", "customer_message"]


def test_each_entry_carries_its_own_attachments_and_customers_never_get_a_notes_files(desk):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.utils import CaptureQueriesContext

    ticket = desk.ticket(attachments=[SimpleUploadedFile("ticket.txt", b"t")])
    services.ticket_reply(
        actor=desk.l1,
        ticket=ticket,
        body="Logs attached.",
        attachments=[SimpleUploadedFile(f"log{n}.txt", b"x") for n in range(2)],
    )
    note = services.ticket_note(actor=desk.l1, ticket=ticket, body="Internal dump.")
    # Notes take no uploads today; a file on one (a mail forwarded as a note, say) must stay
    # internal all the same.
    Attachment.objects.create(
        ticket=ticket, entry=note, file="x/dump.bin", filename="dump.bin", size=6
    )

    def files(user):
        with CaptureQueriesContext(connection) as queries:
            entries = selectors.ticket_entries(user=user, ticket=ticket)
        assert len(queries) == 2  # the entries with their authors, then the attachments
        return {entry.body: [f.filename for f in entry.files] for entry in entries if entry.files}

    assert files(desk.l1) == {
        "Logs attached.": ["log0.txt", "log1.txt"],
        "Internal dump.": ["dump.bin"],
    }
    assert files(desk.customer) == {"Logs attached.": ["log0.txt", "log1.txt"]}


def test_the_audit_trail_is_for_agents_only(desk, discussed):
    with pytest.raises(PermissionDenied):
        selectors.ticket_events(user=desk.customer, ticket=discussed)
    actions = [e.action for e in selectors.ticket_events(user=desk.l1, ticket=discussed)]
    assert actions == ["ticket.create", "ticket.reply", "ticket.note", "ticket.customer_message"]


def _agents_by_the_orm(department_id: int | None) -> list[User]:
    agents = User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
    if department_id is not None:
        agents = agents.filter(departmentmembership__department_id=department_id)
    return list(agents.prefetch_related("departments").order_by("support_level", "name", "id"))


@pytest.mark.parametrize("which", ["all", "department", "other_department"])
def test_agent_list_gives_what_the_orm_gives_with_departments_loaded(desk, which):
    both = factories.agent(departments=[desk.other_department, desk.department], name="Both")
    gone = factories.agent(departments=[desk.department], name="Gone")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    department_id = None if which == "all" else getattr(desk, which).pk
    expected = _agents_by_the_orm(department_id)

    with CaptureQueriesContext(connection) as queries:
        agents = selectors.agent_list(department_id=department_id)
        departments = {agent.pk: list(agent.departments.all()) for agent in agents}

    assert len(queries) == 2
    assert agents == expected
    assert departments == {agent.pk: list(agent.departments.all()) for agent in expected}
    assert [d.name for d in departments[both.pk]] == ["Helpdesk", "Network"]  # by name


def test_the_agent_roster_is_read_once_and_then_served_without_a_query(desk):
    first = selectors.agent_list()

    with CaptureQueriesContext(connection) as queries:
        again = selectors.agent_list(department_id=desk.department.pk)
        roster = selectors.agent_roster()

    assert len(queries) == 0
    assert again == [a for a in first if desk.department in roster.departments_of[a.pk]]
    assert roster.agents == tuple(first)


def test_a_membership_or_an_agent_changed_in_this_process_is_seen_at_once(desk):
    newcomer = factories.agent(departments=[desk.other_department], name="Newcomer")
    selectors.agent_list()

    DepartmentMembership.objects.create(user=newcomer, department=desk.department)
    assert newcomer in selectors.agent_list(department_id=desk.department.pk)
    assert [d.name for d in selectors.agent_roster().departments_of[newcomer.pk]] == [
        "Helpdesk",
        "Network",
    ]

    newcomer.is_active = False
    newcomer.save()
    assert newcomer not in selectors.agent_list()
    assert newcomer.pk not in selectors.agent_roster().departments_of


def _file(ticket, entry, name):
    attachment = Attachment(ticket=ticket, entry=entry, filename=name, size=1)
    attachment.file.save(name, ContentFile(b"x"), save=False)
    attachment.save()
    return attachment


def test_a_thread_page_gives_the_customer_no_note_and_no_note_file_between_public_ones(desk):
    ticket = desk.ticket()
    _file(ticket, None, "ticket.txt")
    services.ticket_take(actor=desk.l1, ticket=ticket)  # its status event comes first
    first = services.ticket_reply(actor=desk.l1, ticket=ticket, body="First")
    note = services.ticket_note(actor=desk.l1, ticket=ticket, body="Secret")
    last = services.ticket_reply(actor=desk.l1, ticket=ticket, body="Last")
    for entry, name in ((first, "first.txt"), (note, "secret.txt"), (last, "last.txt")):
        _file(ticket, entry, name)

    opened = ticket.entries.get(kind=EntryKind.EVENT).body

    def shown(user, **paging):
        page = selectors.ticket_thread_page(user=user, ticket=ticket, **paging)
        return (
            [(e.body, [f.filename for f in e.files]) for e in page.entries],
            page.earlier,
            [f.filename for f in page.ticket_files],
        )

    assert shown(desk.customer) == (
        [(opened, []), ("First", ["first.txt"]), ("Last", ["last.txt"])],
        0,
        ["ticket.txt"],
    )
    assert shown(desk.customer, limit=1) == ([("Last", ["last.txt"])], 2, ["ticket.txt"])
    assert shown(desk.customer, limit=1, before=last.pk)[:2] == ([("First", ["first.txt"])], 1)
    assert shown(desk.l1, limit=2)[:2] == (
        [("Secret", ["secret.txt"]), ("Last", ["last.txt"])],
        2,
    )


def test_a_login_or_an_assignment_keeps_the_roster_and_saves_nothing_else(desk, client):
    selectors.agent_list()
    desk.ticket()  # auto-assigned to desk.l1: its turn in the rotation is written
    client.force_login(desk.l2)  # its last login is written

    with CaptureQueriesContext(connection) as queries:
        selectors.agent_list()

    assert len(queries) == 0
    assert User.objects.get(pk=desk.l1.pk).last_assigned_at is not None
