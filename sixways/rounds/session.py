"""Warn people before their session ends and let them keep it (WCAG 2.2.1, timing adjustable).

A session lasts SESSION_COOKIE_AGE (8 hours) from when it was last saved, not from the last
page seen, so someone working through the afternoon can be signed out in the middle of a form.
A participant's cookie (sixways/rounds/participant.py) lasts as long from when it was given,
and `extend` cannot take it past PARTICIPANT_COOKIE_MAX_AGE from when their link was used.
Every page with a session carries a warning dialog (templates/design/session_timeout.jinja);
static/sixways/app.js asks `status` how long is left, opens the dialog a few minutes before the
end, and `extend` starts the full time again. Participants lose nothing when it ends anyway:
every answer page is saved as they go, and their link lets them back in.
"""

from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import participant

DATABASE_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}


def _has_session(request: HttpRequest) -> bool:
    # Reading the keys loads the session: an unknown or expired one comes back empty.
    return bool(request.session.session_key) and bool(list(request.session.keys()))


def seconds_left(request: HttpRequest) -> int | None:
    """Seconds until this request's session ends, or None when it has none."""
    if not _has_session(request):
        return participant.seconds_left(request)
    if settings.SESSION_ENGINE not in DATABASE_ENGINES:
        # Other stores do not say when a session was saved; the cookie's age is the best guess.
        return request.session.get_expiry_age()
    expires = (
        Session.objects.filter(session_key=request.session.session_key)
        .values_list("expire_date", flat=True)
        .first()
    )
    if expires is None:
        return None
    return max(0, int((expires - timezone.now()).total_seconds()))


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """How long the session has left. Changes nothing."""
    return JsonResponse({"expires_in": seconds_left(request)})


@require_POST
def extend(request: HttpRequest) -> HttpResponse:
    """Start the session's full time again: saving it sets a new end, in the database and in
    the cookie."""
    expires_in = None
    renewal = None
    if _has_session(request):
        request.session.modified = True
        expires_in = request.session.get_expiry_age()
    else:
        # A participant's cookie is given again with the full time from now, but never past
        # its cap from when the link was used: after that only the link lets them back in.
        renewal = participant.renewal(request)
        if renewal is not None:
            expires_in = renewal.seconds
    if "application/json" in request.headers.get("Accept", ""):
        reply = JsonResponse({"expires_in": expires_in})
    else:
        # Without JavaScript the dialog never opens, but the form still works: back to the page.
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "/"
        reply = redirect(target)
    if renewal is not None:
        participant.give(reply, renewal.response_id, started_at=renewal.started_at)
    return reply
