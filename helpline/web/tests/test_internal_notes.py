"""Internal notes never reach a customer: not on a page, not in a refused form's page, not in
a download."""

from django.core.files.base import ContentFile

from helpline.tickets import services
from helpline.tickets.models import Attachment, EntryKind

MARKER = "ZX-INTERNAL-7f3a9c"


def _ticket_with_internal_material(desk, upload):
    ticket = desk.ticket(attachments=[upload("public.txt", b"public attachment")])
    services.ticket_reply(
        actor=desk.l1,
        ticket=ticket,
        body="A public reply",
        attachments=[upload("reply.txt", b"public reply file")],
    )
    services.ticket_note(actor=desk.l1, ticket=ticket, body=f"Note: {MARKER}")
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend", reason=MARKER)
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="resume")
    services.ticket_escalate(actor=desk.l1, ticket=ticket, to_level=2, note=f"Esc {MARKER}")
    # No service attaches files to notes today (mail ingestion may); build one directly so the
    # download filter is exercised.
    note = ticket.entries.filter(kind=EntryKind.NOTE).first()
    secret = Attachment(ticket=ticket, entry=note, filename="secret.txt", size=len(MARKER))
    secret.file.save("secret.txt", ContentFile(MARKER.encode()), save=False)
    secret.save()
    services.ticket_transition(
        actor=desk.l2,
        ticket=ticket,
        action="resolve",
        resolution=services.Resolution("The cause", "The fix"),
    )
    return ticket, secret


def _body(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def test_internal_notes_appear_on_no_customer_page_or_download(desk, client, upload):
    ticket, secret = _ticket_with_internal_material(desk, upload)
    n = ticket.number
    client.force_login(desk.customer)
    responses = [
        client.get("/tickets/"),
        client.get("/tickets/?show=all"),
        client.get(f"/tickets/{n}/"),
        client.get("/tickets/new/"),
        client.post(f"/tickets/{n}/reply/", {"body": ""}),  # 400 re-render
        client.post(f"/tickets/{n}/reopen/", {"reason": ""}),  # 400 re-render
        client.post(f"/tickets/{n}/reply/", {"body": "Hi"}, HTTP_HX_REQUEST="true", follow=True),
        client.get(f"/tickets/{n}/attachments/{secret.pk}/"),
    ]
    public = [a for a in ticket.attachments.all() if a.pk != secret.pk]
    responses += [client.get(f"/tickets/{n}/attachments/{a.pk}/") for a in public]
    assert responses[2].status_code == 200
    assert responses[-1].status_code == 200
    for response in responses:
        body = _body(response).decode()
        assert MARKER not in body, response.request["PATH_INFO"]
        assert "Internal note" not in body
        assert "secret.txt" not in body


def test_the_note_attachment_is_a_404_for_the_customer_but_downloads_for_an_agent(
    desk, client, upload
):
    ticket, secret = _ticket_with_internal_material(desk, upload)
    url = f"/tickets/{ticket.number}/attachments/{secret.pk}/"
    client.force_login(desk.customer)
    assert client.get(url).status_code == 404
    client.force_login(desk.l2)
    response = client.get(url)
    assert response.status_code == 200
    assert _body(response) == MARKER.encode()


def test_agents_see_the_marker_so_the_customer_test_would_catch_a_leak(desk, client, upload):
    ticket, _ = _ticket_with_internal_material(desk, upload)
    client.force_login(desk.l2)
    html = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert f"Note: {MARKER}" in html
    assert f"Esc {MARKER}" in html
