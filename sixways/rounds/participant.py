"""Which response is this participant's: a signed cookie, not a session in the database.

Whole partnerships answer within the same hour, and a database session cost a read on every
page and two writes on pressing Start. The cookie holds the response's id, the time it was
given and the time the link was used to start, signed with SECRET_KEY, so it cannot be forged
or moved to another response. It ends SESSION_COOKIE_AGE after it was given, like a session;
"Give me more time" gives it again, but never past PARTICIPANT_COOKIE_MAX_AGE after the link
was used, so a cookie left on a shared computer or copied cannot be kept alive for ever
without the link (docs/adr/0007). It is a browser session cookie: closing the browser on a
shared computer ends it too.
"""

import time
from typing import NamedTuple

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SALT = "sixways.participant"


def give(
    reply: HttpResponse,
    response_id: int,
    given_at: int | None = None,
    started_at: int | None = None,
) -> None:
    """Name this response as the participant's, for SESSION_COOKIE_AGE from now (or from
    `given_at`, a Unix time, for tests). `started_at` is when the link was used; a new start
    when not given."""
    given_at = int(time.time()) if given_at is None else given_at
    started_at = given_at if started_at is None else started_at
    reply.set_signed_cookie(
        settings.PARTICIPANT_COOKIE_NAME,
        f"{response_id}.{given_at}.{started_at}",
        salt=SALT,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _read(request: HttpRequest) -> tuple[int, int, int] | None:
    """(response id, seconds left, when the link was used), or None for no cookie, a forged
    one or an ended one."""
    value = request.get_signed_cookie(settings.PARTICIPANT_COOKIE_NAME, None, salt=SALT)
    if value is None:
        return None
    parts = value.split(".")
    if len(parts) == 2:  # given before the cap: it started when it was given
        parts.append(parts[1])
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    response_id, given_at, started_at = map(int, parts)
    ends = min(
        given_at + settings.SESSION_COOKIE_AGE,
        started_at + settings.PARTICIPANT_COOKIE_MAX_AGE,
    )
    left = ends - int(time.time())
    return (response_id, left, started_at) if left > 0 else None


def response_id(request: HttpRequest) -> int | None:
    found = _read(request)
    return found[0] if found else None


def seconds_left(request: HttpRequest) -> int | None:
    found = _read(request)
    return found[1] if found else None


def started_at(request: HttpRequest) -> int | None:
    found = _read(request)
    return found[2] if found else None


class Renewal(NamedTuple):
    response_id: int
    started_at: int
    seconds: int  # how long the cookie given again will last


def renewal(request: HttpRequest) -> Renewal | None:
    """What giving this request's cookie again from now would give: the full time, or less
    near PARTICIPANT_COOKIE_MAX_AGE after the link was used. None when there is no cookie to
    give again. Pass the result to `give` with its `started_at`."""
    found = _read(request)
    if found is None:
        return None
    response_id_, _, started_at = found
    seconds = min(
        settings.SESSION_COOKIE_AGE,
        started_at + settings.PARTICIPANT_COOKIE_MAX_AGE - int(time.time()),
    )
    return Renewal(response_id_, started_at, seconds)
