from django.urls import path

from . import views

app_name = "rounds"

urlpatterns = [
    path("p/<str:token>/", views.start, name="start"),
    path("respond/<int:number>/", views.section, name="section"),
    path("respond/check/", views.check, name="check"),
    path("respond/sent/", views.sent, name="sent"),
]
