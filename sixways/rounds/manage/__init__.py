"""The facilitator's pages for a round: set it up, open it, invite people, follow progress,
remind, close and reopen (`rounds`, `people`), and record a partnership's agreed answers
(`agreed`).

Rounds are fetched through `round_for`, on `Round.objects.for_user`: another partnership's
facilitator gets 404, and every page that changes something asks for `roles=CHANGERS`, so
observers get 404 there. Every change is a POST; opening a page never changes anything, and
every change is written to the partnership's activity log (sixways/core/audit.py): counts and
names of organisations, never participants' email addresses, answers or comments.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from sixways.partnerships.roles import CHANGERS

from ..models import Round


def round_for(request: HttpRequest, round_id: int, *, change: bool) -> Round:
    roles = CHANGERS if change else None
    round_ = get_object_or_404(
        Round.objects.for_user(request.user, roles).select_related("partnership", "instrument"),
        pk=round_id,
    )
    if request.method == "POST":
        # Record a closing date that has passed before changing anything, so the change starts
        # from the status the pages showed (current_status). Reading a page writes nothing.
        round_.close_if_due()
    return round_


def wrong_status(request: HttpRequest, round_: Round, message: str) -> HttpResponse:
    messages.info(request, message)
    return redirect("rounds:detail", round_.pk)
