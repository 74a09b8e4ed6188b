"""The time panel on the agent's ticket page: totals, logging, reply time, timer."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.tickets import services as ticket_services
from helpline.timetrack import services
from helpline.timetrack.models import TimeEntry, Timer
from helpline.timetrack.tests.factories import activity, level_rate

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(ticket):
    return f"/desk/tickets/{ticket.number}/"


def time_url(ticket, action=""):
    return f"/desk/tickets/{ticket.number}/time/{action}"


def test_the_ticket_page_loads_the_time_panel_after_the_page(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.l1)

    html = client.get(page(ticket)).content.decode()

    assert 'id="timetrack-panel"' in html
    assert f'hx-get="{time_url(ticket)}"' in html


def test_the_panel_shows_total_time_and_cost(client, desk):
    level_rate(1, "60.00")
    ticket = desk.ticket()
    services.time_entry_log(actor=desk.l1, ticket=ticket, minutes=90, activity=activity())
    client.force_login(desk.l1)

    html = client.get(time_url(ticket), **HTMX).content.decode()

    assert 'id="timetrack-panel"' in html
    assert "1 h 30 min" in html
    assert "90.00" in html


def test_logging_time_with_htmx_returns_the_refreshed_panel(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.l1)

    response = client.post(
        time_url(ticket, "log/"),
        {"minutes": "25", "activity": activity().pk, "note": "Called the user"},
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<section") or 'id="timetrack-panel"' in html
    assert "Called the user" in html
    assert TimeEntry.objects.get().minutes == 25


def test_logging_without_javascript_redirects_to_the_ticket(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.l1)

    response = client.post(time_url(ticket, "log/"), {"minutes": "5", "activity": activity().pk})

    assert response.status_code == 302
    assert response["Location"] == page(ticket)


def test_bad_minutes_show_the_error_and_log_nothing(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.l1)

    response = client.post(
        time_url(ticket, "log/"), {"minutes": "2000", "activity": activity().pk}, **HTMX
    )

    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_an_agent_outside_the_department_cannot_log_on_the_page(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.outsider)

    response = client.post(time_url(ticket, "log/"), {"minutes": "5", "activity": activity().pk})

    assert response.status_code == 404
    assert not TimeEntry.objects.exists()


def test_a_customer_never_sees_the_panel(client, desk):
    ticket = desk.ticket()
    services.time_entry_log(actor=desk.l1, ticket=ticket, minutes=5, activity=activity())
    client.force_login(desk.customer)

    portal = client.get(f"/tickets/{ticket.number}/").content.decode()
    panel = client.get(time_url(ticket))

    assert "timetrack" not in portal
    assert panel.status_code == 404


def test_after_a_reply_the_panel_asks_for_its_time(client, desk):
    ticket = desk.ticket()
    reply = ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Try again")
    client.force_login(desk.l1)

    html = client.get(time_url(ticket), **HTMX).content.decode()
    response = client.post(
        time_url(ticket, "reply/"),
        {"minutes": "8", "activity": activity().pk, "entry": reply.pk},
        **HTMX,
    )

    assert "how long did it take?" in html
    assert response.status_code == 200
    assert TimeEntry.objects.get().entry_id == reply.pk
    assert "how long did it take?" not in response.content.decode()


def test_the_timer_runs_across_reloads_and_logs_on_stop(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.l1)

    client.post(time_url(ticket, "timer/start/"), **HTMX)
    reloaded = client.get(time_url(ticket), **HTMX).content.decode()
    stopped = client.post(time_url(ticket, "timer/stop/"), {"activity": activity().pk}, **HTMX)

    assert "Timer running since" in reloaded
    assert stopped.status_code == 200
    assert TimeEntry.objects.get().minutes == 1
    assert not Timer.objects.exists()


def test_editing_an_entry_through_the_panel(client, desk):
    ticket = desk.ticket()
    entry = services.time_entry_log(actor=desk.l1, ticket=ticket, minutes=5, activity=activity())
    client.force_login(desk.l1)

    form = client.get(time_url(ticket) + f"?edit={entry.pk}", **HTMX).content.decode()
    saved = client.post(
        time_url(ticket, f"{entry.pk}/edit/"),
        {"minutes": "15", "activity": activity().pk, "note": "more"},
        **HTMX,
    )
    minutes = TimeEntry.objects.get().minutes
    deleted = client.post(time_url(ticket, f"{entry.pk}/delete/"), **HTMX)

    assert "time-edit-minutes" in form
    assert saved.status_code == 200
    assert minutes == 15
    assert deleted.status_code == 200
    assert not TimeEntry.objects.exists()


def test_another_agents_entry_cannot_be_deleted_on_the_page(client, desk):
    ticket = desk.ticket()
    entry = services.time_entry_log(actor=desk.l1, ticket=ticket, minutes=5, activity=activity())
    client.force_login(desk.l2)

    html = client.get(time_url(ticket), **HTMX).content.decode()
    response = client.post(time_url(ticket, f"{entry.pk}/delete/"), **HTMX)

    assert f"/time/{entry.pk}/delete/" not in html
    assert response.status_code == 403
    assert TimeEntry.objects.exists()


def _panel_queries(client, ticket):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(time_url(ticket), **HTMX)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_panel_costs_the_same_queries_for_one_entry_or_many(client, desk):
    ticket = desk.ticket()
    services.time_entry_log(actor=desk.l1, ticket=ticket, minutes=5, activity=activity())
    client.force_login(desk.l1)
    one = _panel_queries(client, ticket)
    for agent in (desk.l2, desk.l3, desk.admin, desk.l1, desk.l2):
        services.time_entry_log(actor=agent, ticket=ticket, minutes=5, activity=activity())

    many = _panel_queries(client, ticket)

    assert many == one
    assert many <= 12


def test_the_ticket_page_costs_the_same_queries_with_more_entries(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    client.get(page(ticket))  # fills the per-process configuration caches (the roster)
    with CaptureQueriesContext(connection) as before:
        client.get(page(ticket))
    for agent in (desk.l2, desk.l3, desk.admin, desk.l1):
        services.time_entry_log(actor=agent, ticket=ticket, minutes=5, activity=activity())

    with CaptureQueriesContext(connection) as after:
        client.get(page(ticket))

    # The page also shows the audit trail, which grows by the time.logged events (same query).
    assert len(after.captured_queries) == len(before.captured_queries)
