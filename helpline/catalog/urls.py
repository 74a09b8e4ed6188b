"""The service catalog and the intake guides, included at the site root."""

from django.urls import path

from helpline.catalog import views

urlpatterns = [
    path("catalog/", views.catalog, name="catalog"),
    path("catalog/requests/<int:pk>/", views.request_new, name="catalog_request"),
    path("guides/<int:pk>/", views.guide, name="guide"),
    path("guides/<int:pk>/ticket/", views.guide_ticket, name="guide_ticket"),
]
