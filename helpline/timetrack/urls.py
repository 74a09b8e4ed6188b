from django.urls import path

from helpline.timetrack import views

P = "desk/tickets/<int:number>/time/"

urlpatterns = [
    path(P, views.panel, name="time_panel"),
    path(P + "log/", views.log, name="time_log"),
    path(P + "reply/", views.log_reply, name="time_log_reply"),
    path(P + "<int:entry_id>/edit/", views.edit, name="time_edit"),
    path(P + "<int:entry_id>/delete/", views.delete, name="time_delete"),
    path(P + "timer/start/", views.timer_start, name="time_timer_start"),
    path(P + "timer/stop/", views.timer_stop, name="time_timer_stop"),
    path(P + "timer/discard/", views.timer_discard, name="time_timer_discard"),
]
