"""Email templates: the file defaults, admins' overrides per language, variables documented
and checked when saved, the admin preview."""

from __future__ import annotations

import pytest
from django.core import mail

from helpline import factories
from helpline.notifications.backoff import retry_delay
from helpline.notifications.forms import EmailTemplateForm
from helpline.notifications.mailheaders import from_address, message_domain, thread_headers
from helpline.notifications.models import EmailTemplate
from helpline.notifications.registry import AGENT_EVENTS, EVENTS, example_context
from helpline.notifications.templating import (
    default_sources,
    render_template,
    template_errors,
    unknown_variables,
)

# --- pure ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 5), (3, 25), (4, 125), (5, 625), (6, None)]
)
def test_retry_delay_grows_fivefold_and_stops_after_the_last_attempt(attempts, minutes):
    delay = retry_delay(attempts, 6)
    assert (delay.total_seconds() / 60 if delay else None) == minutes


def test_retry_delay_is_capped_at_twelve_hours():
    assert retry_delay(9, 20).total_seconds() == 12 * 3600


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ([], ("", "")),
        (["<a@x>"], ("<a@x>", "<a@x>")),
        (["<a@x>", "<b@x>"], ("<b@x>", "<a@x> <b@x>")),
        (["<a@x>", "<b@x>", "<c@x>"], ("<c@x>", "<a@x> <c@x>")),
    ],
)
def test_thread_headers_answer_the_last_and_reference_the_first(ids, expected):
    assert thread_headers(ids) == expected


def test_message_domain_prefers_the_setting_then_the_site_host():
    assert message_domain("mail.example.org", "https://desk.example.org") == "mail.example.org"
    assert message_domain("", "https://desk.example.org:8443/x") == "desk.example.org"


def test_from_address_puts_the_agents_name_in_the_display_name():
    assert from_address("Helpline <h@x.org>", "Ann") == "Ann via Helpline <h@x.org>"
    assert from_address("Helpline <h@x.org>") == "Helpline <h@x.org>"


def test_every_event_documents_its_variables_with_an_example_value():
    for key, event in EVENTS.items():
        assert event.variables, key
        assert set(example_context(key)) == set(event.variables)
        assert all(description for description in event.variables.values())


def test_the_issues_events_all_exist():
    wanted = {
        "ticket_created", "agent_replied", "pending_reminder", "ticket_resolved",
        "ticket_autoclosed", "ticket_assigned", "ticket_escalated", "sla_warning",
        "sla_breached",
    }  # fmt: skip
    assert wanted <= set(EVENTS)
    assert {"ticket_assigned", "sla_breached"} <= set(AGENT_EVENTS)
    assert "ticket_created" not in AGENT_EVENTS


def test_unknown_variables_knows_loop_and_with_names():
    source = (
        "{% for tag in ticket.tags %}{{ tag }}{{ forloop.counter }}{% endfor %}"
        "{% with n=ticket.number %}{{ n }}{% endwith %}{% if bogus %}{{ other|default:third }}"
        "{% endif %}"
    )
    assert unknown_variables(source, {"ticket"}) == ["bogus", "other", "third"]


# --- validation ---------------------------------------------------------------------------


def test_every_file_default_is_a_valid_template_for_its_event():
    for event in EVENTS:
        subject, text, html = default_sources(event)
        assert template_errors(event, subject=subject, text=text, html=html) == {}, event


def test_a_template_syntax_error_is_a_form_error(db):
    form = EmailTemplateForm(
        data={
            "event": "ticket_created",
            "language": "en",
            "subject": "[#{{ ticket.number }}] ok",
            "text": "{% if ticket.number %}never closed",
            "html": "",
        }
    )
    assert not form.is_valid()
    assert "Template syntax error" in form.errors["text"][0]


def test_an_unknown_variable_is_a_form_error_that_lists_the_available_ones(db):
    form = EmailTemplateForm(
        data={
            "event": "ticket_created",
            "language": "en",
            "subject": "{{ ticket.number }} {{ password }}",
            "text": "Hello",
            "html": "<p>{{ entry.body }}</p>",
        }
    )
    assert not form.is_valid()
    assert "Unknown variable: password" in form.errors["subject"][0]
    assert "ticket_url" in form.errors["subject"][0]
    # entry is not a variable of the acknowledgement (there is no message yet)
    assert "Unknown variable: entry" in form.errors["html"][0]


def test_a_valid_template_saves(db):
    form = EmailTemplateForm(
        data={
            "event": "agent_replied",
            "language": "de",
            "subject": "[#{{ ticket.number }}] Antwort",
            "text": "{{ entry.author.display_name }}: {{ entry.body }}",
            "html": "<p>{{ entry.body }}</p>",
        }
    )
    assert form.is_valid(), form.errors
    form.save()
    assert EmailTemplate.objects.get(event="agent_replied", language="de")


# --- rendering ----------------------------------------------------------------------------


def test_a_template_row_overrides_the_file(desk, django_capture_on_commit_callbacks):
    EmailTemplate.objects.create(
        event="ticket_created",
        language="en",
        subject="[#{{ ticket.number }}] Thanks!",
        text="Got it: {{ ticket.subject }}",
        html="<p>Got it: {{ ticket.subject }}</p>",
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = desk.ticket(subject="<b>Printer</b>")
    ack = mail.outbox[0]
    assert ack.subject == f"[#{ticket.number}] Thanks!"
    assert ack.body == "Got it: <b>Printer</b>"  # text is not HTML-escaped
    html, mimetype = ack.alternatives[0]
    assert mimetype == "text/html"
    assert html == "<p>Got it: &lt;b&gt;Printer&lt;/b&gt;</p>"  # HTML is


def test_the_language_falls_back_to_the_sites_then_to_the_file(db, settings):
    context = example_context("ticket_pending")
    subject, _, _ = render_template("ticket_pending", context, "fr")
    assert subject == "[#1042] We need your answer: VPN drops every few minutes"
    EmailTemplate.objects.create(event="ticket_pending", language="en", subject="EN", text="t")
    EmailTemplate.objects.create(event="ticket_pending", language="fr", subject="FR", text="t")
    assert render_template("ticket_pending", context, "fr")[0] == "FR"
    assert render_template("ticket_pending", context, "de")[0] == "EN"
    assert render_template("ticket_pending", context)[0] == "EN"


def test_render_template_refuses_unknown_events():
    with pytest.raises(KeyError):
        render_template("no_such_event", {})


# --- admin --------------------------------------------------------------------------------


def test_the_admin_previews_a_saved_template_with_example_values(db, client):
    admin = factories.admin()
    row = EmailTemplate.objects.create(
        event="ticket_resolved",
        language="en",
        subject="[#{{ ticket.number }}] Fixed",
        text="Confirm at {{ confirm_url }}",
    )
    client.force_login(admin)
    page = client.get(f"/admin/notifications/emailtemplate/{row.pk}/change/").content.decode()
    assert "[#1042] Fixed" in page
    assert "Confirm at https://helpdesk.example.com/tickets/1042/#confirm" in page
    assert "reopen_url" in page  # the variables are documented on the page


def test_the_admin_refuses_an_invalid_template_and_changes_nothing(db, client):
    admin = factories.admin()
    client.force_login(admin)
    response = client.post(
        "/admin/notifications/emailtemplate/add/",
        {"event": "ticket_created", "language": "en", "subject": "{{ nope }}", "text": "x"},
    )
    assert response.status_code == 200
    assert "Unknown variable: nope" in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_saving_a_template_in_the_admin_is_audited(db, client):
    from helpline.audit.models import AuditEvent

    client.force_login(factories.admin())
    response = client.post(
        "/admin/notifications/emailtemplate/add/",
        {"event": "ticket_created", "language": "en", "subject": "Hi", "text": "x"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="emailtemplate.create").exists()
