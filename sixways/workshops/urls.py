from django.urls import path

from . import control, views

app_name = "workshops"

urlpatterns = [
    path("rounds/<int:round_id>/workshop/", control.control, name="control"),
    path("rounds/<int:round_id>/workshop/questions/", control.to_questions, name="to-questions"),
    path("rounds/<int:round_id>/workshop/open/", control.open_item, name="open"),
    path("rounds/<int:round_id>/workshop/reveal/", control.reveal, name="reveal"),
    path("rounds/<int:round_id>/workshop/agree/", control.agree, name="agree"),
    path(
        "rounds/<int:round_id>/workshop/comment/<str:behaviour>/",
        control.comment,
        name="comment",
    ),
    path("rounds/<int:round_id>/workshop/end/", control.end, name="end"),
    path("rounds/<int:round_id>/workshop/screen/", control.screen, name="screen"),
    # The changing part of each page, asked for every few seconds by app.js.
    path("rounds/<int:round_id>/workshop/live/", control.control_live, name="control-live"),
    path("rounds/<int:round_id>/workshop/screen/live/", control.screen_live, name="screen-live"),
    # The room: short addresses, to type from a screen.
    path("w/", views.join, name="join"),
    path("w/<str:code>/", views.seat, name="seat"),
    path("w/<str:code>/room/", views.room, name="room"),
    path("w/<str:code>/vote/", views.vote, name="vote"),
    path("w/<str:code>/live/", views.room_live, name="room-live"),
    # Someone's own participant link, in a round where people answer for themselves.
    path("p/<str:token>/workshop/", views.join_with_link, name="join-with-link"),
]
