from django.urls import path

from . import views
from .manage import agreed, people, rounds

app_name = "rounds"

urlpatterns = [
    # Participants: no account, a link and then a session.
    path("p/<str:token>/", views.start, name="start"),
    path("respond/<int:number>/", views.section, name="section"),
    path("respond/check/", views.check, name="check"),
    path("respond/sent/", views.sent, name="sent"),
    # Facilitators.
    path("partnerships/<int:partnership_id>/rounds/new/", rounds.create, name="create"),
    path("rounds/<int:round_id>/", rounds.detail, name="detail"),
    path("rounds/<int:round_id>/edit/", rounds.edit, name="edit"),
    path("rounds/<int:round_id>/open/", rounds.open_round, name="open"),
    path("rounds/<int:round_id>/close/", rounds.close, name="close"),
    path("rounds/<int:round_id>/reopen/", rounds.reopen, name="reopen"),
    path("rounds/<int:round_id>/invite/", people.invite_people, name="invite"),
    path("rounds/<int:round_id>/links/", people.links, name="links"),
    path(
        "rounds/<int:round_id>/links/<int:organisation_id>/qr/",
        people.link_qr,
        name="link-qr",
    ),
    path("rounds/<int:round_id>/reminders/", people.reminders, name="reminders"),
    path("rounds/<int:round_id>/emails/", people.emails, name="emails"),
    path("rounds/<int:round_id>/agreed/", agreed.agreed, name="agreed"),
    path(
        "rounds/<int:round_id>/agreed/<int:number>/",
        agreed.agreed_behaviour,
        name="agreed-behaviour",
    ),
    path("rounds/<int:round_id>/agreed/who-took-part/", agreed.took_part, name="took-part"),
]
