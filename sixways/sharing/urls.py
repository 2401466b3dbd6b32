from django.urls import path

from . import views

app_name = "sharing"

urlpatterns = [
    path(
        "partnerships/<int:partnership_id>/board-links/",
        views.board_links,
        name="board-links",
    ),
    path(
        "partnerships/<int:partnership_id>/board-links/revoke-all/",
        views.revoke_all,
        name="board-links-revoke-all",
    ),
    path("rounds/<int:round_id>/board-links/new/", views.new_board_link, name="board-link-new"),
    path("board-links/<int:board_link_id>/pause/", views.pause, name="board-link-pause"),
    path("board-links/<int:board_link_id>/resume/", views.resume, name="board-link-resume"),
    path("board-links/<int:board_link_id>/revoke/", views.revoke, name="board-link-revoke"),
    # The links themselves: keys, so wrong ones are counted (accounts.middleware).
    path("board/<str:token>/", views.board, name="board"),
    path("board/<str:token>/board-report.pdf", views.board_pdf, name="board-pdf"),
]
