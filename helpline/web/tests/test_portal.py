from helpline import factories
from helpline.tickets import services
from helpline.tickets.models import Attachment, EntryKind, Ticket


def _new_ticket_data(desk, **fields):
    data = {
        "help_topic": desk.topic.pk,
        "subject": "Laptop will not start",
        "description": "Black screen since this morning.",
        "impact": "high",
        "urgency": "high",
        "device": "LT-0423",
        "location": "Building B",
    }
    data.update(fields)
    return data


def test_new_ticket_form_asks_plain_questions_and_lists_only_public_topics(desk, client):
    factories.help_topic(department=desk.department, name="Hidden Topic", is_public=False)
    client.force_login(desk.customer)
    response = client.get("/tickets/new/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "How many people are affected?" in html
    assert "The whole organisation" in html
    assert "How urgent is it?" in html
    assert "Report a Problem" in html
    assert "Hidden Topic" not in html
    assert 'type="file"' in html and "multiple" in html


def test_customer_submits_a_ticket_with_answers_mapped_to_impact_and_urgency(desk, client):
    client.force_login(desk.customer)
    response = client.post("/tickets/new/", _new_ticket_data(desk, impact="medium", urgency="low"))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert ticket.requester == desk.customer
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("medium", "low", "low")
    assert (ticket.help_topic, ticket.device, ticket.location) == (
        desk.topic,
        "LT-0423",
        "Building B",
    )
    assert ticket.assignee == desk.l1


def test_customer_submits_a_ticket_with_several_attachments(desk, client, upload):
    client.force_login(desk.customer)
    files = [upload("one.txt", b"1"), upload("two.png", b"2", "image/png")]
    client.post("/tickets/new/", {**_new_ticket_data(desk), "attachments": files})
    names = sorted(Attachment.objects.values_list("filename", flat=True))
    assert names == ["one.txt", "two.png"]


def test_new_ticket_without_a_subject_is_refused_by_the_service_with_a_400(desk, client):
    client.force_login(desk.customer)
    response = client.post("/tickets/new/", _new_ticket_data(desk, subject="  "))
    assert response.status_code == 400
    assert b"subject is required" in response.content.lower()
    assert b"Black screen since this morning." in response.content  # the form kept the input
    assert not Ticket.objects.exists()


def test_new_ticket_with_an_unknown_answer_is_a_400(desk, client):
    client.force_login(desk.customer)
    response = client.post("/tickets/new/", _new_ticket_data(desk, impact="galactic"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_new_ticket_with_too_many_attachments_is_a_400(desk, client, settings, upload):
    settings.HELPLINE_MAX_ATTACHMENTS = 1
    client.force_login(desk.customer)
    files = [upload("a.txt"), upload("b.txt")]
    response = client.post("/tickets/new/", {**_new_ticket_data(desk), "attachments": files})
    assert response.status_code == 400
    assert b"at most 1 attachments" in response.content.lower()
    assert not Ticket.objects.exists()


def test_agents_are_sent_from_the_portal_to_their_workspace(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    assert client.get("/tickets/")["Location"] == "/desk/"
    assert client.get("/tickets/new/")["Location"] == "/desk/"
    assert client.get(f"/tickets/{ticket.number}/")["Location"] == f"/desk/tickets/{ticket.number}/"


def test_my_tickets_lists_the_customers_open_tickets(desk, client):
    mine = desk.ticket(subject="My printer jams")
    closed = desk.ticket(subject="Old closed one")
    _resolve(desk, closed)
    services.ticket_transition(actor=desk.customer, ticket=closed, action="close")
    other = factories.customer()
    factories.ticket(requester=other, department=desk.department, subject="Someone else's")
    client.force_login(desk.customer)
    html = client.get("/tickets/").content.decode()
    assert mine.subject in html
    assert closed.subject not in html
    assert "Someone else&#x27;s" not in html
    assert closed.subject in client.get("/tickets/?show=closed").content.decode()


def test_my_tickets_pages_with_a_next_link(desk, client):
    for n in range(27):
        desk.ticket(subject=f"Ticket {n:02}")
    client.force_login(desk.customer)
    first = client.get("/tickets/").content.decode()
    assert "Ticket 26" in first and "Ticket 01" not in first
    start = first.index("cursor=") + len("cursor=")
    cursor = first[start : first.index('"', start)]
    second = client.get(f"/tickets/?show=open&cursor={cursor}").content.decode()
    assert "Ticket 01" in second and "Ticket 00" in second and "Ticket 26" not in second


def test_my_tickets_with_a_broken_cursor_is_a_400_not_a_500(desk, client):
    client.force_login(desk.customer)
    assert client.get("/tickets/?cursor=%%%").status_code == 400


def test_customer_ticket_page_shows_the_public_thread(desk, client):
    ticket = desk.ticket(description="The screen flickers.")
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Have you tried another cable?")
    client.force_login(desk.customer)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "The screen flickers." in html
    assert "Have you tried another cable?" in html
    assert "Internal note" not in html


def test_customer_cannot_see_another_customers_ticket(desk, client):
    stranger = factories.customer()
    ticket = factories.ticket(requester=stranger, department=desk.department)
    client.force_login(desk.customer)
    assert client.get(f"/tickets/{ticket.number}/").status_code == 404
    assert client.post(f"/tickets/{ticket.number}/reply/", {"body": "hi"}).status_code == 404


def test_customer_cannot_open_the_agent_workspace(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.customer)
    assert client.get("/desk/").status_code == 404
    assert client.get(f"/desk/tickets/{ticket.number}/").status_code == 404
    response = client.post(f"/desk/tickets/{ticket.number}/note/", {"body": "sneaky"})
    assert response.status_code == 404
    assert not ticket.entries.filter(kind=EntryKind.NOTE).exists()


def test_customer_replies_on_their_ticket(desk, client, upload):
    ticket = desk.ticket()
    client.force_login(desk.customer)
    response = client.post(
        f"/tickets/{ticket.number}/reply/",
        {"body": "Here is the log.", "attachments": [upload("log.txt")]},
    )
    assert response.status_code == 302
    entry = ticket.entries.get(kind=EntryKind.CUSTOMER_MESSAGE)
    assert entry.body == "Here is the log."
    assert entry.attachments.get().filename == "log.txt"


def test_an_empty_customer_reply_is_a_400_with_the_error_on_the_page(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.customer)
    response = client.post(f"/tickets/{ticket.number}/reply/", {"body": " "})
    assert response.status_code == 400
    assert b"body is required" in response.content.lower()


def test_a_reply_on_a_closed_ticket_is_a_409(desk, client):
    ticket = desk.ticket()
    _resolve(desk, ticket)
    services.ticket_transition(actor=desk.customer, ticket=ticket, action="close")
    client.force_login(desk.customer)
    response = client.post(f"/tickets/{ticket.number}/reply/", {"body": "one more thing"})
    assert response.status_code == 409
    assert b"closed" in response.content


def _resolve(desk, ticket):
    services.ticket_take(actor=desk.l1, ticket=ticket)
    return services.ticket_transition(
        actor=desk.l1,
        ticket=ticket,
        action="resolve",
        resolution=services.Resolution("A loose cable", "Replugged the cable", "It boots"),
    )


def test_resolved_ticket_shows_the_resolution_and_the_confirm_buttons(desk, client):
    ticket = desk.ticket()
    _resolve(desk, ticket)
    client.force_login(desk.customer)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "A loose cable" in html and "Replugged the cable" in html
    assert "Yes, it's fixed" in html
    assert "No, reopen" in html


def test_customer_confirms_the_fix_and_the_ticket_closes(desk, client):
    ticket = _resolve(desk, desk.ticket())
    client.force_login(desk.customer)
    response = client.post(f"/tickets/{ticket.number}/confirm/", {"version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_customer_reopens_with_a_reason_that_the_agents_can_read(desk, client):
    ticket = _resolve(desk, desk.ticket())
    client.force_login(desk.customer)
    response = client.post(
        f"/tickets/{ticket.number}/reopen/",
        {"version": ticket.version, "reason": "It broke again after lunch"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.entries.filter(body__contains="It broke again after lunch").exists()


def test_reopen_without_a_reason_is_a_400(desk, client):
    ticket = _resolve(desk, desk.ticket())
    client.force_login(desk.customer)
    response = client.post(f"/tickets/{ticket.number}/reopen/", {"reason": ""})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


def test_confirming_a_ticket_that_is_not_resolved_is_a_409(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.customer)
    response = client.post(f"/tickets/{ticket.number}/confirm/", {})
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_confirming_with_a_stale_version_is_a_409_and_the_form_carries_the_new_one(desk, client):
    ticket = _resolve(desk, desk.ticket())
    client.force_login(desk.customer)
    response = client.post(f"/tickets/{ticket.number}/confirm/", {"version": ticket.version - 1})
    assert response.status_code == 409
    assert f'name="version" value="{ticket.version}"'.encode() in response.content


def test_a_colleague_who_is_not_the_requester_cannot_confirm(desk, client):
    desk.org.shares_tickets = True
    desk.org.save()
    ticket = _resolve(desk, desk.ticket())
    client.force_login(desk.other_customer)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Yes, it's fixed" not in html
    response = client.post(f"/tickets/{ticket.number}/confirm/", {})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


def test_get_on_a_post_only_url_is_a_405(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.customer)
    assert client.get(f"/tickets/{ticket.number}/reply/").status_code == 405
