from django.urls import path

from . import views

app_name = "results"

urlpatterns = [
    path("rounds/<int:round_id>/results/", views.round_overview, name="round"),
]
