"""The SLA in the web UI: the ticket page card, the queue badge, the public page, the policy
change form, and times shown in the agent's time zone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.audit.models import AuditEvent
from helpline.core import configcache
from helpline.sla.tests.steps import cph, fresh, policy_with
from helpline.tickets import services

pytestmark = pytest.mark.usefixtures("demo_policy")


def friday_ticket(desk, time_machine):
    """A medium (severity B: 4 h first response, 48 h resolution) ticket created Friday
    2026-11-20 15:00 Copenhagen, then looked at Monday 09:00."""
    time_machine.move_to(cph(2026, 11, 20, 15, 0), tick=False)
    ticket = desk.ticket()
    time_machine.move_to(cph(2026, 11, 23, 9, 0), tick=False)
    return ticket


# --- the ticket page --------------------------------------------------------------------------


def test_the_ticket_page_shows_each_target_due_in_the_agents_time_zone(client, desk, time_machine):
    ticket = friday_ticket(desk, time_machine)
    desk.l1.timezone = "America/New_York"
    desk.l1.save(update_fields=["timezone"])
    client.force_login(desk.l1)

    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()

    # First response: 1 h Friday + 3 h Monday → Monday 11:00 Copenhagen = 05:00 New York.
    assert "First response" in page
    assert "Mon 23 Nov, 05:00 EST" in page
    assert "2 h left" in page
    assert "Resolution" in page
    assert "sla-target sla-ok" in page


def test_the_ticket_page_shows_what_paused_the_clock(client, desk, time_machine):
    ticket = friday_ticket(desk, time_machine)
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    time_machine.move_to(cph(2026, 11, 24, 9, 0), tick=False)
    client.force_login(desk.l1)

    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert "Clock paused: Pending since" in page
    assert "Mon 23 Nov, 08:00 UTC" in page


def test_the_ticket_page_shows_a_met_first_response_with_its_time(client, desk, time_machine):
    ticket = friday_ticket(desk, time_machine)
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="On it.")
    client.force_login(desk.l1)

    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert "sla-target sla-met" in page
    assert "met <time" in page


def test_a_passed_due_time_shows_breached_before_the_sweep_runs(client, desk, time_machine):
    ticket = friday_ticket(desk, time_machine)
    time_machine.move_to(cph(2026, 11, 23, 12, 0), tick=False)
    client.force_login(desk.l1)

    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert "sla-target sla-breached" in page
    assert "1 h overdue" in page


def test_the_sla_card_reads_the_policies_in_a_fixed_number_of_queries_and_then_from_the_cache(
    client, desk
):
    ticket = desk.ticket()
    client.force_login(desk.l1)
    client.get(f"/desk/tickets/{ticket.number}/")

    with CaptureQueriesContext(connection) as few:
        client.get(f"/desk/tickets/{ticket.number}/")
    for n in range(8):
        policy_with(f"Policy {n}")
    with CaptureQueriesContext(connection) as reread:  # the saves cleared the cache
        client.get(f"/desk/tickets/{ticket.number}/")
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/desk/tickets/{ticket.number}/")

    def sla_queries(queries: CaptureQueriesContext) -> int:
        return len([q for q in queries.captured_queries if 'FROM "sla_' in q["sql"]])

    assert len(many) == len(few)
    assert sla_queries(few) == sla_queries(many) == 0
    assert sla_queries(reread) == 3  # the policies, their targets, the default's id
    assert response.content.count(b"<option value=") >= 9


# --- changing the policy from the ticket page ------------------------------------------------


def test_an_agent_changes_the_policy_from_the_ticket_page(client, desk):
    fast = policy_with("Fast track")
    ticket = desk.ticket()
    client.force_login(desk.l1)

    response = client.post(
        f"/desk/tickets/{ticket.number}/sla-policy/", {"policy": fast.pk, "reason": "VIP"}
    )

    assert response.status_code == 302
    assert fresh(ticket).sla_policy == fast
    assert AuditEvent.objects.get(action="ticket.sla_policy").note == "VIP"


def test_a_policy_change_without_a_reason_is_a_400_and_changes_nothing(client, desk, demo_policy):
    fast = policy_with("Fast track")
    ticket = desk.ticket()
    client.force_login(desk.l1)

    response = client.post(f"/desk/tickets/{ticket.number}/sla-policy/", {"policy": fast.pk})

    assert response.status_code == 400
    assert b"The policy was not changed" in response.content
    assert fresh(ticket).sla_policy == demo_policy


def test_a_customer_cannot_reach_the_policy_change(client, desk):
    fast = policy_with("Fast track")
    ticket = desk.ticket()
    client.force_login(desk.customer)

    response = client.post(
        f"/desk/tickets/{ticket.number}/sla-policy/", {"policy": fast.pk, "reason": "me"}
    )

    assert response.status_code == 404


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_shows_business_time_left_for_the_nearest_target(client, desk, time_machine):
    friday_ticket(desk, time_machine)
    client.force_login(desk.l1)

    page = client.get("/desk/?queue=all").content.decode()

    assert '<span class="sla-badge sla-ok"' in page
    assert "2 h left" in page


def test_the_queue_shows_paused_for_a_pending_ticket(client, desk, time_machine):
    ticket = friday_ticket(desk, time_machine)
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    client.force_login(desk.l1)

    page = client.get("/desk/?queue=all").content.decode()

    assert '<span class="sla-badge sla-paused"' in page


def test_the_queue_reads_the_policies_once_for_all_its_badges_from_a_cold_cache(client, desk):
    other = policy_with("Other")
    for n in range(30):
        ticket = desk.ticket(subject=f"Ticket {n}")
        if n % 2:
            services.ticket_set_sla_policy(actor=desk.l1, ticket=ticket, policy=other, reason="x")
    client.force_login(desk.l1)
    configcache.clear_all()

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/desk/?queue=all")

    # the policies, their targets and the default's id, read once for every badge
    assert len([q for q in queries.captured_queries if 'FROM "sla_' in q["sql"]]) == 3
    assert response.content.count(b'class="sla-badge sla-ok"') == 25


# --- the public page --------------------------------------------------------------------------


def test_anyone_can_read_the_sla_page_with_targets_and_hours_in_words(client, desk):
    response = client.get("/sla/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Americorp standard" in page
    assert (
        "Monday to Friday 08:00–16:00 (Europe/Copenhagen), closed on Danish public holidays" in page
    )
    assert '<td data-label="Resolution">24 h</td>' in page
    assert '<td data-label="Resolution">72 h</td>' in page


def test_a_policy_that_is_not_public_is_not_on_the_sla_page(client, desk):
    policy_with("Secret internal", is_public=False)

    page = client.get("/sla/").content.decode()

    assert "Secret internal" not in page


def test_the_sla_page_runs_a_fixed_number_of_queries(client, desk, django_assert_max_num_queries):
    for n in range(6):
        policy_with(f"Policy {n}")

    with django_assert_max_num_queries(4):
        response = client.get("/sla/")

    assert response.content.count(b'class="table sla-table"') == 7


def test_customers_find_the_sla_page_in_the_portal_menu(client, desk):
    client.force_login(desk.customer)

    page = client.get("/tickets/").content.decode()

    assert 'href="/sla/"' in page


# --- time zone --------------------------------------------------------------------------------


def test_an_unknown_user_time_zone_falls_back_to_the_site_time_zone(client, desk, time_machine):
    ticket = friday_ticket(desk, time_machine)
    desk.l1.timezone = "Not/AZone"
    desk.l1.save(update_fields=["timezone"])
    client.force_login(desk.l1)

    response = client.get(f"/desk/tickets/{ticket.number}/")

    assert response.status_code == 200
    assert "Mon 23 Nov, 10:00 UTC" in response.content.decode()
