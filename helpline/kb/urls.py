"""Knowledge base pages, included at the site root. The ticket panel lives under
``desk/kb/tickets/<number>/``, outside the ticket's own action URLs."""

from django.urls import path

from helpline.kb import views_desk, views_portal

urlpatterns = [
    path("kb/", views_portal.index, name="kb_index"),
    path("kb/suggest/", views_portal.suggest, name="kb_suggest"),
    path("kb/sla/", views_portal.sla, name="kb_sla"),
    path("kb/categories/<slug:slug>/", views_portal.category, name="kb_category"),
    path("kb/articles/<slug:slug>/", views_portal.article, name="kb_article"),
    path("kb/articles/<slug:slug>/helpful/", views_portal.helpful, name="kb_helpful"),
    path("kb/articles/<slug:slug>/solved/", views_portal.solved, name="kb_solved"),
    path("desk/kb/", views_desk.article_list, name="kb_desk_list"),
    path("desk/kb/new/", views_desk.article_new, name="kb_desk_new"),
    path("desk/kb/<int:pk>/", views_desk.article_edit, name="kb_desk_article"),
    path("desk/kb/<int:pk>/history/", views_desk.history, name="kb_desk_history"),
    path("desk/kb/<int:pk>/revisions/<int:number>/", views_desk.revision, name="kb_desk_revision"),
    path(
        "desk/kb/<int:pk>/revisions/<int:number>/restore/",
        views_desk.restore,
        name="kb_desk_restore",
    ),
    path(
        "desk/kb/<int:pk>/<slug:action>/", views_desk.article_transition, name="kb_desk_transition"
    ),
    path(
        "desk/kb/tickets/<int:number>/", views_desk.ticket_suggestions, name="kb_ticket_suggestions"
    ),
    path(
        "desk/kb/tickets/<int:number>/from-resolution/",
        views_desk.from_resolution,
        name="kb_from_resolution",
    ),
    path("desk/kb/tickets/<int:number>/link/", views_desk.link_article, name="kb_link_article"),
]
