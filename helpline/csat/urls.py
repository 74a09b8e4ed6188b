from django.urls import path

from helpline.csat import views

urlpatterns = [
    path("csat/<str:token>/", views.rate_by_link, name="csat_rate"),
    path("tickets/<int:number>/csat/", views.portal_rate, name="csat_portal_rate"),
]
