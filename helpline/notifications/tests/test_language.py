"""Mail in the recipient's language: the template row of the user's language, then the row in
the site's default language, then the file default."""

from __future__ import annotations

import pytest
from django.core import mail

from helpline import factories
from helpline.notifications.forms import EmailTemplateForm
from helpline.notifications.models import EmailTemplate, OutboundMessage
from helpline.notifications.services import notification_send


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def templates(db):
    """Acknowledgements in English (the site's language) and Danish; none in German."""
    EmailTemplate.objects.create(
        event="ticket_created",
        language="en",
        subject="[#{{ ticket.number }}] We got your request",
        text="Hello, we received ticket {{ ticket.number }}.",
    )
    EmailTemplate.objects.create(
        event="ticket_created",
        language="da",
        subject="[#{{ ticket.number }}] Vi har modtaget din henvendelse",
        text="Hej, vi har modtaget sag {{ ticket.number }}.",
    )


def _acknowledgements(ticket):
    return list(
        OutboundMessage.objects.filter(ticket=ticket, event="ticket_created").order_by("pk")
    )


def test_a_danish_customer_gets_the_danish_template(desk, committed, templates):
    desk.customer.language = "da"
    desk.customer.save(update_fields=["language"])
    with committed():
        ticket = desk.ticket()
    (ack,) = _acknowledgements(ticket)
    assert ack.subject == f"[#{ticket.number}] Vi har modtaget din henvendelse"
    assert ack.body_text == f"Hej, vi har modtaget sag {ticket.number}."
    (sent,) = [m for m in mail.outbox if desk.customer.email in m.to]
    assert sent.subject == ack.subject


def test_a_language_without_a_template_falls_back_to_the_default_language(
    desk, committed, templates
):
    desk.customer.language = "de"
    desk.customer.save(update_fields=["language"])
    with committed():
        ticket = desk.ticket()
    (ack,) = _acknowledgements(ticket)
    assert ack.subject == f"[#{ticket.number}] We got your request"


def test_without_any_template_row_the_file_default_is_used(desk, committed):
    desk.customer.language = "da"
    desk.customer.save(update_fields=["language"])
    with committed():
        ticket = desk.ticket(subject="Printer jams")
    (ack,) = _acknowledgements(ticket)
    assert ack.subject.startswith(f"[#{ticket.number}] ")
    assert "Vi har modtaget" not in ack.subject
    assert ack.body_text.strip()


def test_the_requester_and_a_collaborator_each_get_their_own_language(desk, committed, templates):
    desk.customer.language = "da"
    desk.customer.save(update_fields=["language"])
    colleague = factories.customer(language="en")
    with committed():
        ticket = desk.ticket()
        ticket.collaborators.add(colleague)
    OutboundMessage.objects.filter(ticket=ticket).delete()
    notification_send(event="ticket_created", ticket_id=ticket.pk)
    by_recipient = {tuple(m.to): m.subject for m in _acknowledgements(ticket)}
    assert by_recipient == {
        (desk.customer.email,): f"[#{ticket.number}] Vi har modtaget din henvendelse",
        (colleague.email,): f"[#{ticket.number}] We got your request",
    }


def test_an_agent_gets_agent_mail_in_the_agents_language(desk, committed):
    EmailTemplate.objects.create(
        event="ticket_assigned",
        language="da",
        subject="[#{{ ticket.number }}] Tildelt til dig",
        text="Sag {{ ticket.number }} er din.",
    )
    desk.l1.language = "da"
    desk.l1.save(update_fields=["language"])
    desk.l2.language = "da"
    desk.l2.save(update_fields=["language"])
    desk.l3.language = "da"
    desk.l3.save(update_fields=["language"])
    with committed():
        ticket = desk.ticket()
    ticket.refresh_from_db()
    assert ticket.assignee is not None
    assigned = OutboundMessage.objects.get(ticket=ticket, event="ticket_assigned")
    assert assigned.to == [ticket.assignee.email]
    assert assigned.subject == f"[#{ticket.number}] Tildelt til dig"


@pytest.mark.parametrize(("language", "valid"), [("da", True), ("dk", False)])
def test_a_template_is_saved_only_in_a_language_users_can_have(db, settings, language, valid):
    settings.LANGUAGES = [("en", "English"), ("da", "Danish")]
    form = EmailTemplateForm(
        data={
            "event": "ticket_created",
            "language": language,
            "subject": "[#{{ ticket.number }}] Modtaget",
            "text": "Sag {{ ticket.number }}.",
            "html": "",
        }
    )
    assert form.is_valid() is valid
    assert valid or "language" in form.errors
