import pytest

from helpline.audit.models import AuditEvent
from helpline.tickets import services
from helpline.tickets.models import EntryKind, Ticket


def _url(ticket, action=""):
    return f"/desk/tickets/{ticket.number}/{action + '/' if action else ''}"


def _resolution():
    return {
        "problem_identified": "Driver crash",
        "action_taken": "Rolled back the driver",
        "confirmation": "User printed a test page",
        "next_steps": "Watch for the vendor fix",
    }


# --- queue ---------------------------------------------------------------------------------


def test_queue_shows_the_agents_tickets_with_tab_counts(desk, client):
    ticket = desk.ticket(subject="VPN drops every hour")
    client.force_login(desk.l1)
    response = client.get("/desk/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "VPN drops every hour" in html
    assert f"#{ticket.number}" in html
    for label in ("Assigned to me", "Unassigned in my departments", "Open in my departments"):
        assert label in html
    assert '<span class="count">1</span>' in html


@pytest.mark.parametrize("queue", ["mine", "unassigned", "department", "all"])
def test_every_queue_tab_renders(desk, client, queue):
    desk.ticket()
    client.force_login(desk.l2)
    assert client.get(f"/desk/?queue={queue}").status_code == 200


def test_unassigned_tab_shows_only_unassigned_tickets(desk, client):
    assigned = desk.ticket(subject="Assigned one")
    unassigned = desk.ticket(subject="Nobody has this")
    services.ticket_assign(actor=desk.admin, ticket=unassigned, assignee=None)
    client.force_login(desk.l2)
    html = client.get("/desk/?queue=unassigned").content.decode()
    assert unassigned.subject in html
    assert assigned.subject not in html


def test_an_unknown_queue_is_a_400_not_a_500(desk, client):
    client.force_login(desk.l1)
    response = client.get("/desk/?queue=everything")
    assert response.status_code == 400
    assert b"unknown queue" in response.content.lower()


def test_queue_has_a_next_page_link_that_continues_where_the_page_ended(desk, client):
    tickets = [desk.ticket(subject=f"Queue item {n:02}") for n in range(30)]
    client.force_login(desk.l1)
    first = client.get("/desk/?queue=mine").content.decode()
    assert "Next page" in first
    assert "Queue item 29" in first and "Queue item 04" not in first
    start = first.index("cursor=") + len("cursor=")
    cursor = first[start : first.index('"', start)]
    second = client.get(f"/desk/?queue=mine&cursor={cursor}").content.decode()
    assert all(f"Queue item {n:02}" in second for n in range(5))
    assert "Queue item 05" not in second
    assert "Next page" not in second
    assert len(tickets) == 30


# --- ticket page ---------------------------------------------------------------------------


def test_agent_ticket_page_shows_metadata_thread_notes_and_audit_trail(desk, client):
    ticket = desk.ticket(subject="Mail stuck", impact="high", urgency="low", tags=["email"])
    services.ticket_note(actor=desk.l1, ticket=ticket, body="Checked the mail queue")
    client.force_login(desk.l1)
    html = client.get(_url(ticket)).content.decode()
    assert "Mail stuck" in html
    assert "Checked the mail queue" in html
    assert 'class="entry entry-note"' in html
    assert "Internal note" in html
    for label in ("Priority", "Impact", "Urgency", "Type", "Department", "Level", "Assignee"):
        assert f"<dt>{label}</dt>" in html
    assert "Helpdesk" in html and "Report a Problem" not in html  # no topic on this one
    assert '<span class="tag">email</span>' in html
    assert "Audit trail" in html and "Created" in html


def test_agent_outside_the_department_gets_a_404(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.outsider)
    assert client.get(_url(ticket)).status_code == 404
    assert client.post(_url(ticket, "take")).status_code == 404


def test_unknown_ticket_number_is_a_404(desk, client):
    client.force_login(desk.l1)
    assert client.get("/desk/tickets/999999/").status_code == 404


def test_actions_follow_the_status_new_ticket_offers_take_but_not_close(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l2)
    html = client.get(_url(ticket)).content.decode()
    assert _url(ticket, "take") in html
    assert _url(ticket, "escalate") in html
    assert _url(ticket, "close") not in html
    assert _url(ticket, "resume") not in html
    assert _url(ticket, "reopen") not in html


def test_resolved_ticket_offers_reopen_and_close_but_not_resolve(desk, client):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=services.Resolution("a", "b")
    )
    client.force_login(desk.l1)
    html = client.get(_url(ticket)).content.decode()
    assert _url(ticket, "reopen") in html and _url(ticket, "close") in html
    assert _url(ticket, "resolve") not in html
    assert _url(ticket, "escalate") not in html


def test_closed_ticket_offers_no_actions_and_no_reply_box(desk, client):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=services.Resolution("a", "b")
    )
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="close")
    client.force_login(desk.l1)
    html = client.get(_url(ticket)).content.decode()
    assert "<form" not in html.split('id="conversation"')[1].split('id="audit"')[0]
    side = html.split('id="ticket-side"')[1]
    # Only the read-only time panel, loaded after the page, links back to the ticket.
    assert "<form" not in side
    assert "/desk/tickets/" not in side.replace(f"/desk/tickets/{ticket.number}/time/", "")


# --- actions ------------------------------------------------------------------------------


def test_agent_replies_and_the_ticket_opens(desk, client, upload):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(
        _url(ticket, "reply"), {"body": "Please restart.", "attachments": [upload("steps.txt")]}
    )
    assert response.status_code == 302
    assert response["Location"] == _url(ticket)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    reply = ticket.entries.get(kind=EntryKind.REPLY)
    assert reply.body == "Please restart."
    assert reply.attachments.get().filename == "steps.txt"


def test_htmx_reply_follows_the_redirect_and_gets_the_page_with_the_new_entry(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(
        _url(ticket, "reply"), {"body": "Swapped in place"}, HTTP_HX_REQUEST="true", follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="conversation"' in html and "Swapped in place" in html
    assert "Reply sent to the requester." in html  # the #messages fragment, swapped out of band


def test_an_empty_reply_is_a_400_that_keeps_the_conversation_to_swap(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "reply"), {"body": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="conversation"' in html
    assert "body is required" in html.lower()


def test_agent_adds_an_internal_note(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "note"), {"body": "Looks like the proxy"})
    assert response.status_code == 302
    assert ticket.entries.get(kind=EntryKind.NOTE).body == "Looks like the proxy"


def test_an_empty_note_is_a_400(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    assert client.post(_url(ticket, "note"), {"body": ""}).status_code == 400
    assert not ticket.entries.filter(kind=EntryKind.NOTE).exists()


def test_the_auto_assigned_agent_starts_work_on_a_new_ticket(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    assert "Start work" in client.get(_url(ticket)).content.decode()
    assert client.post(_url(ticket, "take")).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert _url(ticket, "take") not in client.get(_url(ticket)).content.decode()


def test_agent_takes_a_ticket(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l2)
    assert client.post(_url(ticket, "take")).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (desk.l2, "open")


def test_an_admin_outside_the_department_may_take_but_a_closed_ticket_is_a_409(desk, client):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=services.Resolution("a", "b")
    )
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="close")
    client.force_login(desk.admin)
    response = client.post(_url(ticket, "take"))
    assert response.status_code == 409
    assert b"closed" in response.content


def test_agent_assigns_a_ticket_to_a_department_colleague(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    html = client.get(_url(ticket)).content.decode()
    assert "Level Three (L3)" in html
    response = client.post(_url(ticket, "assign"), {"assignee": desk.l3.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == desk.l3


def test_assigning_to_someone_outside_the_department_is_a_400(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "assign"), {"assignee": desk.outsider.pk})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee == desk.l1


def test_agent_escalates_to_level_two_with_a_note(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "escalate"), {"level": "2", "note": "Needs a specialist"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.support_level, ticket.assignee) == (2, desk.l2)
    assert ticket.entries.filter(kind=EntryKind.NOTE, body__contains="Needs a specialist").exists()


def test_agent_escalates_to_another_department(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(
        _url(ticket, "escalate"),
        {"department": desk.other_department.pk, "level": "1", "note": "Network issue"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (desk.other_department, desk.outsider)


def test_escalating_without_a_note_is_a_400_and_changes_nothing(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "escalate"), {"level": "2", "note": ""})
    assert response.status_code == 400
    assert b"note is required" in response.content.lower()
    ticket.refresh_from_db()
    assert ticket.support_level == 1


def test_escalating_to_an_agent_of_another_department_is_a_400(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "escalate"), {"agent": desk.outsider.pk, "note": "x"})
    assert response.status_code == 400
    assert b"not in the target department" in response.content


@pytest.mark.parametrize(("action", "status"), [("pend", "pending"), ("hold", "on_hold")])
def test_agent_pends_or_holds_an_open_ticket_and_resumes_it(desk, client, action, status):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    client.force_login(desk.l1)
    response = client.post(_url(ticket, action), {"reason": "Waiting for the vendor"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == status
    assert client.post(_url(ticket, "resume"), {"version": ticket.version}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_agent_resolves_with_a_resolution_record(desk, client):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    ticket.refresh_from_db()
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "resolve"), {**_resolution(), "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert ticket.resolution == {
        "problem_identified": "Driver crash",
        "action_taken": "Rolled back the driver",
        "confirmation": "User printed a test page",
        "next_steps": "Watch for the vendor fix",
    }


def test_resolving_without_the_action_taken_is_a_400_with_the_field_marked(desk, client):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "resolve"), {**_resolution(), "action_taken": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "required to resolve" in html
    assert '<details class="action" open>' in html  # the refused form is shown open
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_resolving_a_new_ticket_is_an_invalid_transition_409(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "resolve"), _resolution())
    assert response.status_code == 409
    assert b"cannot resolve a ticket that is new" in response.content.lower()


def test_resolving_with_a_stale_version_is_a_409(desk, client):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    client.force_login(desk.l1)
    response = client.post(_url(ticket, "resolve"), {**_resolution(), "version": 1})
    assert response.status_code == 409
    assert b"changed by someone else" in response.content


def test_agent_reopens_a_resolved_ticket_with_a_reason_and_closes_another(desk, client):
    reopened, closed = desk.ticket(), desk.ticket()
    for ticket in (reopened, closed):
        services.ticket_take(actor=desk.l1, ticket=ticket)
        services.ticket_transition(
            actor=desk.l1, ticket=ticket, action="resolve", resolution=services.Resolution("a", "b")
        )
    client.force_login(desk.l1)
    assert client.post(_url(reopened, "reopen"), {"reason": "Came back"}).status_code == 302
    assert client.post(_url(closed, "close"), {}).status_code == 302
    reopened.refresh_from_db()
    closed.refresh_from_db()
    assert (reopened.status, closed.status) == ("open", "closed")


def test_reopening_without_a_reason_is_a_400(desk, client):
    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=services.Resolution("a", "b")
    )
    client.force_login(desk.l1)
    assert client.post(_url(ticket, "reopen"), {"reason": ""}).status_code == 400


def test_an_unknown_action_is_a_404(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    assert client.post(_url(ticket, "explode")).status_code == 404
    assert client.post(_url(ticket, "customer_reply")).status_code == 404


def test_every_action_is_recorded_in_the_audit_trail_shown_on_the_page(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.l2)
    client.post(_url(ticket, "take"))
    html = client.get(_url(ticket)).content.decode()
    assert AuditEvent.objects.filter(ticket=ticket, action="ticket.take").exists()
    audit = html.split('id="audit"')[1]
    assert "Taken" in audit and "Level Two" in audit
    assert "new → open" in audit


def test_actions_need_csrf_tokens(desk):
    from django.test import Client

    ticket = desk.ticket()
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.l1)
    assert client.post(_url(ticket, "note"), {"body": "no token"}).status_code == 403
    assert not Ticket.objects.get(pk=ticket.pk).entries.filter(kind=EntryKind.NOTE).exists()
