"""Mail out for ticket events: who gets what, never an internal note, only after commit."""

from __future__ import annotations

from functools import partial

import pytest
from django.core import mail
from django.db import transaction

from helpline import factories
from helpline.accounts.models import Availability, User
from helpline.notifications.tasks import send_ticket_notification, send_ticket_notifications
from helpline.tickets import services
from helpline.tickets.models import Ticket
from helpline.tickets.tests.scenarios import RESOLUTION, ticket_in


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (the enqueued tasks) as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


# --- what goes out -------------------------------------------------------------------------


def test_creation_acknowledges_to_the_requester_with_the_number(desk, committed):
    with committed():
        ticket = desk.ticket(subject="Printer jams")
    acknowledgement = mail.outbox[0]
    assert acknowledgement.to == [desk.customer.email]
    assert acknowledgement.subject == f"[#{ticket.number}] We received your request: Printer jams"
    assert f"#{ticket.number}" in acknowledgement.body
    assert acknowledgement.extra_headers["X-Helpline-Ticket"] == str(ticket.number)
    assert acknowledgement.extra_headers["Auto-Submitted"] == "auto-replied"


def test_creation_tells_the_auto_assigned_agent(desk, committed):
    with committed():
        ticket = desk.ticket(subject="Printer jams")
    assert _sent() == [
        ([desk.customer.email], f"[#{ticket.number}] We received your request: Printer jams"),
        ([desk.l1.email], f"[#{ticket.number}] Assigned to you: Printer jams"),
    ]


def test_creation_and_its_auto_assignment_are_sent_by_one_task(
    desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        ticket = desk.ticket(subject="Printer jams")
    tasks = [
        (c.func.__self__, c.keywords)
        for c in callbacks
        if isinstance(c, partial)
        and getattr(c.func, "__self__", None)
        in (send_ticket_notification, send_ticket_notifications)
    ]
    assert tasks == [
        (
            send_ticket_notifications,
            {
                "items": [
                    ["ticket_created", ticket.pk, ""],
                    ["ticket_assigned", ticket.pk, "", desk.l1.pk],
                ]
            },
        )
    ]


def test_a_new_tickets_two_events_read_the_ticket_and_its_assignee_once(desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = desk.ticket(subject="Printer jams")  # its task is not run: nothing commits
    items = [["ticket_created", ticket.pk, ""], ["ticket_assigned", ticket.pk, "", desk.l1.pk]]

    with CaptureQueriesContext(connection) as captured:
        assert send_ticket_notifications.call(items=items) == 2

    ticket_reads = [q for q in captured if 'FROM "tickets_ticket"' in q["sql"]]
    user_reads = [
        q
        for q in captured
        if q["sql"].startswith('SELECT "t"."id", "t"."password"')
        and "collaborators" not in q["sql"]
    ]
    assert len(ticket_reads) == 1
    assert user_reads == []  # the assignee came with the ticket
    assert [m.to for m in mail.outbox] == [[desk.customer.email], [desk.l1.email]]


def test_the_mail_is_rendered_before_the_transaction_that_stores_it(desk, monkeypatch):
    # On SQLite a transaction holds the one write lock: templates are not rendered under it.
    from django.db import connection

    from helpline.notifications import services as notification_services

    ticket = desk.ticket(subject="Printer jams")
    items = [["ticket_created", ticket.pk, ""], ["ticket_assigned", ticket.pk, "", desk.l1.pk]]
    depths: list[int] = []
    render = notification_services.render_template

    def spy(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return render(*args, **kwargs)

    monkeypatch.setattr(notification_services, "render_template", spy)
    outside = len(connection.atomic_blocks)  # the test's own transaction

    assert send_ticket_notifications.call(items=items) == 2

    assert len(depths) == 3  # the two mails and the in-app line
    assert set(depths) == {outside}


def test_an_unassigned_new_ticket_sends_only_the_acknowledgement(desk, committed):
    User.objects.filter(pk=desk.l1.pk).update(availability=Availability.AWAY)
    with committed():
        desk.ticket()
    assert [to for to, _ in _sent()] == [[desk.customer.email]]


def test_an_agent_reply_is_mailed_to_the_requester_and_collaborators(desk, committed):
    ticket = desk.ticket(subject="VPN")
    cc = factories.customer()
    ticket.collaborators.add(cc)
    with committed():
        services.ticket_reply(actor=desk.l1, ticket=ticket, body="Which client version?")
    (message,) = mail.outbox
    assert message.to == sorted([desk.customer.email, cc.email])
    assert message.subject == f"[#{ticket.number}] Re: VPN"
    assert "Which client version?" in message.body


def test_a_customer_reply_is_mailed_to_the_assignee(desk, committed):
    ticket = ticket_in(desk, "open")
    with committed():
        services.ticket_reply(actor=desk.customer, ticket=ticket, body="Version 5.1.")
    (message,) = mail.outbox
    assert message.to == [desk.l1.email]
    assert "Version 5.1." in message.body


def test_resolving_mails_the_resolution_to_the_requester(desk, committed):
    ticket = ticket_in(desk, "open")
    with committed():
        services.ticket_transition(
            actor=desk.l1, ticket=ticket, action="resolve", resolution=RESOLUTION
        )
    # (other apps may add their own mail on resolving, e.g. the satisfaction survey)
    (message,) = [m for m in mail.outbox if " Resolved: " in m.subject]
    assert message.to == [desk.customer.email]
    assert message.subject.startswith(f"[#{ticket.number}] Resolved:")
    assert RESOLUTION.problem_identified in message.body
    assert RESOLUTION.action_taken in message.body


def test_pending_asks_the_requester_for_an_answer(desk, committed):
    ticket = ticket_in(desk, "open")
    with committed():
        services.ticket_transition(actor=desk.l1, ticket=ticket, action="pend")
    assert _sent() == [
        ([desk.customer.email], f"[#{ticket.number}] We need your answer: {ticket.subject}")
    ]


@pytest.mark.parametrize("action", ["hold", "close"])
def test_other_transitions_send_nothing(desk, committed, action):
    ticket = ticket_in(desk, "open" if action == "hold" else "resolved")
    with committed():
        services.ticket_transition(actor=desk.l1, ticket=ticket, action=action)
    assert mail.outbox == []


def test_assigning_mails_the_new_assignee(desk, committed):
    ticket = desk.ticket()
    with committed():
        services.ticket_assign(actor=desk.l1, ticket=ticket, assignee=desk.l2)
    assert _sent() == [([desk.l2.email], f"[#{ticket.number}] Assigned to you: {ticket.subject}")]


def test_assigning_to_oneself_sends_nothing(desk, committed):
    ticket = desk.ticket()
    with committed():
        services.ticket_assign(actor=desk.l2, ticket=ticket, assignee=desk.l2)
    assert mail.outbox == []


def test_escalation_mails_the_picked_agent(desk, committed):
    ticket = desk.ticket()
    with committed():
        services.ticket_escalate(actor=desk.l1, ticket=ticket, note="Secret detail.")
    (message,) = mail.outbox
    assert message.to == [desk.l2.email]
    assert "level 2" in message.subject
    assert "Secret detail." not in message.body


def test_escalation_with_nobody_available_mails_the_department_manager(desk, committed):
    manager = factories.agent(departments=[desk.department], level=3)
    desk.department.manager = manager
    desk.department.save()
    User.objects.filter(pk=desk.l2.pk).update(availability=Availability.AWAY)
    ticket = desk.ticket()
    with committed():
        services.ticket_escalate(actor=desk.l1, ticket=ticket, note="Up.")
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert "nobody at that level was available" in message.body


# --- never a note --------------------------------------------------------------------------


def test_an_internal_note_sends_no_mail(desk, committed):
    ticket = desk.ticket()
    ticket.collaborators.add(factories.customer())
    with committed():
        services.ticket_note(actor=desk.l1, ticket=ticket, body="The password is hunter2.")
    assert mail.outbox == []


def test_the_mail_task_refuses_to_send_an_internal_note(desk):
    ticket = desk.ticket()
    note = services.ticket_note(actor=desk.l1, ticket=ticket, body="The password is hunter2.")
    sent = send_ticket_notification.call(
        event="agent_replied", ticket_id=ticket.pk, entry_id=note.pk
    )
    assert sent == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("event", "ticket_exists"), [("no_such_event", True), ("ticket_created", False)]
)
def test_the_mail_task_ignores_unknown_events_and_tickets(desk, event, ticket_exists):
    ticket = desk.ticket()
    ticket_id = ticket.pk if ticket_exists else ticket.pk + 1000
    assert send_ticket_notification.call(event=event, ticket_id=ticket_id) == 0
    assert mail.outbox == []


def test_a_requester_who_is_also_a_collaborator_gets_one_mail(desk, committed):
    ticket = desk.ticket()
    ticket.collaborators.add(desk.customer)
    with committed():
        services.ticket_reply(actor=desk.l1, ticket=ticket, body="Hi.")
    assert mail.outbox[0].to == [desk.customer.email]


# --- only after commit ---------------------------------------------------------------------


def test_nothing_is_sent_before_the_transaction_commits(desk, committed):
    with committed():
        with transaction.atomic():
            desk.ticket()
            assert mail.outbox == []
        assert mail.outbox == []  # the outer (test) transaction has not committed yet
    assert len(mail.outbox) == 2


def test_nothing_is_sent_when_the_transaction_rolls_back(desk, committed):
    with committed() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        desk.ticket()
        raise RuntimeError("the caller fails after creating")
    assert callbacks == []
    assert mail.outbox == []
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_commit_sends_and_a_real_rollback_does_not():
    department = factories.department()
    factories.agent(departments=[department])
    customer = factories.customer()
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.ticket(requester=customer, department=department)
        raise RuntimeError("rolled back")
    assert mail.outbox == []
    ticket = factories.ticket(requester=customer, department=department)
    assert [m.subject.split(" ", 1)[0] for m in mail.outbox] == [f"[#{ticket.number}]"] * 2
