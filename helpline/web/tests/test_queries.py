"""Query-count guards: list and detail pages cost a fixed number of queries, whatever the
number of rows or thread entries."""

import pytest

from helpline.tickets import selectors, services
from helpline.tickets.models import ThreadEntry


def _thread(desk, ticket, upload, entries):
    for n in range(entries // 2):
        services.ticket_reply(
            actor=desk.customer, ticket=ticket, body=f"Customer {n}", attachments=[upload()]
        )
        services.ticket_reply(actor=desk.l1, ticket=ticket, body=f"Agent {n}")
        services.ticket_note(actor=desk.l1, ticket=ticket, body=f"Note {n}")


def test_queue_page_query_count_does_not_grow_with_rows(
    desk, client, django_assert_max_num_queries
):
    for n in range(30):
        desk.ticket(subject=f"Ticket {n}", tags=["printer", f"t{n}"])
    client.force_login(desk.l1)
    # session, user, saved views picker, the page's ticket ids, their rows, their tags, the
    # agent's departments (read once for the queue filters, so the queues walk their partial
    # indexes), the three badge counts (one statement over the kept queue counts)
    with django_assert_max_num_queries(8):
        response = client.get("/desk/?queue=all")
    assert response.content.count(b'data-label="Number"') == 25


@pytest.mark.parametrize("rounds", [2, 40])
def test_agent_ticket_page_costs_twelve_queries_whatever_the_thread_length(
    desk, client, upload, django_assert_max_num_queries, rounds
):
    ticket = desk.ticket(tags=["vpn"], attachments=[upload()])
    _thread(desk, ticket, upload, rounds * 2)  # 3 entries a round: 6 or 120 entries
    client.force_login(desk.l1)
    # session, user, ticket, agents and their departments (both forms and the agent's own
    # departments), departments, the newest thread entries with the count of older ones,
    # their files, tags, audit trail, SLA policies, mail log. Knowledge and time panels and
    # older entries load after the page.
    with django_assert_max_num_queries(12):
        response = client.get(f"/desk/tickets/{ticket.number}/")
    entries = ThreadEntry.objects.filter(ticket=ticket).count()
    shown = response.content.count(b'id="entry-')
    assert shown == min(entries, selectors.THREAD_PAGE)
    assert (b"earlier</a>" in response.content) == (entries > selectors.THREAD_PAGE)


def test_agent_ticket_page_shows_the_newest_entries_and_offers_the_earlier_ones(
    desk, client, upload
):
    ticket = desk.ticket()
    _thread(desk, ticket, upload, 40)  # 60 entries, and the events of the ticket's life
    earlier = ThreadEntry.objects.filter(ticket=ticket).count() - selectors.THREAD_PAGE
    client.force_login(desk.l1)

    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert "Note 19" in page  # the newest
    assert "Customer 0" not in page  # among the oldest
    assert f"Show {earlier} earlier" in page


def test_earlier_entries_load_in_pages_in_a_fixed_number_of_queries(
    desk, client, upload, django_assert_max_num_queries
):
    ticket = desk.ticket()
    _thread(desk, ticket, upload, 80)  # 120 entries, and the events of the ticket's life
    entries = ThreadEntry.objects.filter(ticket=ticket).order_by("-id")
    oldest_shown = entries[selectors.THREAD_PAGE - 1]
    earlier = entries.count() - 2 * selectors.THREAD_PAGE
    client.force_login(desk.l1)

    # session, user, ticket, the older entries, their count (the page is full), their files
    with django_assert_max_num_queries(6):
        response = client.get(
            f"/desk/tickets/{ticket.number}/thread/?before={oldest_shown.pk}",
            headers={"HX-Request": "true"},
        )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('id="entry-') == selectors.THREAD_PAGE
    assert f"Show {earlier} earlier" in page
    assert f'id="entry-{oldest_shown.pk}"' not in page


def test_earlier_entries_of_a_ticket_the_agent_cannot_see_are_not_found(desk, client, upload):
    ticket = desk.ticket(department=desk.other_department)
    client.force_login(desk.l1)

    response = client.get(f"/desk/tickets/{ticket.number}/thread/?before=999999")

    assert response.status_code == 404


def test_customer_ticket_page_query_count_does_not_grow_with_the_thread(
    desk, client, upload, django_assert_max_num_queries
):
    ticket = desk.ticket(attachments=[upload()])
    _thread(desk, ticket, upload, 50)
    client.force_login(desk.customer)
    with django_assert_max_num_queries(7):
        response = client.get(f"/tickets/{ticket.number}/")
    assert response.content.count(b'class="entry entry-customer_message"') == 25


def test_my_tickets_query_count_does_not_grow_with_rows(
    desk, client, django_assert_max_num_queries
):
    for n in range(30):
        desk.ticket(subject=f"Ticket {n}")
    client.force_login(desk.customer)
    with django_assert_max_num_queries(6):  # session, user, organization, ids, rows, tags
        client.get("/tickets/")
