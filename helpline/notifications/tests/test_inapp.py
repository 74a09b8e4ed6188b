"""Per-agent preferences, in-app notifications (bell, list, mark read), their API, and
notify_users for automation rules."""

from __future__ import annotations

import pytest
from django.core import mail

from helpline import factories
from helpline.accounts.services import api_token_issue
from helpline.core.errors import ValidationFailed
from helpline.notifications import services
from helpline.notifications.models import Notification, NotificationPreference, OutboundMessage
from helpline.tickets import services as ticket_services


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _notify(user, ticket, n=1, text="Note"):
    Notification.objects.bulk_create(
        Notification(user=user, ticket=ticket, event="rule_notify", text=f"{text} {i}")
        for i in range(n)
    )


def _api(client, user):
    _, raw = api_token_issue(email=user.email, password=factories.PASSWORD, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# --- preferences decide the channels ------------------------------------------------------


def test_by_default_an_agent_hears_by_email_and_in_the_app(desk, committed):
    with committed():
        ticket = desk.ticket()
    assert [m.to for m in mail.outbox if "Assigned" in m.subject] == [[desk.l1.email]]
    (note,) = Notification.objects.filter(user=desk.l1)
    assert note.event == "ticket_assigned"
    assert note.ticket == ticket
    assert "Assigned to you" in note.text


def test_an_agent_who_turned_email_off_gets_only_the_in_app_notification(desk, committed):
    services.preferences_update(actor=desk.l1, changes={"ticket_assigned": {"email": False}})
    with committed():
        desk.ticket()
    assert not [m for m in mail.outbox if desk.l1.email in m.to]
    assert Notification.objects.filter(user=desk.l1, event="ticket_assigned").count() == 1


def test_an_agent_who_turned_both_off_hears_nothing(desk, committed):
    services.preferences_update(
        actor=desk.l1, changes={"ticket_assigned": {"email": False, "in_app": False}}
    )
    with committed():
        desk.ticket()
    assert not [m for m in mail.outbox if desk.l1.email in m.to]
    assert not Notification.objects.filter(user=desk.l1).exists()


def test_an_agents_choice_for_one_event_leaves_the_other_events_on(desk, committed):
    services.preferences_update(
        actor=desk.l1, changes={"ticket_escalated": {"email": False, "in_app": False}}
    )
    with committed():
        desk.ticket()
    assert [m.to for m in mail.outbox if "Assigned" in m.subject] == [[desk.l1.email]]
    assert Notification.objects.filter(user=desk.l1, event="ticket_assigned").count() == 1


def test_customers_mail_ignores_preferences_and_creates_no_in_app_rows(desk, committed):
    with committed():
        desk.ticket()
    assert mail.outbox[0].to == [desk.customer.email]
    assert not Notification.objects.filter(user=desk.customer).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"ticket_created": {"email": False}},  # a customer event
        {"no_such_event": {"email": False}},
        {"ticket_assigned": {"sms": True}},
        {"ticket_assigned": {"email": "no"}},
    ],
)
def test_bad_preference_changes_are_refused_and_nothing_changes(desk, changes):
    with pytest.raises(ValidationFailed):
        services.preferences_update(actor=desk.l1, changes=changes)
    assert not NotificationPreference.objects.exists()


def test_the_preferences_page_saves_the_checkboxes(desk, client):
    client.force_login(desk.l1)
    page = client.get("/desk/notifications/preferences/")
    assert page.status_code == 200
    assert "SLA breach" in page.content.decode()
    response = client.post(
        "/desk/notifications/preferences/",
        {"sla_breached__email": "on", "sla_breached__in_app": ""},
    )
    assert response.status_code == 302
    prefs = {p.event: p for p in services.preferences_for(desk.l1)}
    assert (prefs["sla_breached"].email, prefs["sla_breached"].in_app) == (True, False)
    assert (prefs["ticket_assigned"].email, prefs["ticket_assigned"].in_app) == (False, False)


def test_customers_have_no_preferences_page(desk, client):
    client.force_login(desk.customer)
    assert client.get("/desk/notifications/preferences/").status_code == 404


# --- notify_users (the rules' action) -----------------------------------------------------


def test_notify_users_tells_agents_in_the_app_and_by_mail_after_commit(desk, committed):
    ticket = desk.ticket()
    mail.outbox.clear()
    with committed():
        count = services.notify_users(
            ticket=ticket, users=[desk.l2, desk.l3, desk.customer], event="rule_notify",
            text="VIP customer",
        )  # fmt: skip
        assert mail.outbox == []
    assert count == 2  # customers are not notified this way
    assert sorted(m.to[0] for m in mail.outbox) == sorted([desk.l2.email, desk.l3.email])
    assert "VIP customer" in mail.outbox[0].body
    assert Notification.objects.filter(event="rule_notify").count() == 2


def test_notify_users_refuses_a_customer_event(desk):
    ticket = desk.ticket()
    with pytest.raises(ValidationFailed):
        services.notify_users(ticket=ticket, users=[desk.l2], event="ticket_created", text="x")


# --- the list, the bell, mark read --------------------------------------------------------


def test_the_list_shows_the_agents_own_notifications_newest_first(desk, client):
    ticket = desk.ticket()
    _notify(desk.l1, ticket, 3)
    _notify(desk.l2, ticket, 1, text="Not yours")
    client.force_login(desk.l1)
    page = client.get("/desk/notifications/").content.decode()
    assert page.index("Note 2") < page.index("Note 1") < page.index("Note 0")
    assert "Not yours" not in page


def test_the_list_query_count_does_not_grow_with_rows(desk, client, django_assert_max_num_queries):
    ticket = desk.ticket()
    _notify(desk.l1, ticket, 80)
    client.force_login(desk.l1)
    with django_assert_max_num_queries(4):
        response = client.get("/desk/notifications/")
    assert response.content.decode().count('class="notification notification-unread"') == 50
    assert "before=" in response.content.decode()


def test_the_bell_counts_unread_with_one_query_and_caps_at_99_plus(
    desk, client, django_assert_max_num_queries
):
    ticket = desk.ticket()
    _notify(desk.l1, ticket, 120)
    client.force_login(desk.l1)
    with django_assert_max_num_queries(3):
        response = client.get("/desk/notifications/bell/")
    assert ">99+<" in response.content.decode()


def test_the_header_has_the_bell_for_agents_only(desk, client):
    client.force_login(desk.l1)
    assert "notification-bell" in client.get("/desk/").content.decode()
    client.force_login(desk.customer)
    assert "notification-bell" not in client.get("/tickets/").content.decode()


def test_mark_read_with_htmx_swaps_the_row(desk, client):
    ticket = desk.ticket()
    _notify(desk.l1, ticket)
    note = Notification.objects.get(user=desk.l1)
    client.force_login(desk.l1)
    response = client.post(f"/desk/notifications/{note.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="notification-{note.pk}"' in response.content.decode()
    assert "Mark read" not in response.content.decode()
    note.refresh_from_db()
    assert note.read_at is not None


def test_nobody_can_mark_someone_elses_notification(desk, client):
    ticket = desk.ticket()
    _notify(desk.l2, ticket)
    note = Notification.objects.get(user=desk.l2)
    client.force_login(desk.l1)
    assert client.post(f"/desk/notifications/{note.pk}/read/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read(desk, client):
    _notify(desk.l1, desk.ticket(), 3)
    client.force_login(desk.l1)
    assert client.post("/desk/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(user=desk.l1, read_at__isnull=True).exists()


# --- API ----------------------------------------------------------------------------------


def test_api_lists_notifications_with_the_unread_count(desk, client, django_assert_max_num_queries):
    ticket = desk.ticket()
    _notify(desk.l1, ticket, 30)
    auth = _api(client, desk.l1)
    with django_assert_max_num_queries(5):
        body = client.get("/api/v1/notifications?limit=10", **auth).json()
    assert len(body["items"]) == 10
    assert body["unread"] == 30
    assert body["items"][0]["ticket_number"] == ticket.number
    older = client.get(f"/api/v1/notifications?before={body['next_before']}", **auth).json()
    assert len(older["items"]) == 20 and older["next_before"] is None


def test_api_marks_a_notification_read_and_hides_other_peoples(desk, client):
    ticket = desk.ticket()
    _notify(desk.l1, ticket)
    _notify(desk.l2, ticket)
    mine = Notification.objects.get(user=desk.l1)
    theirs = Notification.objects.get(user=desk.l2)
    auth = _api(client, desk.l1)
    response = client.post(f"/api/v1/notifications/{mine.pk}/read", **auth)
    assert response.status_code == 200 and response.json()["read_at"]
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read", **auth).status_code == 404
    assert client.get("/api/v1/notifications?unread=true", **auth).json()["items"] == []


def test_api_reads_and_patches_preferences(desk, client):
    auth = _api(client, desk.l1)
    items = client.get("/api/v1/me/notification-preferences", **auth).json()["items"]
    assert {"event": "sla_warning", "label": "SLA warning", "email": True, "in_app": True} in items
    response = client.patch(
        "/api/v1/me/notification-preferences",
        {"preferences": {"sla_warning": {"email": False}}},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200
    changed = {i["event"]: i for i in response.json()["items"]}["sla_warning"]
    assert (changed["email"], changed["in_app"]) == (False, True)


@pytest.mark.parametrize(
    "body",
    [
        {"preferences": {"nope": {"email": False}}},
        {"preferences": {"sla_warning": {"email": "false"}}},
        {"preferences": {"sla_warning": {"sms": True}}},
        {"other": 1},
    ],
)
def test_api_refuses_bad_preferences_with_400(desk, client, body):
    auth = _api(client, desk.l1)
    response = client.patch(
        "/api/v1/me/notification-preferences", body, content_type="application/json", **auth
    )
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_api_preferences_are_for_agents_only(desk, client):
    auth = _api(client, desk.customer)
    assert client.get("/api/v1/me/notification-preferences", **auth).status_code == 403


def test_agent_mail_follows_preferences_per_recipient(desk, committed):
    manager = factories.agent(departments=[desk.department], level=3)
    desk.department.manager = manager
    desk.department.save()
    services.preferences_update(actor=manager, changes={"sla_breached": {"email": False}})
    ticket = desk.ticket()
    from helpline.notifications.tasks import send_ticket_notification

    send_ticket_notification.call(event="sla_breached", ticket_id=ticket.pk, detail="resolution")
    message = OutboundMessage.objects.get(event="sla_breached")
    assert message.to == [desk.l1.email]
    assert Notification.objects.filter(event="sla_breached", user=manager).exists()


def test_an_agent_reply_notifies_nobody_in_the_app(desk, committed):
    ticket = desk.ticket()
    Notification.objects.all().delete()
    with committed():
        ticket_services.ticket_reply(actor=desk.l1, ticket=ticket, body="Hi")
    assert not Notification.objects.exists()
