"""search_tickets: what a search finds, for whom, in which order, and what it quotes.

Every ticket, reply and edit goes through the ticket services, so the index sees the same
writes the product makes.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline import factories
from helpline.accounts.models import User
from helpline.core.errors import ValidationFailed
from helpline.directory.models import Category
from helpline.search import selectors as search_selectors
from helpline.search.backends import sqlite as sqlite_backend
from helpline.search.query import Filter, parse_query
from helpline.search.selectors import SearchPage, search_tickets
from helpline.tickets import services
from helpline.tickets.models import Ticket
from helpline.tickets.services import Resolution
from helpline.tickets.tests.scenarios import ticket_in


@pytest.fixture(params=["bm25", "common"])
def ranking(request, monkeypatch):
    """Runs a test both ways SQLite ranks: by bm25(), and as for a common word (every phrase
    counts as common: COMMON_ROWS is 1). PostgreSQL ranks one way only."""
    if request.param == "common":
        if connection.vendor != "sqlite":
            pytest.skip("only SQLite ranks common words another way")
        monkeypatch.setattr(sqlite_backend, "COMMON_ROWS", 1)
    return request.param


def found(user: User, query: str = "", **options) -> list[int]:
    return [hit.ticket.number for hit in search_tickets(user=user, query=query, **options).hits]


def only_marks(html: str) -> bool:
    """True when the only tags in ``html`` are the highlight tags."""
    return set(re.findall(r"<[^>]*>", html)) <= {"<mark>", "</mark>"}


# --- words, prefixes, phrases, exclusions ---------------------------------------------------


def test_a_word_finds_the_tickets_whose_subject_or_description_has_it(desk, ranking):
    printer = desk.ticket(subject="Printer on floor 3", description="It jams.")
    scanner = desk.ticket(subject="Scanner", description="The printer next to it works.")
    desk.ticket(subject="VPN", description="Cannot connect.")
    assert sorted(found(desk.l1, "printer")) == [printer.number, scanner.number]


def test_words_match_whatever_their_case_and_accents(desk):
    ticket = desk.ticket(subject="Café machine", description="Crème brûlée everywhere")
    assert found(desk.l1, "CAFE") == [ticket.number]
    assert found(desk.l1, "creme brulee") == [ticket.number]
    assert found(desk.l1, "café") == [ticket.number]


def test_every_word_of_the_query_must_match(desk):
    both = desk.ticket(subject="Printer jam", description="Paper stuck.")
    desk.ticket(subject="Printer offline", description="No network.")
    assert found(desk.l1, "printer jam") == [both.number]


def test_a_prefix_finds_partial_words(desk):
    ticket = desk.ticket(subject="Printer", description="The paper jammed again.")
    assert found(desk.l1, "print*") == [ticket.number]
    assert found(desk.l1, "jam*") == [ticket.number]
    assert found(desk.l1, "pap*") == [ticket.number]
    assert found(desk.l1, "pap") == []


def test_a_phrase_matches_its_words_in_order(desk, ranking):
    in_order = desk.ticket(subject="Crash", description="A blue screen appears at boot.")
    desk.ticket(subject="Display", description="The screen is blue.")
    assert found(desk.l1, '"blue screen"') == [in_order.number]


def test_an_excluded_word_drops_tickets_that_have_it_anywhere_the_user_can_read(desk, ranking):
    jam = desk.ticket(subject="Printer jam")
    toner = desk.ticket(subject="Printer offline")
    services.ticket_reply(actor=desk.l1, ticket=toner, body="Check the toner.")
    assert found(desk.l1, "printer -toner") == [jam.number]
    assert found(desk.l1, "printer -jam") == [toner.number]
    assert found(desk.l1, 'printer -"offline"') == [jam.number]


def test_an_exclusion_alone_lists_every_other_ticket_newest_first(desk):
    first = desk.ticket(subject="Printer jam")
    desk.ticket(subject="VPN down")
    third = desk.ticket(subject="Mouse broken")
    page = search_tickets(user=desk.l1, query="-vpn")
    assert [hit.ticket.number for hit in page.hits] == [third.number, first.number]
    assert not page.ranked


def test_an_internal_note_cannot_exclude_a_ticket_for_a_customer(desk, ranking):
    # Otherwise "-word" would let a customer probe what the notes on their ticket say.
    ticket = desk.ticket(subject="Printer")
    services.ticket_note(actor=desk.l1, ticket=ticket, body="The toner is empty.")
    assert found(desk.customer, "printer -toner") == [ticket.number]
    assert found(desk.l1, "printer -toner") == []


# --- ticket numbers and requester emails ----------------------------------------------------


def test_a_ticket_number_finds_that_ticket_exactly(desk):
    first = desk.ticket()
    second = desk.ticket()
    assert found(desk.l1, f"#{first.number}") == [first.number]
    assert found(desk.l1, str(second.number)) == [second.number]
    assert found(desk.l1, str(second.number + 100)) == []


def test_a_requester_email_finds_that_requesters_tickets(desk):
    desk.ticket()
    other = desk.ticket(requester=desk.other_customer)
    assert found(desk.l1, desk.other_customer.email.upper()) == [other.number]


def test_the_start_of_a_ticket_number_finds_the_tickets_numbered_so(desk):
    ticket = desk.ticket(subject="Printer")
    prefix = str(ticket.number)[:-1]
    assert ticket.number in found(desk.l1, f"{prefix}*")
    assert ticket.number in found(desk.l1, f"#{prefix}*")


def test_a_ticket_number_combines_with_text(desk):
    ticket = desk.ticket(subject="Printer jam")
    assert found(desk.l1, f"#{ticket.number} printer") == [ticket.number]
    assert found(desk.l1, f"#{ticket.number} vpn") == []


# --- filters --------------------------------------------------------------------------------


def test_filters_narrow_a_text_search(desk, ranking):
    open_one = ticket_in(desk, "open", subject="Printer jam")
    new_one = desk.ticket(subject="Printer offline")
    elsewhere = desk.ticket(subject="Printer smoke", department=desk.other_department)
    assert found(desk.admin, "printer status:open") == [open_one.number]
    assert found(desk.admin, "printer -status:open dept:helpdesk") == [new_one.number]
    assert found(desk.admin, "printer dept:Network") == [elsewhere.number]
    assert sorted(found(desk.admin, "printer status:new,open dept:helpdesk")) == sorted(
        [open_one.number, new_one.number]
    )


def test_assignee_filters_read_me_none_an_email_and_an_id(desk):
    mine = ticket_in(desk, "open", subject="Printer jam")  # taken by l1
    theirs = desk.ticket(subject="Printer offline")
    services.ticket_assign(actor=desk.l1, ticket=theirs, assignee=desk.l2)
    nobody = desk.ticket(subject="Printer smoke")
    services.ticket_assign(actor=desk.l1, ticket=nobody, assignee=None)
    assert found(desk.l1, "printer assignee:me") == [mine.number]
    assert found(desk.l1, f"printer assignee:{desk.l2.email.upper()}") == [theirs.number]
    assert found(desk.l1, f"printer assignee:{desk.l2.pk}") == [theirs.number]
    assert found(desk.l1, "printer assignee:none") == [nobody.number]
    assert found(desk.l1, "printer -assignee:none -assignee:me") == [theirs.number]
    assert found(desk.l1, "printer is:unassigned") == [nobody.number]


def test_tag_type_priority_and_channel_filters_combine(desk):
    tagged = desk.ticket(subject="VPN drops", tags=["vpn", "remote"], type="service_request")
    other = desk.ticket(subject="VPN slow", tags=["remote"], urgency="high", impact="high")
    assert found(desk.l1, "tag:vpn") == [tagged.number]
    assert found(desk.l1, "tag:VPN type:service_request channel:web") == [tagged.number]
    assert found(desk.l1, "vpn -tag:vpn") == [other.number]
    assert found(desk.l1, f"tag:remote priority:{other.priority}") == [other.number]
    assert other.priority != tagged.priority


def test_a_category_filter_includes_its_subcategories(desk):
    hardware = Category.objects.create(name="Hardware")
    laptop = Category.objects.create(name="Laptop", parent=hardware)
    battery = desk.ticket(subject="Battery", category=laptop)
    desk.ticket(subject="Other")
    assert found(desk.l1, "category:hardware") == [battery.number]
    assert found(desk.l1, f"category:{laptop.pk}") == [battery.number]


def test_a_date_filter_reads_whole_days(desk):
    ticket = desk.ticket(subject="Printer")
    day = ticket.created_at.date().isoformat()
    assert found(desk.l1, f"created:{day}") == [ticket.number]
    assert found(desk.l1, f"created:>={day} printer") == [ticket.number]
    assert found(desk.l1, f"created:<{day}") == []
    assert found(desk.l1, f"updated:{day}..{day}") == [ticket.number]


def test_is_filters_read_open_mine_and_unassigned(desk):
    mine = ticket_in(desk, "open", subject="Mine")
    resolved = ticket_in(desk, "resolved", subject="Done")
    assert mine.number in found(desk.l1, "is:mine is:open")
    assert resolved.number not in found(desk.l1, "is:open")
    assert found(desk.customer, "is:mine") == [resolved.number, mine.number]


def test_team_level_and_breached_filters(desk):
    team = factories.team(name="Field Service")
    on_team = desk.ticket(subject="Printer jam")
    services.ticket_update(
        actor=desk.l1, ticket=on_team, expected_version=on_team.version, changes={"team": team}
    )
    escalated = ticket_in(desk, "open", subject="Printer fire")
    services.ticket_escalate(actor=desk.l1, ticket=escalated, note="Needs level 2.")
    Ticket.objects.filter(pk=escalated.pk).update(resolution_state="breached")
    assert found(desk.l1, 'printer team:"field service"') == [on_team.number]
    assert found(desk.l1, f"team:{team.pk}") == [on_team.number]
    assert found(desk.admin, "printer level:2") == [escalated.number]
    assert found(desk.admin, "is:breached") == [escalated.number]
    assert found(desk.admin, "printer -is:breached") == [on_team.number]


def test_filters_from_other_inputs_combine_with_the_query(desk):
    open_one = ticket_in(desk, "open", subject="Printer jam")
    desk.ticket(subject="Printer offline")
    page = search_tickets(user=desk.l1, query="printer", filters=[Filter("status", ("open",))])
    assert [hit.ticket.number for hit in page.hits] == [open_one.number]


def test_a_parsed_query_can_be_passed_as_is(desk):
    ticket = desk.ticket(subject="Printer jam")
    assert found(desk.l1, parse_query("printer")) == [ticket.number]


# --- ranking --------------------------------------------------------------------------------


def test_a_subject_match_outranks_a_thread_match(desk, ranking):
    in_subject = desk.ticket(subject="Docking station firmware", description="Needs an update.")
    in_thread = desk.ticket(subject="Laptop slow", description="Takes ages to boot.")
    services.ticket_reply(
        actor=desk.l1, ticket=in_thread, body="Is the docking station firmware current?"
    )
    page = search_tickets(user=desk.l1, query="docking firmware")
    assert [hit.ticket.number for hit in page.hits] == [in_subject.number, in_thread.number]
    assert page.ranked
    assert page.hits[0].rank > page.hits[1].rank


def test_a_subject_match_outranks_a_description_match(desk, ranking):
    in_subject = desk.ticket(subject="Keyboard missing keys", description="Several are gone.")
    in_description = desk.ticket(subject="Desk move", description="Bring the keyboard along.")
    assert found(desk.l1, "keyboard") == [in_subject.number, in_description.number]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's ranking of common words")
def test_a_common_word_ranks_subject_over_description_over_thread_newest_first(desk, monkeypatch):
    monkeypatch.setattr(sqlite_backend, "COMMON_ROWS", 1)
    old_subject = desk.ticket(subject="Monitor flickers", description="Since Monday.")
    in_thread = desk.ticket(subject="Laptop", description="Slow.")
    services.ticket_reply(actor=desk.customer, ticket=in_thread, body="The monitor too.")
    in_description = desk.ticket(subject="Desk move", description="Take the monitor along.")
    new_subject = desk.ticket(subject="Second monitor", description="For the designer.")
    both = desk.ticket(subject="Laptop dock", description="The dock drops the monitor.")
    services.ticket_reply(actor=desk.l1, ticket=both, body="Which monitor?")
    page = search_tickets(user=desk.l1, query="monitor")
    assert [hit.ticket.number for hit in page.hits] == [
        new_subject.number,
        old_subject.number,
        both.number,
        in_description.number,
        in_thread.number,
    ]
    ranks = [hit.rank for hit in page.hits]
    assert ranks == [10.0, 10.0, 4.8, 4.0, 0.8]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's count of common phrases")
def test_a_phrase_is_common_from_common_rows_rows_of_either_index(desk, monkeypatch):
    monkeypatch.setattr(sqlite_backend, "COMMON_ROWS", 2)
    desk.ticket(subject="Scanner", description="Paper jam.")
    desk.ticket(subject="Scanner again")
    replied = desk.ticket(subject="Laptop")
    services.ticket_reply(actor=desk.l1, ticket=replied, body="The hinge is loose.")
    services.ticket_reply(actor=desk.l1, ticket=replied, body="A new hinge is ordered.")

    def common(text: str) -> bool:
        backend = sqlite_backend.SqliteBackend()
        test, params = sqlite_backend._common_test(backend.match_expression(parse_query(text)))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {test}", params)
            return bool(cursor.fetchone()[0])

    assert common("scanner")  # two tickets
    assert common("hinge")  # two entries
    assert common("jam scanner")  # one of its phrases
    assert common("scan*")
    assert not common("jam")
    assert not common('"paper jam"')
    assert not common("laptop")


def test_without_text_the_hits_are_newest_first_and_unranked(desk):
    first = desk.ticket(subject="Printer")
    second = desk.ticket(subject="Printer")
    page = search_tickets(user=desk.l1, query="dept:helpdesk")
    assert [hit.ticket.number for hit in page.hits] == [second.number, first.number]
    assert {hit.rank for hit in page.hits} == {None}
    assert {hit.snippet for hit in page.hits} == {None}


# --- the index follows every write ----------------------------------------------------------


def test_a_reply_is_searchable_as_soon_as_it_is_written(desk):
    ticket = desk.ticket(subject="Laptop")
    assert found(desk.l1, "hinge") == []
    entry = services.ticket_reply(actor=desk.customer, ticket=ticket, body="The hinge cracked.")
    page = search_tickets(user=desk.l1, query="hinge")
    assert [hit.ticket.number for hit in page.hits] == [ticket.number]
    assert page.hits[0].entry_id == entry.pk


def test_an_edited_subject_is_found_by_its_new_words_only(desk):
    ticket = desk.ticket(subject="Printer jam")
    services.ticket_update(
        actor=desk.l1, ticket=ticket, expected_version=ticket.version,
        changes={"subject": "Scanner jam"},
    )  # fmt: skip
    assert found(desk.l1, "scanner") == [ticket.number]
    assert found(desk.l1, "printer") == []
    assert found(desk.l1, "jam") == [ticket.number]


def test_a_resolution_is_searchable(desk):
    ticket = ticket_in(desk, "open", subject="Network down")
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve",
        resolution=Resolution(problem_identified="Faulty switch", action_taken="Replaced it"),
    )  # fmt: skip
    page = search_tickets(user=desk.customer, query="switch")
    assert [hit.ticket.number for hit in page.hits] == [ticket.number]
    assert "<mark>switch</mark>" in page.hits[0].snippet


def test_system_events_are_not_searched(desk):
    ticket = ticket_in(desk, "open", subject="Mouse")  # "Status changed from New to Open."
    assert ticket.entries.filter(kind="event").exists()
    assert found(desk.l1, "changed") == []


def test_a_deleted_ticket_is_no_longer_found(desk):
    ticket = desk.ticket(subject="Printer")
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Toner ordered.")
    ticket.delete()
    assert found(desk.admin, "printer") == []
    assert found(desk.admin, "toner") == []


# --- who sees what --------------------------------------------------------------------------


def test_customers_never_match_internal_notes(desk, ranking):
    ticket = desk.ticket(subject="Laptop")
    services.ticket_note(actor=desk.l1, ticket=ticket, body="Warranty expired, zebra code.")
    assert found(desk.customer, "zebra") == []
    assert found(desk.customer, "zebr*") == []
    assert found(desk.customer, '"zebra code"') == []
    assert found(desk.l1, "zebra") == [ticket.number]


def test_a_customer_snippet_never_quotes_an_internal_note(desk, ranking):
    ticket = desk.ticket(subject="Laptop")
    services.ticket_note(actor=desk.l1, ticket=ticket, body="printer password is hunter2")
    reply = services.ticket_reply(actor=desk.l1, ticket=ticket, body="Try the printer again.")
    customer_hit = search_tickets(user=desk.customer, query="printer").hits[0]
    assert "hunter2" not in customer_hit.snippet
    assert customer_hit.entry_id == reply.pk
    agent_snippets = [hit.snippet for hit in search_tickets(user=desk.l1, query="hunter2").hits]
    assert "<mark>hunter2</mark>" in agent_snippets[0]


def test_customers_never_find_other_customers_tickets(desk, ranking):
    mine = desk.ticket(subject="Printer jam")
    theirs = desk.ticket(subject="Printer jam", requester=desk.other_customer)
    stranger = factories.customer()
    assert found(desk.customer, "printer") == [mine.number]
    assert found(desk.customer, f"#{theirs.number}") == []
    assert found(desk.customer, desk.other_customer.email) == []
    assert found(desk.customer, "") == [mine.number]
    assert found(stranger, "printer") == []


def test_agents_of_another_department_do_not_find_its_tickets(desk, ranking):
    ticket = desk.ticket(subject="Printer jam")
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Replaced the fuser.")
    assert found(desk.outsider, "printer") == []
    assert found(desk.outsider, "fuser") == []
    assert found(desk.outsider, f"#{ticket.number}") == []
    assert found(desk.l2, "fuser") == [ticket.number]
    assert found(desk.admin, "fuser") == [ticket.number]


def test_a_routed_ticket_is_found_by_its_new_department_only(desk, ranking):
    ticket = desk.ticket(subject="Printer jam")
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Replaced the fuser.")

    services.ticket_route(actor=desk.admin, ticket=ticket, department=desk.other_department)

    assert found(desk.outsider, "fuser") == [ticket.number]
    assert found(desk.outsider, "printer") == [ticket.number]
    assert found(desk.l2, "fuser") == []
    assert found(desk.l2, "printer") == []


def test_an_agent_finds_a_ticket_of_another_department_assigned_to_them(desk, ranking):
    ticket = desk.ticket(subject="Printer jam", department=desk.other_department)
    services.ticket_reply(actor=desk.outsider, ticket=ticket, body="Replaced the fuser.")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=desk.l2)

    assert found(desk.l2, "fuser") == [ticket.number]
    assert found(desk.l2, '"printer jam"') == [ticket.number]
    assert found(desk.l1, "fuser") == []


def test_an_agent_of_several_departments_ranks_the_newest_matches_of_all_of_them(
    desk, ranking, monkeypatch
):
    # Ranking reads the newest RANK_WINDOW matches of all the agent may see: with a window of
    # three, the three newest across both departments and the assigned ticket, not three of
    # each department or none of the single ticket's.
    monkeypatch.setattr(search_selectors, "RANK_WINDOW", 3)
    third = factories.department(name="Security", slug="security")
    both = factories.agent(departments=[desk.department, desk.other_department], name="Both")
    older_here = desk.ticket(subject="Zephyr outage")
    older_there = desk.ticket(subject="Zephyr outage", department=desk.other_department)
    assigned = desk.ticket(subject="Zephyr outage", department=third)
    Ticket.objects.filter(pk=assigned.pk).update(assignee=both)
    newer_here = desk.ticket(subject="Zephyr outage")
    newer_there = desk.ticket(subject="Zephyr outage", department=desk.other_department)
    desk.ticket(subject="Zephyr outage", department=third)  # not theirs

    assert sorted(found(both, "zephyr")) == sorted(
        [newer_there.number, newer_here.number, assigned.number]
    )
    monkeypatch.setattr(search_selectors, "RANK_WINDOW", 300)
    assert sorted(found(both, "zephyr")) == sorted(
        [older_here.number, older_there.number, assigned.number, newer_here.number,
         newer_there.number]
    )  # fmt: skip


def test_an_inactive_user_finds_nothing(desk):
    desk.ticket(subject="Printer")
    desk.l1.is_active = False
    assert found(desk.l1, "printer") == []


# --- bad queries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "status:bogus",
        '"unterminated',
        "created:2026-13-45",
        "-",
        "assignee:someone",
        "***",
        '"" ""',
        "NEAR(a b) OR c AND ^d",
        "col:value",
        "a" * 1500,
        "!@#$%^&()",
        "'; DROP TABLE tickets_ticket; --",
        "\x00\x01 printer \ud800",
    ],
)
def test_a_bad_query_gives_errors_or_nothing_never_an_exception(desk, text):
    desk.ticket(subject="Printer")
    page = search_tickets(user=desk.l1, query=text)
    assert isinstance(page, SearchPage)


def test_the_readable_part_of_a_bad_query_is_still_searched(desk):
    ticket = desk.ticket(subject="Printer jam")
    page = search_tickets(user=desk.l1, query='printer status:bogus "jam')
    assert [hit.ticket.number for hit in page.hits] == [ticket.number]
    assert [error.message for error in page.errors] == [
        'unknown status "bogus" — expected one of new, open, pending, on_hold, resolved, closed',
        "unterminated quote",
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=60))
def test_no_text_makes_a_search_fail(desk, text):
    if not Ticket.objects.exists():
        ticket = desk.ticket(subject="Printer jam", description="Paper stuck in tray 2.")
        services.ticket_note(actor=desk.l1, ticket=ticket, body="Fuser worn.")
    for user in (desk.l1, desk.customer):
        search_tickets(user=user, query=text)
        search_tickets(user=user, query=text + "*")


# --- snippets -------------------------------------------------------------------------------


def test_a_snippet_marks_the_matched_words(desk):
    desk.ticket(subject="Laptop", description="The battery drains overnight.")
    snippet = search_tickets(user=desk.l1, query="drain*").hits[0].snippet
    assert "<mark>drains</mark>" in snippet
    assert "battery" in snippet


def test_a_snippet_escapes_the_ticket_text(desk):
    desk.ticket(
        subject="Odd page",
        description='<script>alert("printer")</script> & <img src=x onerror=printer> printer',
    )
    snippet = search_tickets(user=desk.l1, query="printer").hits[0].snippet
    assert "<mark>printer</mark>" in snippet
    assert only_marks(snippet)
    assert re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", snippet) is None


def test_a_snippet_escapes_a_reply(desk):
    ticket = desk.ticket(subject="Laptop")
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="<b>bold</b> hinge \ue000x")
    snippet = search_tickets(user=desk.l1, query="hinge").hits[0].snippet
    assert "<mark>hinge</mark>" in snippet
    assert only_marks(snippet)


def test_a_thread_snippet_quotes_the_entry_with_most_matches_then_the_newest(desk, ranking):
    ticket = desk.ticket(subject="Laptop")
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="The fan is loud.")
    most = services.ticket_reply(actor=desk.l1, ticket=ticket, body="Fan dust: clean the fan.")
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Cleaned the fan.")
    hit = search_tickets(user=desk.l1, query="fan").hits[0]
    assert hit.entry_id == most.pk
    assert hit.snippet.count("<mark>") == 2
    newest = services.ticket_reply(actor=desk.l1, ticket=ticket, body="Fan ok? Fan quiet?")
    assert search_tickets(user=desk.l1, query="fan").hits[0].entry_id == newest.pk


# --- paging and cost ------------------------------------------------------------------------


def test_ranked_hits_page_with_a_cursor(desk, ranking):
    numbers = {desk.ticket(subject=f"Printer {n}").number for n in range(5)}
    first = search_tickets(user=desk.l1, query="printer", limit=3)
    second = search_tickets(user=desk.l1, query="printer", limit=3, cursor=first.next_cursor)
    assert len(first.hits) == 3 and len(second.hits) == 2
    assert second.next_cursor is None
    assert {hit.ticket.number for hit in first.hits + second.hits} == numbers


def test_unranked_hits_page_with_a_cursor(desk):
    numbers = [desk.ticket().number for _ in range(5)]
    first = search_tickets(user=desk.l1, limit=2)
    second = search_tickets(user=desk.l1, limit=2, cursor=first.next_cursor)
    third = search_tickets(user=desk.l1, limit=2, cursor=second.next_cursor)
    pages = [first, second, third]
    assert [hit.ticket.number for page in pages for hit in page.hits] == numbers[::-1]
    assert third.next_cursor is None


@pytest.mark.parametrize("cursor", ["nonsense", "aWQ6MQ", "YXQ6LTE"])  # "id:1" on ranked, "at:-1"
def test_a_bad_cursor_is_refused(desk, cursor):
    with pytest.raises(ValidationFailed):
        search_tickets(user=desk.l1, query="printer", cursor=cursor)


def test_a_limit_out_of_range_is_refused(desk):
    with pytest.raises(ValidationFailed):
        search_tickets(user=desk.l1, query="printer", limit=101)


def test_a_page_of_hits_costs_the_same_few_queries_however_many_match(
    desk, django_assert_max_num_queries
):
    for n in range(30):
        ticket = desk.ticket(subject=f"Printer {n}", tags=["print"])
        services.ticket_reply(actor=desk.l1, ticket=ticket, body="printer toner")
    with django_assert_max_num_queries(5) as captured:
        page = search_tickets(user=desk.customer, query="printer", limit=25)
        for hit in page.hits:
            _ = (hit.ticket.requester.email, hit.ticket.department.name, hit.ticket.assignee)
            _ = [tag.name for tag in hit.ticket.tags.all()]
    assert len(page.hits) == 25
    assert not any("COUNT(" in query["sql"].upper() for query in captured.captured_queries)
