from helpline import factories


def _ticket_with_file(desk, upload):
    ticket = desk.ticket(attachments=[upload("report.pdf", b"%PDF-1.4 data", "application/pdf")])
    return ticket, ticket.attachments.get()


def _content(response):
    return b"".join(response.streaming_content)


def test_requester_downloads_an_attachment_as_a_file(desk, client, upload):
    ticket, attachment = _ticket_with_file(desk, upload)
    client.force_login(desk.customer)
    response = client.get(f"/tickets/{ticket.number}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert _content(response) == b"%PDF-1.4 data"


def test_agent_of_the_department_downloads_the_attachment(desk, client, upload):
    ticket, attachment = _ticket_with_file(desk, upload)
    client.force_login(desk.l2)
    response = client.get(f"/tickets/{ticket.number}/attachments/{attachment.pk}/")
    assert response.status_code == 200


def test_attachment_is_a_404_for_people_who_cannot_see_the_ticket(desk, client, upload):
    ticket, attachment = _ticket_with_file(desk, upload)
    url = f"/tickets/{ticket.number}/attachments/{attachment.pk}/"
    for user in (factories.customer(), desk.outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_attachment_of_another_ticket_is_a_404_under_a_visible_ticket(desk, client, upload):
    _, attachment = _ticket_with_file(desk, upload)
    mine = desk.ticket(requester=desk.other_customer)
    client.force_login(desk.other_customer)
    assert client.get(f"/tickets/{mine.number}/attachments/{attachment.pk}/").status_code == 404


def test_anonymous_download_redirects_to_login(desk, client, upload):
    ticket, attachment = _ticket_with_file(desk, upload)
    response = client.get(f"/tickets/{ticket.number}/attachments/{attachment.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_ticket_pages_link_attachments_only_through_the_checked_view(desk, client, upload):
    ticket, attachment = _ticket_with_file(desk, upload)
    client.force_login(desk.customer)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f"/tickets/{ticket.number}/attachments/{attachment.pk}/" in html
    assert attachment.file.name not in html
