"""allauth's pages, under allauth's URL names (allauth reverses them), each with our template.

Only the pages we use are here: no sign-up (people are invited), no managing email addresses
(the invitation fixes the address), no passkeys. allauth copes with the missing names.
"""

from allauth.account import views as account
from allauth.mfa.base import views as mfa
from allauth.mfa.recovery_codes import views as recovery_codes
from allauth.mfa.totp import views as totp
from allauth.socialaccount import views as social
from django.conf import settings
from django.urls import path, re_path

from . import adapter

urlpatterns = [
    path("sign-in/", account.login, name="account_login"),
    path("sign-out/", account.logout, name="account_logout"),
    path("switched-off/", account.account_inactive, name="account_inactive"),
    path("sign-in/code/", account.request_login_code, name="account_request_login_code"),
    path("sign-in/code/confirm/", account.confirm_login_code, name="account_confirm_login_code"),
    path("confirm-it-is-you/", account.reauthenticate, name="account_reauthenticate"),
    path("password/change/", account.password_change, name="account_change_password"),
    path("password/set/", account.password_set, name="account_set_password"),
    path("password/reset/", account.password_reset, name="account_reset_password"),
    path("password/reset/sent/", account.password_reset_done, name="account_reset_password_done"),
    # allauth's own pattern: the key itself contains hyphens, the user's id never does.
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        account.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    path(
        "password/reset/done/",
        account.password_reset_from_key_done,
        name="account_reset_password_from_key_done",
    ),
    path("two-factor/", mfa.index, name="mfa_index"),
    path("two-factor/authenticate/", mfa.authenticate, name="mfa_authenticate"),
    path("two-factor/confirm-it-is-you/", mfa.reauthenticate, name="mfa_reauthenticate"),
    path("two-factor/app/set-up/", totp.activate_totp, name="mfa_activate_totp"),
    path("two-factor/app/remove/", totp.deactivate_totp, name="mfa_deactivate_totp"),
    path(
        "two-factor/recovery-codes/",
        recovery_codes.view_recovery_codes,
        name="mfa_view_recovery_codes",
    ),
    path(
        "two-factor/recovery-codes/new/",
        recovery_codes.generate_recovery_codes,
        name="mfa_generate_recovery_codes",
    ),
    path(
        "two-factor/recovery-codes/download/",
        recovery_codes.download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
]

if settings.ENTRA_ENABLED:
    urlpatterns += [
        path("microsoft/sign-in/", adapter.entra_login, name="microsoft_login"),
        path("microsoft/sign-in/callback/", adapter.entra_callback, name="microsoft_callback"),
        path("microsoft/cancelled/", social.login_cancelled, name="socialaccount_login_cancelled"),
        path("microsoft/error/", social.login_error, name="socialaccount_login_error"),
    ]
