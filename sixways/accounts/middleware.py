"""Two-factor authentication where it is required, and a brake on guessing links that are keys:
participant links and invitations to a role."""

import logging
import time

from allauth.account.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render

from sixways.partnerships.roles import needs_two_factor

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
    """The person's address, for every rate limit: allauth's and ours agree on who is who.

    REMOTE_ADDR unless TRUSTED_PROXY_COUNT says proxies in front write X-Forwarded-For: a
    client can send that header itself, so it is believed only when a proxy overwrites it."""
    return get_adapter().get_client_ip(request)


# The links that are keys, and what the log calls each. Wrong ones are counted per address,
# each kind apart; past the limit, the address must wait.
GUARDED_LINKS = {
    "rounds:start": "participant link",
    "accounts:invitation": "role invitation link",
    "workshops:join": "workshop code",
    "workshops:seat": "workshop code",
    "workshops:join-with-link": "participant link",
    "sharing:board": "board link",
    "sharing:board-pdf": "board link",
}


class limit_link_guessing:
    """Count wrong links per network address, each kind apart; past the limit, a wrong link
    gets 429 instead of the "not valid" page.

    A right link is never refused, however many wrong ones came from its address: a whole NHS
    trust can sit behind one address, and one mistyped or guessing machine there must not
    lock out its staff. The tokens carry 256 bits (docs/adr/0005), so the brake is there to
    make guessing show up in the log and cost the guesser, not to stop a search that cannot
    succeed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        view = _guarded_view(request)
        if view and response.status_code == 404:
            if self._count_failure(request, view):
                logger.warning(
                    "%s guessing paused for %s",
                    GUARDED_LINKS[view].capitalize(),
                    client_ip(request),
                )
                return render(request, "accounts/too_many_requests.jinja", status=429)
            logger.info("Wrong %s from %s", GUARDED_LINKS[view], client_ip(request))
        return response

    @staticmethod
    def _count_failure(request, view: str) -> bool:
        """Count one wrong link; True when this address is now over its limit. A fixed
        window per address in the shared cache: only wrong links read or write it."""
        limit, period = failure_rate()
        kind = GUARDED_LINKS[view].replace(" ", "-")
        return over_limit(request, f"{kind}-failures", limit, period)


def over_limit(request, kind: str, limit: int, period: int) -> bool:
    """Count one event of this kind from the request's address; True when the address is now
    over `limit` in this window of `period` seconds. A fixed window in the shared cache, so
    every app server counts alike."""
    key = f"{kind}:{client_ip(request)}:{int(time.time()) // period}"
    cache.add(key, 0, period)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between the two calls: start the count again
        cache.set(key, 1, period)
        return False


def _guarded_view(request) -> str | None:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match and match.view_name in GUARDED_LINKS else None


PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def failure_rate() -> tuple[int, int]:
    """PARTICIPANT_LINK_FAILURES, such as "20/h" or "50/10m": (failures, seconds). Each kind of
    link in GUARDED_LINKS has this allowance of its own."""
    count, _, period = settings.PARTICIPANT_LINK_FAILURES.partition("/")
    return int(count), int(period[:-1] or 1) * PERIODS[period[-1]]
