from django.urls import path

from . import facilitator, views

app_name = "rounds"

urlpatterns = [
    # Participants: no account, a link and then a session.
    path("p/<str:token>/", views.start, name="start"),
    path("respond/<int:number>/", views.section, name="section"),
    path("respond/check/", views.check, name="check"),
    path("respond/sent/", views.sent, name="sent"),
    # Facilitators.
    path("partnerships/<int:partnership_id>/rounds/new/", facilitator.create, name="create"),
    path("rounds/<int:round_id>/", facilitator.detail, name="detail"),
    path("rounds/<int:round_id>/edit/", facilitator.edit, name="edit"),
    path("rounds/<int:round_id>/open/", facilitator.open_round, name="open"),
    path("rounds/<int:round_id>/close/", facilitator.close, name="close"),
    path("rounds/<int:round_id>/reopen/", facilitator.reopen, name="reopen"),
    path("rounds/<int:round_id>/invite/", facilitator.invite_people, name="invite"),
    path("rounds/<int:round_id>/links/", facilitator.links, name="links"),
    path("rounds/<int:round_id>/reminders/", facilitator.reminders, name="reminders"),
    path("rounds/<int:round_id>/emails/", facilitator.emails, name="emails"),
    path("rounds/<int:round_id>/agreed/", facilitator.agreed, name="agreed"),
]
