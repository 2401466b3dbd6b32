from django.urls import path

from . import views

app_name = "actions"

urlpatterns = [
    path("rounds/<int:round_id>/actions/", views.plan, name="plan"),
    path("rounds/<int:round_id>/actions/new/<str:behaviour>/", views.new, name="new"),
    path("partnerships/<int:partnership_id>/actions/review/", views.review, name="review"),
    path("actions/<int:action_id>/", views.detail, name="detail"),
    path("actions/<int:action_id>/edit/", views.edit, name="edit"),
]
