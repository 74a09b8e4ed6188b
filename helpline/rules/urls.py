from django.urls import path

from helpline.rules import views

urlpatterns = [
    path("desk/tickets/<int:number>/macros/", views.macro_picker, name="desk_macro_picker"),
    path("desk/tickets/<int:number>/macros/insert/", views.macro_insert, name="desk_macro_insert"),
]
