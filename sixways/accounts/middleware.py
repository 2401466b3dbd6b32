"""Two-factor authentication where it is required, and a brake on guessing links that are keys:
participant links and invitations to a role."""

import logging
import time

from allauth.account.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render

from sixways.partnerships.models import Membership, Role

from .models import RoleInvitation

logger = logging.getLogger("sixways.security")

# Pages someone who must set up two-factor can still use: setting it up, and leaving.
TWO_FACTOR_SET_UP_VIEWS = {
    "mfa_index",
    "mfa_activate_totp",
    "mfa_reauthenticate",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "account_reauthenticate",
    "account_logout",
    "accounts:sign-out",
    "accounts:sign-in",
    "account_login",
}


def needs_two_factor(user) -> bool:
    """Service administrators and facilitators: they can see and change a partnership."""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role=Role.FACILITATOR).exists()


def has_two_factor(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class require_two_factor:
    """Send a facilitator or administrator without two-factor to set it up, before anything
    else. Checked on every request, so a role given after sign-in counts at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.MFA_REQUIRED or not request.user.is_authenticated:
            return None
        match = request.resolver_match
        if match is None or match.view_name in TWO_FACTOR_SET_UP_VIEWS:
            return None
        if needs_two_factor(request.user) and not has_two_factor(request.user):
            # A page someone opens goes to the set-up page. Anything else (a form sent, a
            # script's fetch) is refused: following a redirect there would start the set-up
            # again with a new key behind the person's back.
            accept = request.headers.get("Accept", "text/html")
            if request.method == "GET" and "text/html" in accept:
                return redirect("mfa_activate_totp")
            return render(request, "accounts/two_factor_needed.jinja", status=403)
        return None


def client_ip(request) -> str:
    """The person's address, past the proxies we trust (TRUSTED_PROXY_COUNT), for every rate
    limit: allauth's and ours agree on who is who."""
    return get_adapter().get_client_ip(request)


# The links that are keys, and what the log calls each. Wrong ones are counted per address,
# each kind apart; past the limit, the address must wait.
GUARDED_LINKS = {
    "rounds:start": "participant link",
    "accounts:invitation": "role invitation link",
}


def _right_role_invitation(token: str) -> bool:
    return RoleInvitation.objects.from_token(token) is not None


# Links let through when right, even from an address that must wait. A role invitation goes
# to one named person, often on the same network as colleagues who may mistype theirs; its 256
# bits are what keep it from being guessed, while the count and the log show the guesser.
ALWAYS_OPEN_WHEN_RIGHT = {"accounts:invitation": _right_role_invitation}


class limit_link_guessing:
    """Count wrong links per network address; past the limit, answer 429.

    Only failures count: a whole partnership behind one NHS network address can open its
    real links at the same moment without being slowed down.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        view = _guarded_view(request)
        if view and response.status_code == 404:
            self._limited(request, view, increment=True)
            logger.info("Wrong %s from %s", GUARDED_LINKS[view], client_ip(request))
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        view = _guarded_view(request)
        if view is None or not self._limited(request, view, increment=False):
            return None
        is_right = ALWAYS_OPEN_WHEN_RIGHT.get(view)
        if is_right is not None and is_right(view_kwargs.get("token", "")):
            return None
        logger.warning(
            "%s guessing paused for %s", GUARDED_LINKS[view].capitalize(), client_ip(request)
        )
        return render(request, "accounts/too_many_requests.jinja", status=429)

    @staticmethod
    def _limited(request, view: str, *, increment: bool) -> bool:
        # A fixed window per address in the shared cache. Checking is one read: every person
        # opening a link pays for it, while only wrong links write.
        limit, period = failure_rate()
        kind = GUARDED_LINKS[view].replace(" ", "-")
        key = f"{kind}-failures:{client_ip(request)}:{int(time.time()) // period}"
        if increment:
            cache.add(key, 0, period)
            try:
                return cache.incr(key) > limit
            except ValueError:  # expired between the two calls: start the count again
                cache.set(key, 1, period)
                return False
        return cache.get(key, 0) > limit


def _guarded_view(request) -> str | None:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match and match.view_name in GUARDED_LINKS else None


PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def failure_rate() -> tuple[int, int]:
    """PARTICIPANT_LINK_FAILURES, such as "20/h" or "50/10m": (failures, seconds). Each kind of
    link in GUARDED_LINKS has this allowance of its own."""
    count, _, period = settings.PARTICIPANT_LINK_FAILURES.partition("/")
    return int(count), int(period[:-1] or 1) * PERIODS[period[-1]]
