from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Helpline administration"
admin.site.site_title = "Helpline admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("helpline.api.v1.urls")),
    path("", include("helpline.web.urls")),
]
