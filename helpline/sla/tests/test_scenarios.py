"""SLA scenarios through the ticket services, with the clock moved (time-machine).

Unless a test says otherwise the policy is the demo's (``seed_sla``): Mon-Fri 08:00-16:00
Copenhagen with Danish public holidays; critical/high (severity A) 1 h first response, 24
working hours to resolve; medium (B) 4 h and 48 h; low (C) 8 h and 72 h.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpline import factories
from helpline.sla.calendar import add_business_minutes, business_minutes_between
from helpline.sla.sweeps import run_sweeps
from helpline.sla.tests.steps import RESOLUTION, audit_count, cph, fresh, policy_with
from helpline.tickets import services

pytestmark = pytest.mark.usefixtures("demo_policy")


def topic(desk, priority: str = "", **fields):
    return factories.help_topic(department=desk.department, priority=priority, **fields)


def open_ticket(desk, time_machine, at, *, priority: str = "medium", **fields):
    """A ticket created at ``at`` and taken by level 1 at once, so it is open."""
    time_machine.move_to(at, tick=False)
    ticket = desk.ticket(help_topic=topic(desk, priority), **fields)
    services.ticket_take(actor=desk.l1, ticket=ticket)
    return fresh(ticket)


# --- due times ------------------------------------------------------------------------------


@pytest.mark.parametrize("priority", ["critical", "high"])
def test_a_severity_a_ticket_created_friday_afternoon_is_due_wednesday_afternoon(
    desk, time_machine, demo_policy, priority
):
    time_machine.move_to(cph(2026, 11, 20, 15), tick=False)  # Friday 15:00
    ticket = desk.ticket(help_topic=topic(desk, priority))
    assert ticket.sla_policy == demo_policy
    # 1 h on Friday, 8 h Monday, 8 h Tuesday, 7 h Wednesday.
    assert ticket.resolution_due_at == cph(2026, 11, 25, 15)
    assert ticket.resolution_state == "ok"


@pytest.mark.parametrize(
    ("priority", "first_response_due", "resolution_due"),
    [
        ("critical", cph(2026, 11, 20, 16), cph(2026, 11, 25, 15)),
        ("high", cph(2026, 11, 23, 9), cph(2026, 11, 25, 15)),
        ("medium", cph(2026, 11, 23, 11), cph(2026, 11, 30, 15)),  # 48 h: 6 working days
        ("low", cph(2026, 11, 23, 15), cph(2026, 12, 3, 15)),  # 72 h: 9 working days
    ],
)
def test_each_severity_gets_its_working_hours_from_creation(
    desk, time_machine, priority, first_response_due, resolution_due
):
    time_machine.move_to(cph(2026, 11, 20, 15), tick=False)
    ticket = desk.ticket(help_topic=topic(desk, priority))
    assert ticket.priority == priority
    assert ticket.first_response_due_at == first_response_due
    assert ticket.resolution_due_at == resolution_due


def test_public_and_company_holidays_are_not_working_time(desk, time_machine):
    time_machine.move_to(cph(2026, 12, 23, 10), tick=False)  # Wednesday before Christmas
    ticket = desk.ticket(help_topic=topic(desk, "critical"))
    # 6 h on the 23rd; the 24th-26th are closed; 8 h on the 28th and 29th; 2 h on the 30th.
    assert ticket.resolution_due_at == cph(2026, 12, 30, 10)


def test_a_ticket_created_after_hours_starts_counting_at_the_next_opening(desk, time_machine):
    time_machine.move_to(cph(2026, 11, 21, 11), tick=False)  # Saturday
    ticket = desk.ticket(help_topic=topic(desk, "critical"))
    assert ticket.first_response_due_at == cph(2026, 11, 23, 9)
    assert ticket.resolution_due_at == cph(2026, 11, 25, 16)


# --- pending pauses the clock ---------------------------------------------------------------


def test_a_ticket_pending_over_a_weekend_gains_exactly_the_working_minutes_it_waited(
    desk, time_machine, demo_policy
):
    ticket = open_ticket(desk, time_machine, cph(2026, 11, 19, 9))  # Thursday, severity B
    assert ticket.resolution_due_at == cph(2026, 11, 27, 9)

    time_machine.move_to(cph(2026, 11, 20, 12), tick=False)  # Friday noon
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    pending = fresh(ticket)
    assert pending.sla_paused_since == cph(2026, 11, 20, 12)
    assert pending.sla_next_check_at is None

    time_machine.move_to(cph(2026, 11, 24, 12), tick=False)  # Tuesday noon
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Here is the log.")
    ticket = fresh(ticket)
    assert ticket.status == "open"
    assert ticket.sla_paused_since is None
    # Friday 12-16, Monday 8-16, Tuesday 8-12: 4 + 8 + 4 hours; the weekend adds nothing.
    assert ticket.sla_paused_minutes == 960
    assert ticket.resolution_due_at == cph(2026, 12, 1, 9)
    calendar = demo_policy.calendar.to_business_calendar()
    paused = business_minutes_between(calendar, cph(2026, 11, 20, 12), cph(2026, 11, 24, 12))
    assert paused == 960
    assert ticket.resolution_due_at == add_business_minutes(calendar, cph(2026, 11, 27, 9), 960)


def test_a_pending_ticket_neither_warns_nor_breaches_however_long_it_waits(desk, time_machine):
    ticket = open_ticket(desk, time_machine, cph(2026, 11, 16, 9), priority="critical")
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Please send a screenshot.")
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    for day in range(16, 21):  # sweeps run all week; 24 working hours would be gone by Thursday
        time_machine.move_to(cph(2026, 11, day, 15), tick=False)
        run_sweeps()
    ticket = fresh(ticket)
    assert ticket.resolution_state == "ok"
    assert audit_count("sla.warning") == audit_count("sla.breach") == 0


def test_a_breach_before_the_pause_is_not_fired_again_when_the_clock_restarts(desk, time_machine):
    ticket = open_ticket(desk, time_machine, cph(2026, 11, 16, 9), priority="critical")
    time_machine.move_to(cph(2026, 11, 16, 10, 30), tick=False)
    run_sweeps()
    assert fresh(ticket).first_response_state == "breached"
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    time_machine.move_to(cph(2026, 11, 17, 10), tick=False)
    services.ticket_note(actor=desk.l1, ticket=ticket, body="Still waiting for the log.")
    assert fresh(ticket).first_response_state == "breached"
    time_machine.move_to(cph(2026, 11, 18, 10), tick=False)
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Any news?")
    run_sweeps()
    ticket = fresh(ticket)
    assert ticket.first_response_state == "breached"
    assert audit_count("sla.breach", ticket) == 1


# --- first and next response ----------------------------------------------------------------


def test_the_first_agent_reply_in_time_meets_the_first_response(desk, time_machine):
    time_machine.move_to(cph(2026, 11, 16, 9), tick=False)
    ticket = desk.ticket(help_topic=topic(desk, "critical"))
    time_machine.move_to(cph(2026, 11, 16, 9, 40), tick=False)
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Looking at it.")
    ticket = fresh(ticket)
    assert ticket.first_response_at == cph(2026, 11, 16, 9, 40)
    assert ticket.first_response_state == "met"
    assert ticket.first_response_due_at == cph(2026, 11, 16, 10)


def test_a_late_first_reply_leaves_the_first_response_breached(desk, time_machine):
    time_machine.move_to(cph(2026, 11, 16, 9), tick=False)
    ticket = desk.ticket(help_topic=topic(desk, "critical"))
    time_machine.move_to(cph(2026, 11, 16, 10), tick=False)
    run_sweeps()
    time_machine.move_to(cph(2026, 11, 16, 10, 30), tick=False)
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Sorry for the wait.")
    ticket = fresh(ticket)
    assert ticket.first_response_state == "breached"
    assert audit_count("sla.breach", ticket) == 1


def test_a_late_first_reply_stays_breached_after_later_pauses(desk, time_machine):
    time_machine.move_to(cph(2026, 11, 16, 9), tick=False)
    ticket = desk.ticket(help_topic=topic(desk, "critical"))
    time_machine.move_to(cph(2026, 11, 16, 10, 30), tick=False)
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Sorry for the wait.")
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    time_machine.move_to(cph(2026, 11, 20, 10), tick=False)  # four working days pending
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Back from holiday.")
    ticket = fresh(ticket)
    assert ticket.sla_paused_minutes > 60 * 8 * 3
    assert ticket.first_response_state == "breached"
    assert ticket.first_response_due_at == cph(2026, 11, 16, 10)


def test_a_customer_message_after_the_first_response_starts_the_next_response_target(
    desk, time_machine
):
    time_machine.move_to(cph(2026, 11, 16, 9), tick=False)
    ticket = desk.ticket(help_topic=topic(desk, "critical"))
    time_machine.move_to(cph(2026, 11, 16, 9, 10), tick=False)
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Which printer?")
    assert fresh(ticket).next_response_due_at is None

    time_machine.move_to(cph(2026, 11, 16, 11), tick=False)
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="The one on floor 2.")
    ticket = fresh(ticket)
    assert ticket.awaiting_reply_since == cph(2026, 11, 16, 11)
    assert ticket.next_response_state == "ok"
    assert ticket.next_response_due_at == cph(2026, 11, 16, 13)  # 2 working hours

    time_machine.move_to(cph(2026, 11, 16, 11, 30), tick=False)
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="On my way.")
    ticket = fresh(ticket)
    assert ticket.awaiting_reply_since is None
    assert ticket.next_response_due_at is None
    assert ticket.next_response_state == ""


def test_a_customer_message_before_the_first_response_starts_no_next_response_target(
    desk, time_machine
):
    time_machine.move_to(cph(2026, 11, 16, 9), tick=False)
    ticket = desk.ticket(help_topic=topic(desk, "critical"))
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="Also the scanner.")
    ticket = fresh(ticket)
    assert ticket.awaiting_reply_since is None
    assert ticket.next_response_due_at is None


def test_an_unanswered_customer_message_breaches_the_next_response(desk, time_machine):
    time_machine.move_to(cph(2026, 11, 16, 9), tick=False)
    ticket = desk.ticket(help_topic=topic(desk, "critical"))
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Which printer?")
    time_machine.move_to(cph(2026, 11, 16, 11), tick=False)
    services.ticket_reply(actor=desk.customer, ticket=ticket, body="The one on floor 2.")
    time_machine.move_to(cph(2026, 11, 16, 13), tick=False)
    run_sweeps()
    assert fresh(ticket).next_response_state == "breached"
    assert audit_count("sla.breach", ticket) == 1


# --- policy selection -----------------------------------------------------------------------


def test_the_help_topics_policy_comes_first(desk):
    topic_policy = policy_with("Topic")
    desk.department.sla_policy = policy_with("Department")
    desk.department.save()
    ticket = desk.ticket(help_topic=topic(desk, sla_policy=topic_policy))
    assert ticket.sla_policy == topic_policy


def test_the_departments_policy_comes_when_the_help_topic_names_none(desk):
    desk.department.sla_policy = department_policy = policy_with("Department")
    desk.department.save()
    ticket = desk.ticket(help_topic=topic(desk))
    assert ticket.sla_policy == department_policy


def test_the_default_policy_comes_last(desk, demo_policy):
    assert desk.ticket().sla_policy == demo_policy


def test_without_any_policy_a_ticket_has_no_targets(desk, demo_policy):
    demo_policy.is_default = False
    demo_policy.save()
    ticket = desk.ticket()
    assert ticket.sla_policy is None
    assert (ticket.first_response_due_at, ticket.resolution_due_at) == (None, None)
    assert ticket.sla_next_check_at is None


def test_escalating_to_another_department_selects_that_departments_policy(desk):
    desk.other_department.sla_policy = network = policy_with("Network", resolution=30)
    desk.other_department.save()
    ticket = desk.ticket()
    services.ticket_escalate(
        actor=desk.l1, ticket=ticket, note="A switch is down.", department=desk.other_department
    )
    ticket = fresh(ticket)
    assert ticket.sla_policy == network
    assert ticket.resolution_due_at == ticket.created_at + timedelta(minutes=30)


def test_escalating_to_the_next_level_keeps_the_policy(desk, demo_policy):
    desk.department.sla_policy = department_policy = policy_with("Department")
    desk.department.save()
    ticket = desk.ticket()
    services.ticket_escalate(actor=desk.l1, ticket=ticket, note="Needs level 2.")
    assert fresh(ticket).sla_policy == department_policy


def test_changing_the_help_topic_selects_its_policy(desk):
    topic_policy = policy_with("Topic")
    ticket = desk.ticket()
    services.ticket_update(
        actor=desk.l1,
        ticket=ticket,
        expected_version=ticket.version,
        changes={"help_topic": topic(desk, sla_policy=topic_policy)},
    )
    assert fresh(ticket).sla_policy == topic_policy


# --- recomputation ----------------------------------------------------------------------------


def test_raising_impact_and_urgency_recomputes_the_due_times(desk, time_machine):
    time_machine.move_to(cph(2026, 11, 20, 15), tick=False)
    ticket = desk.ticket()  # medium × medium: medium, severity B
    assert ticket.resolution_due_at == cph(2026, 11, 30, 15)
    time_machine.move_to(cph(2026, 11, 20, 15, 30), tick=False)
    services.ticket_update(
        actor=desk.l1,
        ticket=ticket,
        expected_version=ticket.version,
        changes={"impact": "high", "urgency": "high"},
    )
    ticket = fresh(ticket)
    assert ticket.priority == "critical"
    assert ticket.first_response_due_at == cph(2026, 11, 20, 16)
    assert ticket.resolution_due_at == cph(2026, 11, 25, 15)  # still counted from creation


def test_lowering_the_priority_gives_more_time(desk, time_machine):
    time_machine.move_to(cph(2026, 11, 20, 15), tick=False)
    ticket = desk.ticket(impact="high", urgency="high")
    assert ticket.resolution_due_at == cph(2026, 11, 25, 15)
    services.ticket_update(
        actor=desk.l1, ticket=ticket, expected_version=ticket.version, changes={"urgency": "low"}
    )
    ticket = fresh(ticket)
    assert ticket.priority == "medium"
    assert ticket.resolution_due_at == cph(2026, 11, 30, 15)


def test_reopening_resumes_the_resolution_clock_without_the_time_spent_resolved(desk, time_machine):
    ticket = open_ticket(desk, time_machine, cph(2026, 11, 16, 9), priority="critical")
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="Fixed, I think.")
    time_machine.move_to(cph(2026, 11, 16, 12), tick=False)  # 3 of 24 working hours used
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=RESOLUTION
    )
    resolved = fresh(ticket)
    assert resolved.resolution_state == "met"
    assert resolved.resolution_due_at == cph(2026, 11, 19, 9)

    time_machine.move_to(cph(2026, 11, 18, 12), tick=False)  # two working days later
    services.ticket_transition(
        actor=desk.customer, ticket=ticket, action="reopen", reason="It broke again."
    )
    ticket = fresh(ticket)
    assert ticket.status == "open"
    assert ticket.resolution_state == "ok"
    assert ticket.sla_paused_minutes == 960
    # Thursday 09:00 + 16 working hours: 7 on Thursday, 8 on Friday, 1 on Monday.
    assert ticket.resolution_due_at == cph(2026, 11, 23, 9)


def test_a_late_resolution_stays_breached_until_the_ticket_closes(desk, time_machine):
    ticket = open_ticket(desk, time_machine, cph(2026, 11, 16, 9), priority="critical")
    time_machine.move_to(cph(2026, 11, 19, 10), tick=False)  # an hour late
    services.ticket_transition(
        actor=desk.l1, ticket=ticket, action="resolve", resolution=RESOLUTION
    )
    assert fresh(ticket).resolution_state == "breached"
    time_machine.move_to(cph(2026, 11, 24, 10), tick=False)
    run_sweeps()  # auto-close after three days
    ticket = fresh(ticket)
    assert ticket.status == "closed"
    assert ticket.resolution_state == "breached"
    assert ticket.resolution_due_at == cph(2026, 11, 19, 9)


@pytest.mark.parametrize(("pause_on_hold", "paused_minutes"), [(False, 0), (True, 120)])
def test_on_hold_pauses_the_clock_only_when_the_policy_says_so(
    desk, time_machine, demo_policy, pause_on_hold, paused_minutes
):
    demo_policy.pause_on_hold = pause_on_hold
    demo_policy.save()
    ticket = open_ticket(desk, time_machine, cph(2026, 11, 16, 9))
    due = ticket.resolution_due_at
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="hold")
    held = fresh(ticket)
    assert (held.sla_paused_since is not None) is pause_on_hold
    assert (held.sla_next_check_at is None) is pause_on_hold
    time_machine.move_to(cph(2026, 11, 16, 11), tick=False)
    services.ticket_transition(actor=desk.l1, ticket=ticket, action="resume")
    ticket = fresh(ticket)
    assert ticket.sla_paused_minutes == paused_minutes
    calendar = demo_policy.calendar.to_business_calendar()
    assert ticket.resolution_due_at == add_business_minutes(calendar, due, paused_minutes)
