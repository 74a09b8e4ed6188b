from django.contrib import admin
from django.urls import include, path

from helpline.intake import views as intake_views

admin.site.site_header = "Helpline administration"
admin.site.site_title = "Helpline admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/tickets.json", intake_views.tickets_json, name="intake_tickets_json"),
    path("api/v1/", include("helpline.api.v1.urls")),
    path("", include("helpline.csat.urls")),
    path("", include("helpline.timetrack.urls")),
    path("", include("helpline.kb.urls")),
    path("", include("helpline.catalog.urls")),
    path("", include("helpline.rules.urls")),
    path("", include("helpline.web.urls")),
]
