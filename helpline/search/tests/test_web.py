"""The search pages, the portal search box and the queue page's views, sorts and columns."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.search import services as search_services
from helpline.search.models import SavedView
from helpline.tickets import selectors as ticket_selectors
from helpline.tickets import services
from helpline.tickets.models import Ticket


def numbers_in(html: str) -> list[int]:
    """Ticket numbers in the order their links appear (each once)."""
    found = re.findall(r'href="/(?:desk/)?tickets/(\d+)/"', html)
    return [int(n) for n in dict.fromkeys(found)]


# --- agent search page ----------------------------------------------------------------------


def test_the_search_page_ranks_hits_and_marks_the_matched_words(desk, client):
    weak = desk.ticket(subject="Laptop", description="The vpn drops.")
    strong = desk.ticket(subject="VPN down", description="No vpn, vpn broken.")
    client.force_login(desk.l1)

    response = client.get("/desk/search/", {"q": "vpn"})

    html = response.content.decode()
    assert response.status_code == 200
    assert numbers_in(html)[:2] == [strong.number, weak.number]
    assert "<mark>vpn</mark>" in html
    assert "Best matches first" in html


def test_the_search_page_combines_the_query_with_the_filter_panel(desk, client):
    network = desk.ticket(subject="Printer", department=desk.other_department)
    desk.ticket(subject="Printer")
    client.force_login(desk.admin)

    response = client.get(
        "/desk/search/", {"q": "printer", "department": str(desk.other_department.pk)}
    )

    assert numbers_in(response.content.decode()) == [network.number]


def test_the_search_page_filters_by_tag_priority_and_date(desk, client):
    tagged = desk.ticket(subject="A", tags=["vpn"], impact="high", urgency="high")
    desk.ticket(subject="B", tags=["vpn"])
    desk.ticket(subject="C", impact="high", urgency="high")
    today = tagged.created_at.date().isoformat()
    client.force_login(desk.l1)

    response = client.get(
        "/desk/search/",
        {"tag": "vpn", "priority": "critical", "created_from": today, "created_to": today},
    )

    assert numbers_in(response.content.decode()) == [tagged.number]


def test_a_query_error_is_shown_and_the_rest_of_the_query_still_searched(desk, client):
    ticket = desk.ticket(subject="Printer")
    client.force_login(desk.l1)

    response = client.get("/desk/search/", {"q": "printer status:opn"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "unknown status &quot;opn&quot;" in html
    assert numbers_in(html) == [ticket.number]


def test_a_bad_filter_value_is_a_400_with_a_message(desk, client):
    client.force_login(desk.l1)

    response = client.get("/desk/search/", {"created_from": "yesterday"})

    assert response.status_code == 400
    assert "bad date" in response.content.decode()


def test_a_bad_cursor_is_a_400_not_a_500(desk, client):
    client.force_login(desk.l1)

    assert client.get("/desk/search/", {"q": "x", "cursor": "!!!"}).status_code == 400


def test_the_search_page_pages_with_a_next_link(desk, client):
    for n in range(27):
        desk.ticket(subject=f"Printer {n}")
    client.force_login(desk.l1)

    first = client.get("/desk/search/", {"q": "printer"}).content.decode()
    link = re.search(r'href="(\?[^"]*cursor=[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(f"/desk/search/{link}").content.decode()

    assert len(numbers_in(first)) == 25
    assert len(numbers_in(second)) == 2
    assert not set(numbers_in(first)) & set(numbers_in(second))


def test_customers_have_no_agent_search_page(desk, client):
    client.force_login(desk.customer)

    assert client.get("/desk/search/").status_code == 404


def test_every_agent_page_has_the_search_box(desk, client):
    client.force_login(desk.l1)

    html = client.get("/desk/").content.decode()

    assert 'action="/desk/search/"' in html


def test_the_search_page_costs_the_same_queries_for_more_hits(
    desk, client, django_assert_max_num_queries
):
    for n in range(25):
        ticket = desk.ticket(subject=f"Printer {n}", tags=["a", f"t{n}"])
        services.ticket_note(actor=desk.l1, ticket=ticket, body="printer note")
    client.force_login(desk.l1)

    with django_assert_max_num_queries(10):
        response = client.get("/desk/search/", {"q": "printer"})

    assert len(numbers_in(response.content.decode())) == 25


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    q=st.lists(
        st.sampled_from([*list('ab :-"*#@,.<>=\\\x00é_1'), "status", "created", "tag", "is"]),
        max_size=30,
    ).map("".join),
    extra=st.dictionaries(
        st.sampled_from(["status", "priority", "department", "assignee", "created_from", "sort"]),
        st.text(max_size=12),
        max_size=3,
    ),
)
def test_no_search_input_is_a_server_error(desk, client, q, extra):
    client.force_login(desk.l1)

    response = client.get("/desk/search/", {"q": q, **extra})

    assert response.status_code in (200, 400)


# --- portal search --------------------------------------------------------------------------


def test_a_customer_searches_only_their_visible_tickets_and_never_notes(desk, client):
    mine = desk.ticket(subject="Printer jam")
    services.ticket_note(actor=desk.l1, ticket=mine, body="printer firmware secret")
    noted = desk.ticket(subject="Laptop")
    services.ticket_note(actor=desk.l1, ticket=noted, body="firmware")
    client.force_login(desk.customer)

    html = client.get("/tickets/search/", {"q": "firmware"}).content.decode()
    assert numbers_in(html) == []
    html = client.get("/tickets/search/", {"q": "printer"}).content.decode()
    assert numbers_in(html) == [mine.number]
    assert "secret" not in html


def test_the_portal_ticket_list_has_a_search_box(desk, client):
    client.force_login(desk.customer)

    assert 'action="/tickets/search/"' in client.get("/tickets/").content.decode()


def test_an_agent_is_sent_from_the_portal_search_to_the_desk_search(desk, client):
    client.force_login(desk.l1)

    response = client.get("/tickets/search/")

    assert response.status_code == 302
    assert response["Location"] == "/desk/search/"


def test_portal_search_costs_the_same_queries_for_more_hits(
    desk, client, django_assert_max_num_queries
):
    for n in range(20):
        desk.ticket(subject=f"Printer {n}")
    client.force_login(desk.customer)

    with django_assert_max_num_queries(8):
        response = client.get("/tickets/search/", {"q": "printer"})

    assert len(numbers_in(response.content.decode())) == 20


# --- queue: sort, columns, badges, views ----------------------------------------------------


def set_due(ticket: Ticket, hours: int | None) -> None:
    due = None if hours is None else ticket.created_at + datetime.timedelta(hours=hours)
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=due)


def test_the_queue_sorts_by_the_nearest_due_time(desk, client):
    later, none, sooner = (desk.ticket(subject=s) for s in ("Later", "None", "Sooner"))
    set_due(later, 48)
    set_due(none, None)
    set_due(sooner, 4)
    client.force_login(desk.l1)

    html = client.get("/desk/", {"queue": "department", "sort": "due"}).content.decode()

    assert numbers_in(html) == [sooner.number, later.number, none.number]


def test_the_queue_pages_through_a_sort_without_gaps_or_repeats(desk, client):
    tickets = [desk.ticket(subject=f"T{n}") for n in range(28)]
    for n, ticket in enumerate(tickets):
        set_due(ticket, n % 5)
    client.force_login(desk.l1)

    first = client.get("/desk/", {"queue": "department", "sort": "due"}).content.decode()
    link = re.search(r'href="(\?[^"]*cursor=[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(f"/desk/{link}").content.decode()

    assert sorted(numbers_in(first) + numbers_in(second)) == sorted(t.number for t in tickets)


def test_the_queue_shows_only_the_chosen_columns(desk, client):
    desk.ticket(subject="Printer")
    client.force_login(desk.l1)

    html = client.get("/desk/", {"columns": ["department", "due"]}).content.decode()

    headers = re.findall(r'<th scope="col">([^<]+)</th>', html)
    assert headers == ["Number", "Subject", "Department", "Due"]


def test_every_column_has_its_cell_in_header_order_and_values_are_escaped(desk, client):
    from helpline.search.criteria import COLUMNS

    ticket = desk.ticket(subject="<script>alert(1)</script> & printer")
    client.force_login(desk.l1)

    html = client.get("/desk/", {"columns": list(COLUMNS)}).content.decode()

    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r'<td data-label="([^"]+)"', row.group(1))
    assert cells == list(COLUMNS.values())
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; printer" in html
    assert "<script>alert(1)" not in html
    assert f'href="/desk/tickets/{ticket.number}/">#{ticket.number}</a>' in html
    ticket.refresh_from_db()
    assignee = ticket.assignee.display_name if ticket.assignee else "Unassigned"
    assert re.search(rf'data-label="Assignee">(<span class="muted">)?{re.escape(assignee)}<', html)
    assert f'<td data-label="Level">L{ticket.support_level}</td>' in html


def test_an_unknown_sort_or_column_is_a_400_message(desk, client):
    client.force_login(desk.l1)

    assert client.get("/desk/", {"sort": "random"}).status_code == 400
    assert client.get("/desk/", {"columns": "password"}).status_code == 400


def test_the_desk_search_says_when_a_department_it_names_does_not_exist(desk, client):
    desk.ticket(subject="VPN down")
    client.force_login(desk.l1)

    html = client.get("/desk/search/", {"q": "vpn dept:netwrk"}).content.decode()

    assert "No department is named &quot;netwrk&quot;." in html


def test_a_saved_view_naming_a_department_that_is_gone_says_so(desk, client):
    from helpline.search.services import view_create

    view = view_create(actor=desk.l1, name="Old network", query="dept:oldnet")
    client.force_login(desk.l1)

    html = client.get("/desk/", {"view": view.pk}).content.decode()

    assert "No department is named &quot;oldnet&quot;." in html


def test_the_badges_show_the_exact_counts(desk, client):
    for n in range(4):
        desk.ticket(subject=f"T{n}")
    client.force_login(desk.l1)

    html = client.get("/desk/").content.decode()

    assert ticket_selectors.queue_counts(user=desk.l1)["department"] == 4
    assert '<span class="count">4</span>' in html


def test_an_agent_saves_the_queue_as_a_view_and_opens_it(desk, client):
    mine = desk.ticket(subject="Mine")
    services.ticket_take(actor=desk.l1, ticket=mine)
    other = desk.ticket(subject="Not mine")
    services.ticket_assign(actor=desk.admin, ticket=other, assignee=desk.l2)
    client.force_login(desk.l1)

    response = client.post(
        "/desk/views/",
        {"name": "My open", "q": "is:open assignee:me", "sort": "due", "columns": ["due"]},
    )

    view = SavedView.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/?view={view.pk}"
    assert (view.owner, view.sort, view.columns) == (desk.l1, "due", ["number", "subject", "due"])
    html = client.get(response["Location"]).content.decode()
    assert numbers_in(html) == [mine.number]
    assert "My open" in html


def test_saving_a_view_with_a_bad_query_says_why_and_saves_nothing(desk, client):
    client.force_login(desk.l1)

    response = client.post("/desk/views/", {"name": "Bad", "q": "status:opn"}, follow=True)

    assert "The view was not saved" in response.content.decode()
    assert not SavedView.objects.exists()


def test_the_owner_renames_shares_and_deletes_a_view_from_the_queue(desk, client):
    view = search_services.view_create(actor=desk.l1, name="Old")
    client.force_login(desk.l1)

    client.post(f"/desk/views/{view.pk}/", {"name": "New", "shared": "on", "sort": "updated"})
    view.refresh_from_db()
    assert (view.name, view.shared, view.sort) == ("New", True, "updated")

    client.post(f"/desk/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_another_agent_uses_a_shared_view_but_cannot_change_it(desk, client):
    view = search_services.view_create(actor=desk.l2, name="Team view", shared=True)
    client.force_login(desk.l1)

    html = client.get("/desk/", {"view": view.pk}).content.decode()
    client.post(f"/desk/views/{view.pk}/", {"name": "Hijacked"})

    assert "Team view" in html and "Edit this view" not in html
    assert SavedView.objects.get().name == "Team view"


def test_someone_elses_private_view_is_a_404(desk, client):
    view = search_services.view_create(actor=desk.l2, name="Private")
    client.force_login(desk.l1)

    assert client.get("/desk/", {"view": view.pk}).status_code == 404


def test_the_queue_with_a_view_costs_the_same_queries_for_more_rows(
    desk, client, django_assert_max_num_queries
):
    for n in range(30):
        desk.ticket(subject=f"Ticket {n}", tags=["x", f"t{n}"])
        search_services.view_create(actor=desk.l2, name=f"View {n}", shared=True)
    view = search_services.view_create(actor=desk.l1, name="Priority", sort="priority")
    client.force_login(desk.l1)

    with django_assert_max_num_queries(11):
        response = client.get("/desk/", {"view": view.pk, "columns": list(["due", "department"])})

    assert response.status_code == 200
    assert len(numbers_in(response.content.decode())) == 25


@pytest.mark.parametrize("format", ["j M, H:i", "j M Y, H:i", "D j M, H:i T"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu"])
def test_a_time_element_reads_as_djangos_date_filter(zone, format):
    from django.template import Context, Template
    from django.utils import timezone, translation

    from helpline.web.templatetags.helpline_web import time_element

    moments = [
        datetime.datetime(2026, month, 9, 7, 5, 3, 120, tzinfo=datetime.UTC)
        for month in range(1, 13)
    ]
    # Berlin's clock change
    moments.append(datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC))
    template = Template("<time datetime=\"{{ m|date:'c' }}\">{{ m|date:format }}</time>")
    with timezone.override(zone), translation.override("de"):
        for moment in moments:
            expected = template.render(Context({"m": moment, "format": format}))
            assert time_element(moment, format) == expected
