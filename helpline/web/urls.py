"""The web UI's URLs, included at the site root.

``login`` and ``home`` keep the names the settings refer to (LOGIN_URL, LOGIN_REDIRECT_URL);
``/tickets/<number>/`` is the link notification emails carry.
"""

from django.urls import include, path

from helpline.notifications import views as notification_views
from helpline.web.views import account, attachments, auth, desk, portal
from helpline.web.views import sla as sla_views

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("account/", account.profile, name="profile"),
    # Customer portal.
    path("tickets/", portal.ticket_list, name="portal_tickets"),
    path("tickets/new/", portal.ticket_new, name="portal_ticket_new"),
    path("tickets/<int:number>/", portal.ticket_detail, name="portal_ticket"),
    path("tickets/<int:number>/reply/", portal.ticket_reply, name="portal_reply"),
    path("tickets/<int:number>/confirm/", portal.ticket_confirm, name="portal_confirm"),
    path("tickets/<int:number>/reopen/", portal.ticket_reopen, name="portal_reopen"),
    path(
        "tickets/<int:number>/attachments/<int:attachment_id>/",
        attachments.download,
        name="attachment_download",
    ),
    # Agent workspace.
    path("desk/", desk.queue, name="desk_queue"),
    path("", include("helpline.web.views.search")),  # search pages and saved views
    path("desk/tickets/<int:number>/", desk.ticket_detail, name="desk_ticket"),
    path("desk/tickets/<int:number>/thread/", desk.ticket_thread, name="desk_thread"),
    path("desk/tickets/<int:number>/reply/", desk.ticket_reply, name="desk_reply"),
    path("desk/tickets/<int:number>/note/", desk.ticket_note, name="desk_note"),
    path("desk/tickets/<int:number>/take/", desk.ticket_take, name="desk_take"),
    path(
        "desk/tickets/<int:number>/sla-policy/", sla_views.ticket_sla_policy, name="desk_sla_policy"
    ),
    path("sla/", sla_views.sla_public, name="sla_public"),
    path("desk/tickets/<int:number>/assign/", desk.ticket_assign, name="desk_assign"),
    path("desk/tickets/<int:number>/escalate/", desk.ticket_escalate, name="desk_escalate"),
    path(
        "desk/tickets/<int:number>/<slug:action>/",
        desk.ticket_transition,
        name="desk_transition",
    ),
    # In-app notifications (helpline.notifications).
    path("desk/notifications/", notification_views.notification_list, name="notifications"),
    path("desk/notifications/bell/", notification_views.bell, name="notification_bell"),
    path(
        "desk/notifications/read-all/",
        notification_views.mark_all_read,
        name="notifications_read_all",
    ),
    path(
        "desk/notifications/<int:notification_id>/read/",
        notification_views.mark_read,
        name="notification_read",
    ),
    path(
        "desk/notifications/preferences/",
        notification_views.preferences,
        name="notification_preferences",
    ),
]
