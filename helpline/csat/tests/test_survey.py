"""A resolution opens a survey and mails a one-click link; the link and the portal record one
rating; a low rating tells the manager and is an audit event on the ticket."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from helpline.audit.models import AuditEvent
from helpline.core import clock
from helpline.csat.models import CsatSettings, Survey
from helpline.csat.selectors import csat_settings
from helpline.csat.tests.factories import last_token, reopen, resolve, survey_mails


def rate_url(token: str) -> str:
    return f"/csat/{token}/"


# --- opening a survey ----------------------------------------------------------------------


def test_resolving_a_ticket_opens_a_survey_with_the_agent_and_department(desk, committed):
    ticket = resolve(committed, desk.ticket(), desk.l1)

    survey = Survey.objects.get(ticket=ticket)
    assert survey.agent == desk.l1
    assert survey.department == desk.department
    assert survey.scale == "five"
    assert survey.rating is None
    assert survey.token_hash and len(survey.token_hash) == 64


def test_the_requester_is_mailed_one_link_per_rating(desk, committed):
    ticket = resolve(committed, desk.ticket(subject="Printer jams"), desk.l1)

    (message,) = survey_mails()
    assert message.to == [desk.customer.email]
    assert f"#{ticket.number}" in message.subject
    for rating in (1, 2, 3, 4, 5):
        assert f"?rating={rating}" in message.body
    token = last_token()
    assert token not in Survey.objects.get().token_hash  # only its hash is stored


def test_no_survey_when_csat_is_disabled(desk, committed):
    CsatSettings.objects.update_or_create(pk=1, defaults={"enabled": False})

    resolve(committed, desk.ticket(), desk.l1)

    assert not Survey.objects.exists()
    assert survey_mails() == []


def test_the_binary_scale_mails_good_and_bad(desk, committed):
    CsatSettings.objects.update_or_create(pk=1, defaults={"scale": "binary"})

    resolve(committed, desk.ticket(), desk.l1)

    body = survey_mails()[0].body
    assert "Good:" in body and "?rating=1" in body
    assert "Bad:" in body and "?rating=0" in body


# --- the link --------------------------------------------------------------------------------


def test_opening_the_link_shows_the_chosen_rating_and_changes_nothing(desk, committed, client):
    resolve(committed, desk.ticket(), desk.l1)
    token = last_token()

    response = client.get(rate_url(token) + "?rating=4")

    assert response.status_code == 200
    html = response.content.decode()
    checked = re.findall(r'<input[^>]*name="rating"[^>]*value="(\d)"[^>]*checked', html)
    assert checked == ["4"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert Survey.objects.get().rating is None


def test_the_link_records_the_rating_once_and_refuses_the_second_use(desk, committed, client):
    ticket = resolve(committed, desk.ticket(), desk.l1)
    token = last_token()

    first = client.post(rate_url(token), {"rating": "5", "comment": "Quick and kind"})
    second = client.post(rate_url(token), {"rating": "1"})
    again = client.get(rate_url(token) + "?rating=1")

    assert first.status_code == 200
    assert "Thank you" in first.content.decode()
    survey = Survey.objects.get()
    assert (survey.rating, survey.comment, survey.channel) == (5, "Quick and kind", "email")
    assert survey.rated_by == desk.customer
    assert second.status_code == 409
    assert "already been rated" in second.content.decode()
    assert again.status_code == 409
    assert Survey.objects.get().rating == 5
    assert AuditEvent.objects.filter(ticket=ticket, action="csat.rated").count() == 1


def test_an_expired_link_is_refused(desk, committed, client):
    resolve(committed, desk.ticket(), desk.l1)
    token = last_token()
    days = csat_settings().link_valid_days

    with time_machine.travel(clock.now() + timedelta(days=days, minutes=1)):
        shown = client.get(rate_url(token) + "?rating=5")
        posted = client.post(rate_url(token), {"rating": "5"})

    assert shown.status_code == 410
    assert posted.status_code == 410
    assert "expired" in posted.content.decode()
    assert Survey.objects.get().rating is None


@pytest.mark.parametrize("change", ["flip", "truncate", "garbage"])
def test_a_tampered_token_is_refused(desk, committed, client, change):
    resolve(committed, desk.ticket(), desk.l1)
    token = last_token()
    tampered = {
        "flip": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "truncate": token[:20],
        "garbage": "x" * 300,
    }[change]

    response = client.post(rate_url(tampered), {"rating": "5"})

    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert Survey.objects.get().rating is None


def test_a_rating_off_the_scale_is_refused_with_the_form(desk, committed, client):
    resolve(committed, desk.ticket(), desk.l1)

    response = client.post(rate_url(last_token()), {"rating": "9"})

    assert response.status_code == 400
    assert Survey.objects.get().rating is None


def test_reopen_then_resolve_again_sends_a_new_survey_and_the_old_link_stops(
    desk, committed, client
):
    ticket = resolve(committed, desk.ticket(), desk.l1)
    old = last_token()
    ticket = reopen(committed, ticket, desk.customer)

    refused_while_open = client.post(rate_url(old), {"rating": "5"})
    resolve(committed, ticket, desk.l1)
    new = last_token()
    refused_old = client.post(rate_url(old), {"rating": "5"})
    accepted_new = client.post(rate_url(new), {"rating": "4"})

    assert refused_while_open.status_code == 409
    assert refused_old.status_code == 410
    assert "replaced" in refused_old.content.decode()
    assert accepted_new.status_code == 200
    assert Survey.objects.filter(ticket=ticket).count() == 2
    current = Survey.objects.get(ticket=ticket, superseded_at__isnull=True)
    assert current.rating == 4


# --- low ratings -----------------------------------------------------------------------------


def test_a_low_rating_mails_the_department_manager_and_is_audited(desk, committed, client):
    desk.department.manager = desk.l3
    desk.department.save()
    ticket = resolve(committed, desk.ticket(subject="VPN"), desk.l1)
    token = last_token()
    mail.outbox.clear()

    with committed():
        client.post(rate_url(token), {"rating": "1", "comment": "Took a week"})

    (alert,) = mail.outbox
    assert alert.to == [desk.l3.email]
    assert "Low satisfaction" in alert.subject
    assert "Took a week" in alert.body
    event = AuditEvent.objects.get(ticket=ticket, action="csat.low_rating")
    assert event.changes["rating"] == [None, 1]
    assert Survey.objects.get().low is True


def test_a_rating_above_the_threshold_tells_nobody(desk, committed, client):
    desk.department.manager = desk.l3
    desk.department.save()
    ticket = resolve(committed, desk.ticket(), desk.l1)
    token = last_token()
    mail.outbox.clear()

    with committed():
        client.post(rate_url(token), {"rating": "3"})

    assert mail.outbox == []
    assert not AuditEvent.objects.filter(ticket=ticket, action="csat.low_rating").exists()


def test_the_threshold_is_configurable(desk, committed, client):
    CsatSettings.objects.update_or_create(pk=1, defaults={"low_threshold": 3})
    ticket = resolve(committed, desk.ticket(), desk.l1)

    with committed():
        client.post(rate_url(last_token()), {"rating": "3"})

    assert AuditEvent.objects.filter(ticket=ticket, action="csat.low_rating").exists()


def test_without_a_department_manager_the_members_marked_manager_are_told(desk, committed, client):
    from helpline.directory.models import DepartmentMembership

    DepartmentMembership.objects.filter(user=desk.l2).update(is_manager=True)
    resolve(committed, desk.ticket(), desk.l1)
    token = last_token()
    mail.outbox.clear()

    with committed():
        client.post(rate_url(token), {"rating": "1"})

    assert [m.to for m in mail.outbox] == [[desk.l2.email]]


# --- portal ----------------------------------------------------------------------------------


def test_the_requester_rates_in_the_portal(desk, committed, client):
    ticket = resolve(committed, desk.ticket(), desk.l1)
    client.force_login(desk.customer)

    page = client.get(f"/tickets/{ticket.number}/")
    posted = client.post(f"/tickets/{ticket.number}/csat/", {"rating": "4", "comment": "ok"})
    after = client.get(f"/tickets/{ticket.number}/")

    assert "How did we do?" in page.content.decode()
    assert posted.status_code == 302
    survey = Survey.objects.get()
    assert (survey.rating, survey.channel) == (4, "portal")
    assert "Your rating" in after.content.decode()
    assert "Satisfied" in after.content.decode()


def test_a_second_portal_rating_is_refused(desk, committed, client):
    ticket = resolve(committed, desk.ticket(), desk.l1)
    client.force_login(desk.customer)
    client.post(f"/tickets/{ticket.number}/csat/", {"rating": "4"})

    response = client.post(f"/tickets/{ticket.number}/csat/", {"rating": "1"})

    assert response.status_code == 409
    assert Survey.objects.get().rating == 4


def test_another_customer_of_a_shared_organization_cannot_rate(desk, committed, client):
    desk.org.shares_tickets = True
    desk.org.save()
    ticket = resolve(committed, desk.ticket(), desk.l1)
    client.force_login(desk.other_customer)

    page = client.get(f"/tickets/{ticket.number}/")
    response = client.post(f"/tickets/{ticket.number}/csat/", {"rating": "5"})

    assert page.status_code == 200
    assert "How did we do?" not in page.content.decode()
    assert response.status_code == 404
    assert Survey.objects.get().rating is None


def test_an_unresolved_ticket_shows_no_rating_box(desk, client):
    ticket = desk.ticket()
    client.force_login(desk.customer)

    assert 'id="csat"' not in client.get(f"/tickets/{ticket.number}/").content.decode()


def test_the_portal_rating_box_costs_one_query_however_many_surveys(desk, committed, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = resolve(committed, desk.ticket(), desk.l1)
    for _ in range(3):
        ticket = resolve(committed, reopen(committed, ticket, desk.customer), desk.l1)
    client.force_login(desk.customer)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/tickets/{ticket.number}/")

    assert response.status_code == 200
    assert Survey.objects.filter(ticket=ticket).count() == 4
    assert len([q for q in queries.captured_queries if "csat_survey" in q["sql"]]) == 1


def test_an_off_scale_rating_in_the_link_preselects_nothing(desk, committed, client):
    resolve(committed, desk.ticket(), desk.l1)

    html = client.get(rate_url(last_token()) + "?rating=abc").content.decode()

    assert "checked" not in html


# --- admin ---------------------------------------------------------------------------------


def test_changing_the_settings_in_the_admin_is_audited(desk, client):
    client.force_login(desk.admin)
    csat_settings()

    response = client.post(
        "/admin/csat/csatsettings/1/change/",
        {"enabled": "on", "scale": "binary", "low_threshold": "2", "link_valid_days": "7"},
    )

    assert response.status_code == 302
    assert csat_settings().scale == "binary"
    event = AuditEvent.objects.get(action="csatsettings.update")
    assert event.changes["scale"] == ["five", "binary"]


def test_agents_see_the_customer_rating_in_the_ticket_side_panel(desk, committed, client):
    ticket = resolve(committed, desk.ticket(), desk.l1)
    client.force_login(desk.l2)
    panel = f"/desk/tickets/{ticket.number}/time/"
    before = client.get(panel, HTTP_HX_REQUEST="true").content.decode()
    client.post(rate_url(last_token()), {"rating": "2", "comment": "Slow"})

    after = client.get(panel, HTTP_HX_REQUEST="true").content.decode()

    assert "not answered yet" in before
    assert "Dissatisfied" in after and "Slow" in after
