"""Query-count guards: list and detail pages cost a fixed number of queries, whatever the
number of rows or thread entries."""

from helpline.tickets import services


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
    # session, user, saved views picker, tickets, their tags, the capped badge counts
    with django_assert_max_num_queries(6):
        response = client.get("/desk/?queue=all")
    assert response.content.count(b'data-label="Number"') == 25


def test_agent_ticket_page_query_count_does_not_grow_with_the_thread(
    desk, client, upload, django_assert_max_num_queries
):
    ticket = desk.ticket(tags=["vpn"], attachments=[upload()])
    _thread(desk, ticket, upload, 50)
    client.force_login(desk.l1)
    # 14 for the ticket, its thread, files, tags and audit trail; the SLA policy list of the
    # policy form and the mail log cost one each. Knowledge and time panels load after the page.
    with django_assert_max_num_queries(16):
        response = client.get(f"/desk/tickets/{ticket.number}/")
    assert response.content.count(b'class="entry entry-note"') == 25


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
    with django_assert_max_num_queries(5):
        client.get("/tickets/")
