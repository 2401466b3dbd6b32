"""Which response is this participant's: a signed cookie, not a session in the database.

Whole partnerships answer within the same hour, and a database session cost a read on every
page and two writes on pressing Start. The cookie holds the response's id and the time it was
given, signed with SECRET_KEY, so it cannot be forged or moved to another response, and it
ends SESSION_COOKIE_AGE after it was given, like a session (docs/adr/0007). It is a browser
session cookie: closing the browser on a shared computer ends it too.
"""

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SALT = "sixways.participant"


def give(reply: HttpResponse, response_id: int, given_at: int | None = None) -> None:
    """Name this response as the participant's, for SESSION_COOKIE_AGE from now (or from
    `given_at`, a Unix time, for tests)."""
    given_at = int(time.time()) if given_at is None else given_at
    reply.set_signed_cookie(
        settings.PARTICIPANT_COOKIE_NAME,
        f"{response_id}.{given_at}",
        salt=SALT,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _read(request: HttpRequest) -> tuple[int, int] | None:
    """(response id, seconds left), or None for no cookie, a forged one or an ended one."""
    value = request.get_signed_cookie(settings.PARTICIPANT_COOKIE_NAME, None, salt=SALT)
    if value is None:
        return None
    response_id, _, given_at = value.partition(".")
    if not (response_id.isdigit() and given_at.isdigit()):
        return None
    left = int(given_at) + settings.SESSION_COOKIE_AGE - int(time.time())
    return (int(response_id), left) if left > 0 else None


def response_id(request: HttpRequest) -> int | None:
    found = _read(request)
    return found[0] if found else None


def seconds_left(request: HttpRequest) -> int | None:
    found = _read(request)
    return found[1] if found else None
