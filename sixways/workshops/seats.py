"""Which seat in a workshop a device holds: a signed cookie with the seat's id and secret, as
participants' cookies are signed (docs/adr/0007), so it cannot be forged, moved to another
seat or carried into another workshop. No name or email is asked or kept."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .models import Seat, Workshop

COOKIE = "sixways_seat"
SALT = "sixways.workshop-seat"
HOURS = 12  # longer than any meeting; the seat is useless once the workshop ends anyway


def give(reply: HttpResponse, seat: Seat) -> None:
    reply.set_signed_cookie(
        COOKIE,
        f"{seat.pk}.{seat.secret}",
        salt=SALT,
        max_age=HOURS * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def seat_for(request: HttpRequest, workshop: Workshop) -> Seat | None:
    """This device's seat in this workshop, or None: no cookie, a forged or tampered one, or a
    seat in another workshop."""
    value = request.get_signed_cookie(COOKIE, None, salt=SALT, max_age=HOURS * 3600)
    if not value:
        return None
    seat_id, _, secret = value.partition(".")
    if not seat_id.isdigit() or not secret:
        return None
    return Seat.objects.filter(pk=int(seat_id), workshop=workshop, secret=secret).first()
