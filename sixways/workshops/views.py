"""The room's side of a workshop: join with the code on the screen, optionally say which
organisation you are from, and vote on your phone. No account, name or email: a signed cookie
seats the device (seats.py). Everything works without JavaScript: the waiting page has a
button to check for the next question."""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sixways.design.forms import form_page
from sixways.instruments.shape import shapes
from sixways.partnerships.models import Membership, Organisation, Role
from sixways.rounds.models import Invitation, Mode, Response

from . import live, seats
from .forms import CodeForm, SeatForm, VoteForm
from .models import Seat, Vote, Workshop, normalise_code
from .showing import announcement, etag, live_reply, now_showing, room_etag, unchanged

Stage = Workshop.Stage


def _workshop(code: str) -> Workshop:
    """The running workshop with this code, or 404 (counted by the link brake)."""
    workshop = (
        Workshop.objects.filter(code=normalise_code(code))
        .exclude(stage=Stage.ENDED)
        .select_related("round__partnership", "round__instrument", "section", "question")
        .first()
    )
    if workshop is None:
        raise Http404("No workshop is running with this code")
    return workshop


def _runs_it(request: HttpRequest, workshop: Workshop) -> bool:
    """Facilitators and observers of the partnership run or watch the workshop: they never
    count as voters."""
    return (
        request.user.is_authenticated
        and Membership.objects.filter(
            user=request.user,
            partnership_id=workshop.round.partnership_id,
            role__in=[Role.FACILITATOR, Role.OBSERVER],
        ).exists()
    )


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """Type the code from the screen. The QR code brings it in the address."""
    data = request.POST if request.method == "POST" else None
    if data is None and request.GET.get("code"):
        data = {"code": request.GET["code"]}
    form = CodeForm(data)
    if data is not None and form.is_valid():
        exists = (
            Workshop.objects.filter(code=form.cleaned_data["code"])
            .exclude(stage=Stage.ENDED)
            .exists()
        )
        if exists:
            return redirect("workshops:seat", form.cleaned_data["code"])
        form.add_error(
            "code", "There is no workshop running with that code. Check it on the screen"
        )
        # A wrong code answers 404, so the brake on guessing links counts it (as it counts
        # wrong participant links): codes are short, and only a running one works.
        return form_page(request, "workshops/join.jinja", {"form": form}, form, status=404)
    return form_page(request, "workshops/join.jinja", {"form": form}, form)


@require_http_methods(["GET", "POST"])
def seat(request: HttpRequest, code: str) -> HttpResponse:
    workshop = _workshop(code)
    if _runs_it(request, workshop):
        return render(request, "workshops/runs_it.jinja", {"workshop": workshop}, status=403)
    if seats.seat_for(request, workshop) is not None:
        return redirect("workshops:room", workshop.code)
    if workshop.round.mode == Mode.INDIVIDUAL:
        # People answer for themselves: each joins with their own link, so that their votes
        # become their own answers and the round's results can be checked against the room's
        # (docs/adr/0013). The code alone seats nobody.
        return render(request, "workshops/own_link_needed.jinja", {"workshop": workshop})
    organisations = Organisation.objects.filter(
        pk__in=workshop.round.organisations.values("pk")
    ).order_by("name")
    form = SeatForm(request.POST if request.method == "POST" else None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        new = Seat.objects.create(workshop=workshop, organisation=form.cleaned_data["organisation"])
        reply = redirect("workshops:room", workshop.code)
        seats.give(reply, new)
        return reply
    return form_page(request, "workshops/seat.jinja", {"workshop": workshop, "form": form}, form)


@require_POST
def join_with_link(request: HttpRequest, token: str) -> HttpResponse:
    """Join the workshop running in the round of one's own participant link: the seat is that
    person's, and its votes become their answers when the workshop ends. A wrong link answers
    404, which the brake on guessing links counts."""
    invitation = Invitation.objects.from_token(token)
    if invitation is None or invitation.kind != Invitation.Kind.PERSONAL:
        raise Http404("No such participant link")
    workshop = live.running(invitation.round)
    if workshop is None or invitation.round.mode != Mode.INDIVIDUAL:
        raise Http404("No workshop is running for this link's round")
    if _runs_it(request, workshop):
        return render(request, "workshops/runs_it.jinja", {"workshop": workshop}, status=403)
    sent = Response.objects.filter(invitation=invitation, state=Response.State.SUBMITTED).exists()
    if sent:
        return render(request, "workshops/already_sent.jinja", {"workshop": workshop}, status=409)
    try:
        with transaction.atomic():
            held, _ = Seat.objects.get_or_create(
                workshop=workshop,
                invitation=invitation,
                defaults={"organisation_id": invitation.organisation_id},
            )
    except IntegrityError:  # a double press: the first one made it
        held = Seat.objects.get(workshop=workshop, invitation=invitation)
    reply = redirect("workshops:room", workshop.code)
    seats.give(reply, held)
    return reply


def _seated(request: HttpRequest, code: str) -> tuple[Workshop, Seat | None]:
    workshop = _workshop(code)
    return workshop, seats.seat_for(request, workshop)


@require_safe
def room(request: HttpRequest, code: str) -> HttpResponse:
    """What this phone shows now: waiting, the open questions to vote on, or the answers."""
    ended = Workshop.objects.filter(code=normalise_code(code)).order_by("-started_at").first()
    if ended is not None and ended.stage == Stage.ENDED:
        holder = seats.seat_for(request, ended)
        return render(request, "workshops/ended.jinja", {"workshop": ended, "holder": holder})
    workshop, holder = _seated(request, code)
    if holder is None:
        return redirect("workshops:seat", workshop.code)
    return _room_page(request, workshop, holder)


def _room_context(workshop: Workshop, holder: Seat, form=None) -> dict:
    shape = shapes({workshop.round.instrument_id})[workshop.round.instrument_id]
    questions = workshop.open_questions()
    current = dict(
        Vote.objects.filter(seat=holder, question__in=questions).values_list(
            "question_id", "option__key"
        )
    )
    if form is None and workshop.stage == Stage.VOTING:
        form = VoteForm(
            questions=questions,
            options=shape.options,
            partnership=workshop.round.partnership,
            current=current,
        )
    return {
        "workshop": workshop,
        "form": form,
        "voted_all": bool(questions) and len(current) == len(questions),
        "now": now_showing(workshop, shape) if workshop.stage == Stage.REVEALED else None,
        "announce": announcement(workshop),
        "etag": etag("room", workshop.pk, workshop.step),
    }


def _room_page(request, workshop, holder, form=None) -> HttpResponse:
    context = _room_context(workshop, holder, form)
    return form_page(request, "workshops/room.jinja", context, *([form] if form else []))


@require_safe
def room_live(request: HttpRequest, code: str) -> HttpResponse:
    """The changing part of a phone's page, for app.js: 304 from one row while nothing the
    phones show has changed (a vote elsewhere in the room changes nothing here)."""
    found = room_etag(code)
    if found is None:
        raise Http404("No workshop with this code")
    tag, workshop_id = found
    if (reply := unchanged(request, tag)) is not None:
        return reply  # answered earlier by middleware.answer_unchanged_polls, as a rule
    workshop = Workshop.objects.select_related(
        "round__partnership", "round__instrument", "section", "question"
    ).get(pk=workshop_id)
    holder = seats.seat_for(request, workshop)
    if workshop.stage == Stage.ENDED or holder is None:
        reply = render(
            request, "workshops/_room_gone.jinja", {"workshop": workshop, "holder": holder}
        )
    else:
        reply = render(request, "workshops/_room_live.jinja", _room_context(workshop, holder))
    return live_reply(reply, tag)


@require_POST
def vote(request: HttpRequest, code: str) -> HttpResponse:
    workshop, holder = _seated(request, code)
    if holder is None:
        return redirect("workshops:seat", workshop.code)
    shape = shapes({workshop.round.instrument_id})[workshop.round.instrument_id]
    questions = workshop.open_questions()
    if not questions:
        return redirect("workshops:room", workshop.code)
    form = VoteForm(
        request.POST,
        questions=questions,
        options=shape.options,
        partnership=workshop.round.partnership,
        current={},
    )
    if not form.is_valid():
        return _room_page(request, workshop, holder, form)
    try:
        result = live.vote(holder, form.answers())
    except live.NotNow:
        return redirect("workshops:room", workshop.code)  # the page says what is on now
    if result.kept:
        messages.info(request, "The answers were already shown, so your vote stays as it was.")
    return redirect("workshops:room", workshop.code)
