from django.urls import path

from . import views

app_name = "partnerships"

urlpatterns = [
    path("", views.home, name="home"),
    path("partnerships/new/", views.create, name="create"),
    path("partnerships/<int:partnership_id>/", views.detail, name="detail"),
    path("partnerships/<int:partnership_id>/edit/", views.edit, name="edit"),
    path("partnerships/<int:partnership_id>/sharing/", views.sharing, name="sharing"),
    path(
        "partnerships/<int:partnership_id>/benchmark/take-part/",
        views.benchmark,
        name="benchmark",
    ),
    path("partnerships/<int:partnership_id>/partners/add/", views.add_partner, name="add-partner"),
    path(
        "partnerships/<int:partnership_id>/partners/import/",
        views.import_partners,
        name="import-partners",
    ),
    path(
        "partnerships/<int:partnership_id>/partners/<int:partner_id>/edit/",
        views.edit_partner,
        name="edit-partner",
    ),
    path(
        "partnerships/<int:partnership_id>/partners/<int:partner_id>/remove/",
        views.remove_partner,
        name="remove-partner",
    ),
]
