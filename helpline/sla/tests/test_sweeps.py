"""The periodic sweeps: SLA warnings and breaches, escalation on breach, pending reminders and
auto-resolve, auto-close. Each fires once, however often the sweeps run.

The policy is a 24/7 one (first response 60, resolution 240 minutes, warning at 75 %), so the
times below are plain clock times. Mail is sent by the tasks that run when the sweep's
transaction commits, hence ``django_capture_on_commit_callbacks(execute=True)``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline import factories
from helpline.accounts.selectors import SYSTEM_EMAIL
from helpline.audit.models import AuditEvent
from helpline.core import configcache
from helpline.sla import sweeps
from helpline.sla.models import Calendar, NextCheck
from helpline.sla.sweeps import run_sweeps
from helpline.sla.tests.steps import RESOLUTION, audit_count, fresh, policy_with, utc
from helpline.tickets import services
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("round_the_clock")

START = utc(2026, 11, 16, 9)  # Monday 09:00 UTC


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweeps at an instant, sending the mail they cause; returns the report."""

    def run(time_machine, at):
        time_machine.move_to(at, tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            return run_sweeps()

    return run


@pytest.fixture
def managed(desk):
    desk.department.manager = desk.l3
    desk.department.save()
    return desk


def new_ticket(desk, time_machine, at=START, **fields):
    time_machine.move_to(at, tick=False)
    ticket = desk.ticket(**fields)
    mail.outbox.clear()
    return ticket


def pending_ticket(desk, time_machine, at=START):
    ticket = new_ticket(desk, time_machine, at)
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Does it work after a restart?")
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    mail.outbox.clear()
    return fresh(ticket)


def subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


def recipients() -> list[str]:
    """Everyone mailed, whether in one message or one message each."""
    return sorted(address for message in mail.outbox for address in message.to)


# --- SLA warning and breach -----------------------------------------------------------------


def test_nothing_fires_before_a_warning_is_due(managed, time_machine, sweep):
    new_ticket(managed, time_machine)
    report = sweep(time_machine, START + timedelta(minutes=44))
    assert report.total() == 0
    assert mail.outbox == []


def test_a_warning_fires_once_to_the_assignee_and_the_department_manager(
    managed, time_machine, sweep
):
    ticket = new_ticket(managed, time_machine)
    report = sweep(time_machine, START + timedelta(minutes=45))
    assert report.sla_events == 1
    event = AuditEvent.objects.get(action="sla.warning")
    assert event.ticket_id == ticket.pk
    assert event.note == "first response warning"
    assert fresh(ticket).first_response_state == "warning"
    assert set(subjects()) == {f"[#{ticket.number}] SLA warning (first response): {ticket.subject}"}
    assert recipients() == sorted([managed.l1.email, managed.l3.email])
    sent = len(mail.outbox)

    again = sweep(time_machine, START + timedelta(minutes=50))
    assert again.total() == 0
    assert audit_count("sla.warning") == 1
    assert len(mail.outbox) == sent


def test_a_breach_fires_once_after_the_warning(managed, time_machine, sweep):
    ticket = new_ticket(managed, time_machine)
    sweep(time_machine, START + timedelta(minutes=45))
    mail.outbox.clear()
    report = sweep(time_machine, START + timedelta(minutes=60))
    assert report.sla_events == 1
    assert audit_count("sla.breach", ticket) == 1
    assert fresh(ticket).first_response_state == "breached"
    assert set(subjects()) == {
        f"[#{ticket.number}] SLA BREACHED (first response): {ticket.subject}"
    }
    assert recipients() == sorted([managed.l1.email, managed.l3.email])
    sent = len(mail.outbox)

    for minutes in (61, 90, 120):
        assert sweep(time_machine, START + timedelta(minutes=minutes)).total() == 0
    assert audit_count("sla.breach") == 1
    assert len(mail.outbox) == sent


def test_a_late_sweep_fires_the_breach_without_the_warning_it_missed(managed, time_machine, sweep):
    ticket = new_ticket(managed, time_machine)
    sweep(time_machine, START + timedelta(minutes=90))
    assert audit_count("sla.warning") == 0
    assert audit_count("sla.breach", ticket) == 1


def test_each_target_warns_and_breaches_on_its_own(managed, time_machine, sweep):
    ticket = new_ticket(managed, time_machine)
    for minutes in range(0, 5 * 60, 5):
        sweep(time_machine, START + timedelta(minutes=minutes))
    actions = AuditEvent.objects.filter(ticket=ticket, action__startswith="sla.")
    assert list(actions.order_by("id").values_list("note", flat=True)) == [
        "first response warning",
        "first response breach",
        "resolution warning",
        "resolution breach",
    ]
    assert fresh(ticket).sla_next_check_at is None


def test_without_an_assignee_or_manager_the_warning_is_audited_but_mailed_to_nobody(
    desk, time_machine, sweep
):
    ticket = new_ticket(desk, time_machine)
    services.ticket_assign(actor=desk.admin, ticket=ticket, assignee=None)
    sweep(time_machine, START + timedelta(minutes=45))
    assert audit_count("sla.warning", ticket) == 1
    assert mail.outbox == []


def test_an_answered_ticket_does_not_warn(managed, time_machine, sweep):
    ticket = new_ticket(managed, time_machine)
    time_machine.move_to(START + timedelta(minutes=10), tick=False)
    services.ticket_reply(actor=managed.l1, ticket=ticket, body="On it.")
    mail.outbox.clear()
    report = sweep(time_machine, START + timedelta(minutes=60))
    assert report.total() == 0
    assert fresh(ticket).first_response_state == "met"


# --- escalation on breach -------------------------------------------------------------------


def test_a_resolution_breach_escalates_to_the_next_level_when_the_policy_says_so(
    managed, time_machine, sweep
):
    managed.department.sla_policy = policy_with("Escalating", escalate_on_breach=True)
    managed.department.save()
    ticket = new_ticket(managed, time_machine)
    services.ticket_reply(actor=managed.l1, ticket=ticket, body="Looking into it.")
    report = sweep(time_machine, START + timedelta(minutes=240))
    assert report.escalations == 1
    ticket = fresh(ticket)
    assert ticket.support_level == 2
    assert ticket.assignee == managed.l2
    escalation = AuditEvent.objects.get(ticket=ticket, action="ticket.escalate")
    assert escalation.actor.email == SYSTEM_EMAIL
    assert managed.l2.email in {address for message in mail.outbox for address in message.to}

    again = sweep(time_machine, START + timedelta(minutes=300))
    assert again.total() == 0
    assert fresh(ticket).support_level == 2
    assert audit_count("ticket.escalate") == 1


def test_a_resolution_breach_does_not_escalate_by_default(managed, time_machine, sweep):
    ticket = new_ticket(managed, time_machine)
    report = sweep(time_machine, START + timedelta(minutes=240))
    assert report.escalations == 0
    assert fresh(ticket).support_level == 1


def test_a_first_response_breach_does_not_escalate(managed, time_machine, sweep):
    managed.department.sla_policy = policy_with("Escalating", escalate_on_breach=True)
    managed.department.save()
    ticket = new_ticket(managed, time_machine)
    sweep(time_machine, START + timedelta(minutes=60))
    assert fresh(ticket).support_level == 1


# --- pending: reminder, then auto-resolve ---------------------------------------------------


def test_a_pending_ticket_without_an_answer_is_reminded_once_then_resolved_on_day_seven(
    desk, time_machine, sweep
):
    ticket = pending_ticket(desk, time_machine)

    assert sweep(time_machine, START + timedelta(days=3, minutes=-1)).total() == 0
    report = sweep(time_machine, START + timedelta(days=3))
    assert report.reminders == 1
    reminder = AuditEvent.objects.get(ticket=ticket, action="ticket.pending_reminder")
    assert reminder.actor.email == SYSTEM_EMAIL
    assert subjects() == [f"[#{ticket.number}] Are you still there? {ticket.subject}"]
    assert mail.outbox[0].to == [desk.customer.email]
    assert fresh(ticket).status == "pending"

    mail.outbox.clear()
    for day in (3.5, 4, 5, 6):
        assert sweep(time_machine, START + timedelta(days=day)).total() == 0
    assert sweep(time_machine, START + timedelta(days=7, minutes=-1)).total() == 0
    assert mail.outbox == []

    report = sweep(time_machine, START + timedelta(days=7))
    assert report.auto_resolved == 1
    ticket = fresh(ticket)
    assert ticket.status == "resolved"
    assert ticket.resolved_at == START + timedelta(days=7)
    assert "7 days" in ticket.resolution_action
    resolve = AuditEvent.objects.get(ticket=ticket, action="ticket.resolve")
    assert resolve.actor.email == SYSTEM_EMAIL
    # The customer hears of it (other mails, such as a satisfaction survey, may follow).
    notices = [
        m for m in mail.outbox if m.subject == f"[#{ticket.number}] Resolved: {ticket.subject}"
    ]
    assert [notice.to for notice in notices] == [[desk.customer.email]]

    assert sweep(time_machine, START + timedelta(days=7, hours=1)).total() == 0
    assert audit_count("ticket.pending_reminder") == audit_count("ticket.resolve") == 1


def test_a_customer_reply_stops_the_reminder_and_the_auto_resolve(desk, time_machine, sweep):
    ticket = pending_ticket(desk, time_machine)
    time_machine.move_to(START + timedelta(days=2), tick=False)
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Restarting did not help.")
    mail.outbox.clear()
    for day in (3, 5, 7, 10):
        report = sweep(time_machine, START + timedelta(days=day))
        assert (report.reminders, report.auto_resolved) == (0, 0)
    assert fresh(ticket).status == "open"
    assert audit_count("ticket.pending_reminder") == audit_count("ticket.resolve") == 0
    assert not any(subject.startswith(f"[#{ticket.number}] Are you") for subject in subjects())


def test_a_customer_reply_after_the_reminder_stops_the_auto_resolve(desk, time_machine, sweep):
    ticket = pending_ticket(desk, time_machine)
    sweep(time_machine, START + timedelta(days=3))
    time_machine.move_to(START + timedelta(days=4), tick=False)
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Sorry, I was away.")
    assert sweep(time_machine, START + timedelta(days=7)).auto_resolved == 0
    assert fresh(ticket).status == "open"


def test_pending_again_starts_a_new_wait_with_its_own_reminder(desk, time_machine, sweep):
    ticket = pending_ticket(desk, time_machine)
    sweep(time_machine, START + timedelta(days=3))
    time_machine.move_to(START + timedelta(days=4), tick=False)
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Still broken.")
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    assert sweep(time_machine, START + timedelta(days=7, minutes=-1)).reminders == 0
    assert sweep(time_machine, START + timedelta(days=7)).reminders == 1  # 3 days from day 4
    assert sweep(time_machine, START + timedelta(days=11, minutes=-1)).auto_resolved == 0
    assert sweep(time_machine, START + timedelta(days=11)).auto_resolved == 1


def test_the_department_sets_the_reminder_and_resolve_days(desk, time_machine, sweep):
    desk.department.pending_reminder_days = 1
    desk.department.pending_resolve_days = 2
    desk.department.save()
    ticket = pending_ticket(desk, time_machine)
    assert sweep(time_machine, START + timedelta(days=1)).reminders == 1
    assert sweep(time_machine, START + timedelta(days=2)).auto_resolved == 1
    assert fresh(ticket).status == "resolved"


# --- resolved → closed ----------------------------------------------------------------------


def resolved_ticket(desk, time_machine):
    ticket = new_ticket(desk, time_machine)
    services.ticket_take(actor=desk.l1, ticket=ticket)
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=RESOLUTION
    )
    mail.outbox.clear()
    return ticket


def test_a_resolved_ticket_is_closed_after_the_autoclose_days_with_a_notice(
    desk, time_machine, sweep
):
    ticket = resolved_ticket(desk, time_machine)
    assert sweep(time_machine, START + timedelta(days=3, minutes=-1)).total() == 0
    report = sweep(time_machine, START + timedelta(days=3))
    assert report.auto_closed == 1
    ticket = fresh(ticket)
    assert ticket.status == "closed"
    close = AuditEvent.objects.get(ticket=ticket, action="ticket.close")
    assert close.actor.email == SYSTEM_EMAIL
    assert subjects() == [f"[#{ticket.number}] Closed: {ticket.subject}"]
    assert mail.outbox[0].to == [desk.customer.email]
    assert sweep(time_machine, START + timedelta(days=4)).total() == 0
    assert len(mail.outbox) == 1


def test_a_reopened_ticket_is_not_closed(desk, time_machine, sweep):
    ticket = resolved_ticket(desk, time_machine)
    time_machine.move_to(START + timedelta(days=1), tick=False)
    services.ticket_transition(
        actor=desk.customer, ticket=ticket, action="reopen", reason="Not fixed."
    )
    assert sweep(time_machine, START + timedelta(days=5)).auto_closed == 0
    assert fresh(ticket).status == "open"


def test_the_department_sets_the_autoclose_days(desk, time_machine, sweep):
    desk.department.autoclose_days = 10
    desk.department.save()
    ticket = resolved_ticket(desk, time_machine)
    assert sweep(time_machine, START + timedelta(days=9)).auto_closed == 0
    assert sweep(time_machine, START + timedelta(days=10)).auto_closed == 1
    assert fresh(ticket).status == "closed"


# --- one broken ticket ----------------------------------------------------------------------


def test_a_ticket_whose_calendar_is_broken_does_not_stop_the_sla_sweep(
    managed, time_machine, sweep
):
    broken_calendar = Calendar.objects.create(name="Broken", timezone="UTC")
    topic_policy = policy_with("Broken", calendar=broken_calendar)
    broken = new_ticket(
        managed,
        time_machine,
        help_topic=factories.help_topic(department=managed.department, sla_policy=topic_policy),
    )
    healthy = new_ticket(managed, time_machine)
    # Someone stores a calendar with no working time behind the validation's back.
    Calendar.objects.filter(pk=broken_calendar.pk).update(
        weekly={}, updated_at=START + timedelta(minutes=1)
    )
    configcache.clear_all()  # a raw update sends no signal: as if the cache had expired
    report = sweep(time_machine, START + timedelta(days=1))
    assert [error.split(":")[0] for error in report.errors] == [f"sla {broken.pk}"]
    assert audit_count("sla.breach", healthy) == 2
    assert audit_count("sla.breach", broken) == 0


def fail_for(ticket: Ticket, function):
    """``function``, raising for ``ticket`` as if its row were broken."""

    def failing(*args, **kwargs):
        if kwargs.get("ticket", args[0] if args else None).pk == ticket.pk:
            raise RuntimeError("disk full")
        return function(*args, **kwargs)

    return failing


def test_a_failed_reminder_does_not_stop_the_others(desk, time_machine, sweep, monkeypatch):
    broken, healthy = pending_ticket(desk, time_machine), pending_ticket(desk, time_machine)
    monkeypatch.setattr(
        sweeps.notify, "pending_reminder", fail_for(broken, sweeps.notify.pending_reminder)
    )
    report = sweep(time_machine, START + timedelta(days=3))
    assert report.reminders == 1
    assert report.errors == [f"pending reminder {broken.pk}: disk full"]
    assert fresh(healthy).pending_reminded_at is not None
    assert fresh(broken).pending_reminded_at is None  # rolled back: tried again next minute


def test_a_failed_auto_resolve_does_not_stop_the_others(desk, time_machine, sweep, monkeypatch):
    broken, healthy = pending_ticket(desk, time_machine), pending_ticket(desk, time_machine)
    monkeypatch.setattr(services, "ticket_transition", fail_for(broken, services.ticket_transition))
    report = sweep(time_machine, START + timedelta(days=7))
    assert report.auto_resolved == 1
    assert report.errors == [f"auto-resolve {broken.pk}: disk full"]
    assert fresh(healthy).status == "resolved"
    assert fresh(broken).status == "pending"


def test_a_failed_auto_close_does_not_stop_the_others(desk, time_machine, sweep, monkeypatch):
    broken, healthy = resolved_ticket(desk, time_machine), resolved_ticket(desk, time_machine)
    monkeypatch.setattr(services, "ticket_transition", fail_for(broken, services.ticket_transition))
    report = sweep(time_machine, START + timedelta(days=3))
    assert report.auto_closed == 1
    assert report.errors == [f"auto-close {broken.pk}: disk full"]
    assert fresh(healthy).status == "closed"
    assert fresh(broken).status == "resolved"


# --- the SLA sweep in batches ---------------------------------------------------------------


def sla_sweep_queries(time_machine, at) -> tuple[int, sweeps.SweepReport]:
    """The queries one SLA sweep makes at ``at`` (on-commit effects not run)."""
    time_machine.move_to(at, tick=False)
    report = sweeps.SweepReport()
    with CaptureQueriesContext(connection) as queries:
        sweeps.sweep_sla(now=at, report=report)
    return len(queries), report


def test_the_sla_sweep_makes_as_many_queries_for_thirty_due_tickets_as_for_two(
    managed, time_machine
):
    for _ in range(2):
        new_ticket(managed, time_machine)
    few, report = sla_sweep_queries(time_machine, START + timedelta(minutes=60))
    assert report.sla_events == 2
    for _ in range(30):
        new_ticket(managed, time_machine, at=START + timedelta(minutes=60))
    many, report = sla_sweep_queries(time_machine, START + timedelta(minutes=120))
    assert report.sla_events == 30
    assert report.errors == []
    # One batch: claim and lock the tickets, one UPDATE of the tickets, one upsert of their
    # next checks, one audit INSERT; then the claim that finds nothing left; and two
    # savepoints each (policies come from the configuration cache; notifications and
    # webhooks run on commit, not counted here).
    assert many == few <= 12
    assert AuditEvent.objects.filter(action="sla.breach").count() == 32


def test_the_sla_sweep_goes_on_batch_after_batch_until_nothing_is_due(
    managed, time_machine, sweep, monkeypatch
):
    monkeypatch.setattr(sweeps, "BATCH", 5)
    tickets = [new_ticket(managed, time_machine) for _ in range(12)]
    report = sweep(time_machine, START + timedelta(minutes=60))
    assert report.sla_events == 12
    assert {fresh(ticket).first_response_state for ticket in tickets} == {"breached"}
    assert len([s for s in subjects() if "SLA BREACHED" in s]) == 12 * 2  # assignee, manager


def test_a_ticket_failing_in_the_batch_write_does_not_stop_the_others(
    managed, time_machine, sweep, monkeypatch
):
    from helpline.notifications import events as notify

    healthy = [new_ticket(managed, time_machine) for _ in range(2)]
    broken = new_ticket(managed, time_machine)
    healthy.append(new_ticket(managed, time_machine))
    original = notify.sla_events

    def failing(items):
        if any(ticket.pk == broken.pk for ticket, _, _ in items):
            raise RuntimeError("disk full")
        return original(items)

    monkeypatch.setattr(notify, "sla_events", failing)
    report = sweep(time_machine, START + timedelta(minutes=60))
    assert report.errors == [f"sla {broken.pk}: disk full"]
    assert report.sla_events == 3
    for ticket in healthy:
        assert audit_count("sla.breach", ticket) == 1
        assert fresh(ticket).first_response_state == "breached"
    assert audit_count("sla.breach", broken) == 0
    broken = fresh(broken)
    assert broken.first_response_state == "ok"  # rolled back: tried again next minute
    assert broken.sla_next_check_at is not None
    assert not any(s.startswith(f"[#{broken.number}]") for s in subjects())


# --- the sweep's index (sla.NextCheck) --------------------------------------------------------


def next_check(ticket):
    return NextCheck.objects.filter(ticket_id=ticket.pk).values_list("at", flat=True).first()


def test_the_next_check_index_follows_the_ticket_through_its_changes(managed, time_machine, sweep):
    ticket = new_ticket(managed, time_machine)
    assert next_check(ticket) == fresh(ticket).sla_next_check_at is not None

    sweep(time_machine, START + timedelta(minutes=45))  # the warning moves it to the due time
    assert next_check(ticket) == fresh(ticket).sla_next_check_at > START + timedelta(minutes=45)

    services.ticket_reply(actor=managed.l1, ticket=ticket, body="Looking into it.")
    services.ticket_transition(actor=managed.l1, ticket=ticket, action="pend")
    assert fresh(ticket).sla_next_check_at is None  # the clock stopped: nothing to check
    assert next_check(ticket) is None


def test_an_index_row_behind_its_ticket_is_brought_in_step_and_fires_nothing(
    managed, time_machine, sweep
):
    ticket = new_ticket(managed, time_machine)
    truth = fresh(ticket).sla_next_check_at
    NextCheck.objects.filter(ticket_id=ticket.pk).update(at=START)  # says due; the ticket not

    report = sweep(time_machine, START + timedelta(minutes=10))

    assert report.total() == 0
    assert next_check(ticket) == truth
    assert fresh(ticket).first_response_state == "ok"
