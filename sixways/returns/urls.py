from django.urls import path

from . import printing, views

app_name = "returns"

urlpatterns = [
    path("rounds/<int:round_id>/returns/", views.returns, name="returns"),
    path(
        "rounds/<int:round_id>/returns/questionnaire.pdf",
        printing.questionnaire,
        name="questionnaire",
    ),
    path("rounds/<int:round_id>/returns/template.xlsx", views.template_xlsx, name="template-xlsx"),
    path("rounds/<int:round_id>/returns/template.csv", views.template_csv, name="template-csv"),
    path("rounds/<int:round_id>/returns/enter/", views.enter, name="enter"),
    path("rounds/<int:round_id>/returns/upload/", views.upload, name="upload"),
    path(
        "rounds/<int:round_id>/returns/keyed/<int:return_id>/remove/",
        views.remove,
        name="remove",
    ),
    path(
        "rounds/<int:round_id>/returns/files/<int:upload_id>/",
        views.upload_detail,
        name="upload-detail",
    ),
    path(
        "rounds/<int:round_id>/returns/files/<int:upload_id>/progress/",
        views.upload_progress,
        name="upload-progress",
    ),
    path(
        "rounds/<int:round_id>/returns/files/<int:upload_id>/import/", views.confirm, name="confirm"
    ),
    path("rounds/<int:round_id>/returns/files/<int:upload_id>/undo/", views.undo, name="undo"),
]
