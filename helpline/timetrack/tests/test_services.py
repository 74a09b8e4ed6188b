"""Logging, changing and deleting time; rates fixed at logging; who may do what; timers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from helpline.audit.models import AuditEvent
from helpline.core import clock
from helpline.core.errors import Conflict, PermissionDenied, ValidationFailed
from helpline.tickets import services as ticket_services
from helpline.timetrack import selectors, services
from helpline.timetrack.models import TimeEntry, Timer
from helpline.timetrack.tests.factories import activity, agent_rate, level_rate


def log(agent, ticket, minutes, **kwargs):
    kwargs.setdefault("activity", activity())
    return services.time_entry_log(actor=agent, ticket=ticket, minutes=minutes, **kwargs)


def test_time_entries_sum_into_the_ticket_cost_with_agent_and_level_rates(desk):
    level_rate(1, "40.00")
    level_rate(2, "60.00")
    agent_rate(desk.l2, "90.00")  # overrides level 2
    ticket = desk.ticket()

    log(desk.l1, ticket, 30)  # 30 min at 40/h (level 1) = 20.00
    log(desk.l2, ticket, 20)  # 20 min at 90/h (own rate) = 30.00
    log(desk.admin, ticket, 15)  # no level, no rate = 0.00

    totals = selectors.totals(selectors.time_entries(ticket=ticket))
    assert totals.minutes == 65
    assert totals.cost == Decimal("50.00")


def test_a_rate_change_does_not_rewrite_logged_cost(desk):
    level_rate(1, "40.00")
    ticket = desk.ticket()
    entry = log(desk.l1, ticket, 60)

    level_rate(1, "100.00")
    changed = services.time_entry_update(actor=desk.l1, time_entry=entry, changes={"minutes": 30})

    assert changed.hourly_rate == Decimal("40.00")
    assert changed.cost == Decimal("20.00")
    assert log(desk.l1, ticket, 60).cost == Decimal("100.00")


def test_logging_is_audited_on_the_ticket(desk):
    ticket = desk.ticket()

    entry = log(desk.l1, ticket, 25, note="Reset the printer")

    event = AuditEvent.objects.get(ticket=ticket, action="time.logged")
    assert event.object_id == str(entry.pk)
    assert event.changes["minutes"] == [None, 25]


@pytest.mark.parametrize("minutes", [0, -5, 1441, 2.5, "30", None])
def test_minutes_out_of_range_are_refused(desk, minutes):
    with pytest.raises(ValidationFailed) as refused:
        log(desk.l1, desk.ticket(), minutes)
    assert "minutes" in refused.value.fields
    assert not TimeEntry.objects.exists()


def test_an_inactive_activity_is_refused(desk):
    retired = activity("Faxing", is_active=False)

    with pytest.raises(ValidationFailed) as refused:
        log(desk.l1, desk.ticket(), 10, activity=retired)
    assert "activity" in refused.value.fields


def test_a_future_work_date_is_refused(desk):
    with pytest.raises(ValidationFailed) as refused:
        log(desk.l1, desk.ticket(), 10, work_date=clock.now().date() + timedelta(days=3))
    assert "work_date" in refused.value.fields


def test_an_agent_outside_the_department_cannot_log(desk):
    with pytest.raises(PermissionDenied):
        log(desk.outsider, desk.ticket(), 10)
    assert not TimeEntry.objects.exists()


def test_a_customer_cannot_log(desk):
    with pytest.raises(PermissionDenied):
        log(desk.customer, desk.ticket(), 10)


def test_no_time_on_a_closed_ticket(desk):
    ticket = desk.ticket()
    ticket_services.ticket_take(actor=desk.l1, ticket=ticket)
    ticket_services.ticket_transition(
        actor=desk.l1,
        ticket=ticket,
        action="resolve",
        resolution=ticket_services.Resolution("a", "b"),
    )
    ticket_services.ticket_transition(actor=desk.l1, ticket=ticket, action="close")

    with pytest.raises(Conflict):
        log(desk.l1, ticket, 10)


def test_agents_change_only_their_own_entries_and_admins_any(desk):
    entry = log(desk.l1, desk.ticket(), 10)

    with pytest.raises(PermissionDenied):
        services.time_entry_update(actor=desk.l2, time_entry=entry, changes={"minutes": 5})
    with pytest.raises(PermissionDenied):
        services.time_entry_delete(actor=desk.l2, time_entry=entry)
    services.time_entry_update(actor=desk.admin, time_entry=entry, changes={"note": "checked"})
    services.time_entry_delete(actor=desk.l1, time_entry=entry)

    assert not TimeEntry.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="time.").values_list("action", flat=True)
    )
    assert actions == ["time.logged", "time.updated", "time.deleted"]


def test_time_on_a_reply_is_tied_to_it_once(desk):
    ticket = desk.ticket()
    reply = ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Done")

    entry = log(desk.l1, ticket, 12, entry=reply)

    assert entry.entry_id == reply.pk
    with pytest.raises(Conflict):
        log(desk.l1, ticket, 5, entry=reply)
    with pytest.raises(ValidationFailed):
        log(desk.l2, ticket, 5, entry=reply)  # not their reply


def test_a_timer_survives_until_stopped_and_logs_the_minutes_it_ran(desk):
    ticket = desk.ticket()
    level_rate(1, "60.00")
    start = clock.now()
    with time_machine.travel(start, tick=False):
        services.timer_start(actor=desk.l1, ticket=ticket)
        services.timer_start(actor=desk.l1, ticket=ticket)  # a second start keeps the first
    assert selectors.running_timer(agent=desk.l1, ticket=ticket).started_at == start

    with time_machine.travel(start + timedelta(minutes=17, seconds=5), tick=False):
        entry = services.timer_stop(actor=desk.l1, ticket=ticket, activity=activity())

    assert entry.minutes == 18
    assert entry.cost == Decimal("18.00")
    assert not Timer.objects.exists()


def test_stopping_without_a_timer_is_a_conflict(desk):
    with pytest.raises(Conflict):
        services.timer_stop(actor=desk.l1, ticket=desk.ticket(), activity=activity())


def test_a_timer_over_a_day_is_refused_and_kept(desk):
    ticket = desk.ticket()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        services.timer_start(actor=desk.l1, ticket=ticket)
    with (
        time_machine.travel(start + timedelta(hours=25), tick=False),
        pytest.raises(ValidationFailed),
    ):
        services.timer_stop(actor=desk.l1, ticket=ticket, activity=activity())

    assert Timer.objects.filter(agent=desk.l1).exists()
    assert not TimeEntry.objects.exists()


def test_rates_and_activity_types_are_managed_in_the_audited_admin(desk, client):
    from helpline.timetrack.models import LevelRate

    client.force_login(desk.admin)

    response = client.post(
        "/admin/timetrack/levelrate/add/", {"support_level": "2", "hourly_rate": "55.50"}
    )
    listing = client.get("/admin/timetrack/activitytype/")

    assert response.status_code == 302
    assert LevelRate.objects.get(support_level=2).hourly_rate == Decimal("55.50")
    assert AuditEvent.objects.filter(action="levelrate.create").exists()
    assert listing.status_code == 200
    assert "Troubleshooting" in listing.content.decode()
