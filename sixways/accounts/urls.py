from allauth.account import views as allauth_views
from django.urls import path

from . import access, views

app_name = "accounts"

urlpatterns = [
    # The same pages as allauth's account_login and account_logout (allauth_urls.py), under
    # the names the rest of the service uses.
    path("sign-in/", allauth_views.login, name="sign-in"),
    path("sign-out/", allauth_views.logout, name="sign-out"),
    path("", views.account, name="account"),
    path("your-data/", views.your_data, name="your-data"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("ask-for-an-account/", access.request_access, name="request-access"),
    path("ask-for-an-account/sent/", access.access_requested, name="access-requested"),
    path("partnerships/<int:partnership_id>/people/", views.people, name="people"),
    path("partnerships/<int:partnership_id>/people/invite/", views.invite, name="invite"),
    path(
        "partnerships/<int:partnership_id>/people/<int:membership_id>/",
        views.change_role,
        name="change-role",
    ),
    path(
        "partnerships/<int:partnership_id>/people/<int:membership_id>/remove/",
        views.remove,
        name="remove",
    ),
    path(
        "partnerships/<int:partnership_id>/invitations/<int:role_invitation_id>/send-again/",
        views.send_again,
        name="send-again",
    ),
    path(
        "partnerships/<int:partnership_id>/invitations/<int:role_invitation_id>/withdraw/",
        views.withdraw,
        name="withdraw",
    ),
    path("partnerships/<int:partnership_id>/activity/", views.activity, name="activity"),
]
