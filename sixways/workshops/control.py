"""The facilitator's side of a workshop: start it, open questions, show the answers, record
what the room agrees, and end it; and the shared screen for the projector.

Rounds are reached through `rounds.manage.round_for`, with `change=True` for anything that
changes something, so another partnership's people get 404 and observers only watch the
screen. Every change is a POST that redirects back to the control page (no JavaScript needed).
"""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sixways.actions.review import open_actions
from sixways.core import audit
from sixways.design.forms import form_page
from sixways.instruments.shape import shapes
from sixways.rounds.agreed import Conflict
from sixways.rounds.answering import RoundClosed
from sixways.rounds.manage import round_for
from sixways.rounds.models import Invitation, Mode, Response, Round

from . import live
from .forms import CommentForm, StartForm
from .models import Item, Workshop
from .showing import announcement, etag, live_reply, now_showing, unchanged

Stage = Workshop.Stage


def _running(round_: Round) -> Workshop:
    workshop = live.running(round_)
    if workshop is None:
        raise Http404("No workshop is running for this round")
    return workshop


def join_address() -> str:
    return settings.SITE_URL + reverse("workshops:join")


def _agreed(round_: Round):
    """The agreed response's answers (question id → option key), comments (section id → text)
    and version, without making it: opening a page changes nothing."""
    response = Response.objects.filter(
        round=round_, invitation__kind=Invitation.Kind.COLLECTIVE
    ).first()
    if response is None:
        return {}, {}, 0
    answers = dict(response.answers.values_list("question_id", "option__key"))
    comments = dict(response.comments.values_list("section_id", "text"))
    return answers, comments, response.version


@login_required
@require_http_methods(["GET", "POST"])
def control(request: HttpRequest, round_id: int) -> HttpResponse:
    """Start a workshop, or run the one that is running."""
    round_ = round_for(request, round_id, change=True)
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    workshop = live.running(round_)
    problem = live.may_run(round_)
    if workshop is None:
        form = StartForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and problem is None and form.is_valid():
            try:
                workshop = live.start(
                    round_,
                    request.user,
                    form.cleaned_data["pace"],
                    open_actions=open_actions(round_.partnership_id).exists(),
                )
            except live.NotNow as error:
                messages.info(request, str(error))
            else:
                audit.record(
                    request, "workshop.started", round_.partnership, round_, detail=workshop.code
                )
            return redirect("workshops:control", round_.pk)
        return form_page(
            request,
            "workshops/start.jinja",
            {
                "round": round_,
                "form": form,
                "problem": problem,
                "past": round_.workshops.filter(stage=Stage.ENDED),
            },
            form,
        )
    return _control_page(request, round_, workshop, shape)


def _control_page(request, round_, workshop, shape, *, errors=None, status=None, forms_=()):
    context = _control_context(round_, workshop, shape, forms_)
    context["errors"] = errors or []
    return form_page(request, "workshops/control.jinja", context, *forms_, status=status)


def _control_context(round_, workshop, shape, forms_=()) -> dict:
    answers, comments, version = _agreed(round_)
    items = {i.question_id: i for i in Item.objects.filter(workshop=workshop)}
    sections = [
        {
            "section": s,
            "questions": shape.questions_in(s),
            "comment": comments.get(s.pk, ""),
            "form": next((f for f in forms_ if f.section == s), None)
            or CommentForm(initial={"version": version, "text": comments.get(s.pk, "")}, section=s),
        }
        for s in shape.sections
    ]
    next_up = next(
        (q for q in shape.questions if q.pk not in answers),
        None,
    )
    return {
        "round": round_,
        "workshop": workshop,
        "join_address": join_address(),
        "sections": sections,
        "options": shape.options,
        "answers": answers,
        "version": version,
        "items": items,
        "next_up": next_up,
        "now": now_showing(workshop, shape),
        "min_group_size": settings.MIN_GROUP_SIZE,
        "open_actions": list(open_actions(round_.partnership_id))
        if workshop.stage == Stage.OPEN_ACTIONS
        else [],
        "announce": announcement(workshop),
        "etag": etag("control", workshop.pk, workshop.version),
    }


def _live_row(request: HttpRequest, round_id: int, *, change: bool):
    """(workshop id, version) of the round's running workshop, checked through the same
    scoping as the pages; 404 when none is running."""
    round_ = round_for(request, round_id, change=change)
    row = (
        Workshop.objects.filter(round=round_)
        .exclude(stage=Stage.ENDED)
        .values_list("pk", "version")
        .first()
    )
    if row is None:
        raise Http404("No workshop is running for this round")
    return round_, row


@login_required
@require_safe
def control_live(request: HttpRequest, round_id: int) -> HttpResponse:
    """What is open now on the control page, for app.js: 304 while nothing changed."""
    round_, row = _live_row(request, round_id, change=True)
    tag = etag("control", *row)
    if (reply := unchanged(request, tag)) is not None:
        return reply
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    context = _control_context(round_, _running(round_), shape)
    return live_reply(render(request, "workshops/_control_live.jinja", context), tag)


def _change(request: HttpRequest, round_id: int):
    round_ = round_for(request, round_id, change=True)
    workshop = _running(round_)
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    return round_, workshop, shape


def _showing_now(round_: Round) -> HttpResponse:
    """Back to the control page, at what is open now."""
    return redirect(f"{reverse('workshops:control', args=[round_.pk])}#now-showing")


def _refused(request, round_, workshop, shape, message: str, status: int = 409):
    """The control page again, with why the button did nothing in the error summary."""
    return _control_page(
        request,
        round_,
        workshop,
        shape,
        errors=[{"text": message, "href": "#now-showing"}],
        status=status,
    )


@login_required
@require_POST
def to_questions(request: HttpRequest, round_id: int) -> HttpResponse:
    round_, workshop, _ = _change(request, round_id)
    live.to_questions(workshop)
    return redirect("workshops:control", round_.pk)


@login_required
@require_POST
def open_item(request: HttpRequest, round_id: int) -> HttpResponse:
    """Open a question (question-by-question pace) or a behaviour (a behaviour at a time)."""
    round_, workshop, shape = _change(request, round_id)
    key = request.POST.get("item", "")
    if workshop.pace == Workshop.Pace.QUESTION:
        question = next((q for q in shape.questions if q.key == key), None)
        if question is None:
            raise Http404("No such question")
        section = next(s for s in shape.sections if s.pk == question.section_id)
    else:
        section = next((s for s in shape.sections if s.key == key), None)
        if section is None:
            raise Http404("No such behaviour")
        question = None
    try:
        live.open_item(workshop, section, question)
    except live.NotNow as error:
        return _refused(request, round_, workshop, shape, str(error))
    return _showing_now(round_)


@login_required
@require_POST
def reveal(request: HttpRequest, round_id: int) -> HttpResponse:
    round_, workshop, shape = _change(request, round_id)
    try:
        live.reveal(workshop)
    except live.NotNow as error:
        return _refused(request, round_, workshop, shape, str(error))
    return _showing_now(round_)


@login_required
@require_POST
def agree(request: HttpRequest, round_id: int) -> HttpResponse:
    """One press on an answer records it as what the room agreed for that question."""
    round_, workshop, shape = _change(request, round_id)
    question = next((q for q in shape.questions if q.key == request.POST.get("question")), None)
    option = next((o for o in shape.options if o.key == request.POST.get("option")), None)
    version = request.POST.get("version", "")
    if question is None or option is None or not version.isdigit():
        raise Http404("No such question or answer")
    try:
        live.agree(workshop, question, option, int(version))
    except Conflict:
        return _refused(
            request,
            round_,
            workshop,
            shape,
            "Someone else changed the agreed answers since this page was shown, so nothing "
            "was saved. The page now shows the answers as they are: press the answer again "
            "if it is still right.",
        )
    except (RoundClosed, live.NotNow):
        return _refused(request, round_, workshop, shape, "The round has closed.")
    messages.success(request, f"Agreed for {question.key}: {option.label}.")
    return _showing_now(round_)


@login_required
@require_POST
def comment(request: HttpRequest, round_id: int, behaviour: str) -> HttpResponse:
    round_, workshop, shape = _change(request, round_id)
    section = next((s for s in shape.sections if s.key == behaviour), None)
    if section is None:
        raise Http404("No such behaviour")
    form = CommentForm(request.POST, section=section)
    form.section = section
    if not form.is_valid():
        return _control_page(request, round_, workshop, shape, forms_=[form])
    try:
        live.comment(workshop, section, form.cleaned_data["text"], form.cleaned_data["version"])
    except Conflict:
        return _refused(
            request,
            round_,
            workshop,
            shape,
            "Someone else changed the agreed answers since this page was shown, so the "
            "comment was not saved. Copy it, and save it again below.",
        )
    except (RoundClosed, live.NotNow):
        return _refused(request, round_, workshop, shape, "The round has closed.")
    messages.success(request, f"The comment on behaviour {section.key} is saved.")
    return redirect("workshops:control", round_.pk)


@login_required
@require_http_methods(["GET", "POST"])
def end(request: HttpRequest, round_id: int) -> HttpResponse:
    round_, workshop, shape = _change(request, round_id)
    if request.method == "GET":
        answers, _, _ = _agreed(round_)
        return render(
            request,
            "workshops/end.jinja",
            {
                "round": round_,
                "workshop": workshop,
                "unagreed": [q for q in shape.questions if q.pk not in answers],
                "seated": live.seated(workshop),
                "total": len(shape.questions),
            },
        )
    try:
        missing = live.end(workshop)
    except RoundClosed:
        missing = None
    audit.record(request, "workshop.ended", round_.partnership, round_, detail=workshop.code)
    if missing is None:
        messages.info(
            request,
            "The workshop has ended. The round had closed, so its agreed answers stay as they were.",
        )
    elif round_.mode == Mode.INDIVIDUAL:
        messages.info(
            request,
            "The workshop has ended. Everyone's votes are in their own answers, to finish and "
            "send through their link before the round closes: only sent answers count."
            + (
                f" {len(missing)} of {len(shape.questions)} questions have no agreed answer: "
                "you can record them here."
                if missing and len(missing) < len(shape.questions)
                else ""
            ),
        )
        if len(missing) == len(shape.questions):  # nothing agreed: nothing to record
            return redirect("rounds:detail", round_.pk)
    elif missing:
        messages.info(
            request,
            f"The workshop has ended. {len(missing)} of {len(shape.questions)} questions have "
            "no agreed answer yet: record them on the agreed answers page, then mark the "
            "answers as agreed.",
        )
    else:
        messages.success(request, "The workshop has ended, and the agreed answers are recorded.")
    return redirect("rounds:agreed", round_.pk)


def _screen_context(round_: Round, workshop: Workshop) -> dict:
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    answers, _, _ = _agreed(round_)
    address = join_address()
    return {
        "round": round_,
        "workshop": workshop,
        "join_address": address,
        "qr": segno.make(f"{address}?code={workshop.code}", error="m").svg_data_uri(
            scale=8, border=4
        ),
        "now": now_showing(workshop, shape),
        "answers": answers,
        "options": {o.key: o for o in shape.options},
        "open_actions": list(open_actions(round_.partnership_id))
        if workshop.stage == Stage.OPEN_ACTIONS
        else [],
        "announce": announcement(workshop),
        "etag": etag("screen", workshop.pk, workshop.version),
    }


@login_required
@require_safe
def screen(request: HttpRequest, round_id: int) -> HttpResponse:
    """The shared screen for the projector: how to join, and the question or the answers.
    Observers may show it too; it never shows who has or has not voted."""
    round_ = round_for(request, round_id, change=False)
    return render(request, "workshops/screen.jinja", _screen_context(round_, _running(round_)))


@login_required
@require_safe
def screen_live(request: HttpRequest, round_id: int) -> HttpResponse:
    """The screen's changing part, for app.js: 304 while nothing changed."""
    round_, row = _live_row(request, round_id, change=False)
    tag = etag("screen", *row)
    if (reply := unchanged(request, tag)) is not None:
        return reply
    context = _screen_context(round_, _running(round_))
    return live_reply(render(request, "workshops/_screen_live.jinja", context), tag)
