"""How allauth behaves here: nobody signs up, messages in plain English, Entra ID only for
allowed tenants and existing accounts."""

import base64
import binascii
import json
import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal import ratelimit
from allauth.core.internal.ratelimit import RateLimitUsage
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.microsoft.views import MicrosoftGraphOAuth2Adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.shortcuts import render

from .emails import send_later

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": "Enter a correct email address and password",
        "too_many_login_attempts": (
            "There have been too many attempts to sign in with this email address. Wait 5 "
            "minutes and try again, or sign in with a code sent by email"
        ),
        "incorrect_code": "The code is not right. Check the email and try again",
        "incorrect_password": "The password is not right",
        "enter_current_password": "Enter your current password",
        "account_inactive": "This account has been switched off",
        "rate_limited": "There have been too many attempts. Wait a few minutes and try again",
    }

    def pre_authenticate(self, request, **credentials) -> None:
        """Count a password attempt per account from this network address first, then
        allauth's counts per network address and per account from anywhere (settings.py)."""
        login = credentials.get("email", credentials.get("username"))
        here = from_address(request, "login_failed_from_address", login)
        if here is None:
            raise self.validation_error("too_many_login_attempts")
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            here.rollback()
            raise
        # A right password gives back every count it took, ours with allauth's.
        self._login_failed_rl_usage.usage.extend(here.usage)

    def is_open_for_signup(self, request) -> bool:
        # People get an account by accepting an invitation to a role (accounts:invitation).
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every email allauth sends (sign-in codes, password resets) goes through the
        background worker, so the page answers as usual while the mail server is down."""
        request = self.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
        )
        if not send_later(message):
            raise ImmediateHttpResponse(
                render(request, "accounts/email_not_sent.jinja", status=503)
            )


def from_address(request, action: str, login: str | None) -> RateLimitUsage | None:
    """Take one from the limit `action` keeps for this account from this network address;
    None when it is used up. Someone elsewhere trying the same address never uses up the real
    person's: they are counted apart."""
    if not login:
        return RateLimitUsage(usage=[])
    return ratelimit.consume(
        request,
        app="allauth.account",
        action=action,
        key=f"{login.strip().lower()}:{ratelimit.get_ip(request)}",
    )


def _claims(jwt: str) -> dict:
    """The claims of an ID token received straight from Microsoft's token endpoint over TLS,
    which OpenID Connect Core 3.1.3.7 accepts in place of checking its signature."""
    try:
        payload = jwt.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError, binascii.Error):
        return {}


class EntraAdapter(MicrosoftGraphOAuth2Adapter):
    """Microsoft's provider, keeping the tenant (directory) ID from the ID token so that we can
    refuse tenants not on the allowlist."""

    def complete_login(self, request, app, token, **kwargs):
        login = super().complete_login(request, app, token, **kwargs)
        response = kwargs.get("response") or {}
        claims = _claims(response.get("id_token", ""))
        login.account.extra_data["tid"] = str(claims.get("tid", ""))
        return login


entra_login = OAuth2LoginView.adapter_view(EntraAdapter)
entra_callback = OAuth2CallbackView.adapter_view(EntraAdapter)


def entra_allowed(tenant: str, email: str) -> bool:
    """Only the listed tenants; and if domains are listed, only addresses in them."""
    if not tenant or tenant not in settings.ENTRA_ALLOWED_TENANTS:
        return False
    if settings.ENTRA_ALLOWED_DOMAINS:
        domain = email.rpartition("@")[2].lower()
        return bool(domain) and domain in settings.ENTRA_ALLOWED_DOMAINS
    return True


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def pre_social_login(self, request, sociallogin) -> None:
        data = sociallogin.account.extra_data
        tenant = data.get("tid", "")
        email = (data.get("mail") or data.get("userPrincipalName") or "").strip().lower()
        if not entra_allowed(tenant, email):
            logger.warning("Entra ID sign-in refused for a tenant or domain not allowed")
            raise ImmediateHttpResponse(render(request, "accounts/entra_refused.jinja", status=403))
        if sociallogin.is_existing:
            return
        # The tenant is one we trust to manage its own addresses, so its address stands for
        # the person: sign them in to the account invited under that address, if there is one.
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise ImmediateHttpResponse(
                render(request, "accounts/entra_no_account.jinja", status=403)
            )
        sociallogin.connect(request, user)


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": (
            "The code is not right. Enter the 6-digit code your authenticator app shows now"
        ),
        "cannot_delete_authenticator": "You cannot remove two-factor authentication",
    }
