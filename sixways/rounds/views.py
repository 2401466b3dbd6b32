"""The participant journey: start page, one page per behaviour, check answers, sent.

A link's token is used only on the start page. Pressing the start button swaps it for a
signed cookie naming the response (participant.py), so the token does not linger in later
URLs or Referer headers, and simply opening a link (as mail scanners do) changes nothing.
"""

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from sixways.design.forms import form_page
from sixways.instruments.shape import shape
from sixways.workshops.live import running as running_workshop

from . import participant
from .answering import (
    AlreadySubmitted,
    AnsweredOnPaper,
    Incomplete,
    RoundClosed,
    save_section,
    submit,
)
from .forms import SectionForm
from .models import Comment, Invitation, Mode, Response, Status


def _link_not_valid(request: HttpRequest) -> HttpResponse:
    # Wrong, unknown and not-yet-open links all get this same answer.
    return render(request, "rounds/link_not_valid.jinja", status=404)


def _round_closed(request: HttpRequest, round_, status: int = 200) -> HttpResponse:
    return render(request, "rounds/closed.jinja", {"round": round_}, status=status)


def _current_response(request: HttpRequest) -> Response | None:
    response_id = participant.response_id(request)
    if response_id is None:
        return None
    try:
        return Response.objects.select_related("round__instrument", "round__partnership").get(
            pk=response_id
        )
    except Response.DoesNotExist:  # erased since
        return None


def _first_unanswered_url(response: Response) -> str:
    answered = set(response.answers.values_list("question_id", flat=True))
    for question in shape(response.round.instrument).questions:
        if question.pk not in answered:
            return reverse("rounds:section", args=[question.section.position])
    return reverse("rounds:check")


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.from_token(token)
    if (
        invitation is None
        or invitation.round.status == Status.DRAFT
        or invitation.kind
        in (Invitation.Kind.COLLECTIVE, Invitation.Kind.WORKSHOP, Invitation.Kind.PAPER)
    ):
        return _link_not_valid(request)
    round_ = invitation.round
    if round_.is_closed:
        return _round_closed(request, round_)
    if invitation.kind == Invitation.Kind.SHARED:
        return _start_shared(request, invitation)
    response = Response.objects.filter(invitation=invitation).first()

    if request.method == "POST":
        if response is None:
            try:
                with transaction.atomic():
                    response = Response.objects.create(
                        round=round_,
                        invitation=invitation,
                        organisation_id=invitation.organisation_id,
                    )
            except IntegrityError:
                # A double press: the first one created it.
                response = Response.objects.get(invitation=invitation)
        return _begin(request, response)

    return _start_page(request, invitation, response, token)


def _start_page(
    request: HttpRequest, invitation: Invitation, response, token: str = ""
) -> HttpResponse:
    round_ = invitation.round
    # Someone with their own link in a round where people answer for themselves may join a
    # workshop running in it, so that their votes become their answers.
    workshop = None
    if round_.mode == Mode.INDIVIDUAL and invitation.kind == Invitation.Kind.PERSONAL:
        workshop = running_workshop(round_)
    return render(
        request,
        "rounds/start.jinja",
        {
            "round": round_,
            "invitation": invitation,
            "response": response,
            "shared": invitation.kind == Invitation.Kind.SHARED,
            "sections": shape(round_.instrument).sections,
            "workshop": workshop,
            "token": token,
        },
    )


def _begin(request: HttpRequest, response: Response, started_at: int | None = None) -> HttpResponse:
    """Swap the link for a cookie naming this one response, and go to where it stands."""
    if response.submitted:
        reply = redirect("rounds:sent")
    else:
        reply = redirect(_first_unanswered_url(response))
    participant.give(reply, response.pk, started_at=started_at)
    return reply


def _start_shared(request: HttpRequest, shared: Invitation) -> HttpResponse:
    """An organisation's shareable link: each person who presses start gets a new personal
    link and response of their own, named in their cookie. Opening the link makes nothing."""
    mine = _current_response(request)
    if mine is not None and mine.invitation.shared_from_id != shared.pk:
        mine = None
    if request.method == "POST":
        if mine is None:
            with transaction.atomic():
                personal, _ = Invitation.issue(
                    shared.round, shared.organisation, shared_from=shared
                )
                mine = Response.objects.create(
                    round=shared.round, invitation=personal, organisation=shared.organisation
                )
            return _begin(request, mine)
        # Anyone can open a shared link, so pressing start on it again must not renew the
        # cookie's cap: the cookie alone is the key here, not the link.
        return _begin(request, mine, started_at=participant.started_at(request))
    return _start_page(request, shared, mine)


def _participant_view(view):
    """Find the response the cookie names, or explain that the link must be opened again."""

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = _current_response(request)
        if response is None:
            return render(request, "rounds/session_ended.jinja", status=403)
        return view(request, response, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_http_methods(["GET", "POST"])
@_participant_view
def section(request: HttpRequest, response: Response, number: int) -> HttpResponse:
    if response.submitted:
        return redirect("rounds:sent")
    parts = shape(response.round.instrument)
    sections = parts.sections
    if not 1 <= number <= len(sections):
        raise Http404
    this = sections[number - 1]
    # Came by "Change" on the check page: saving goes back there, as the NHS check answers
    # pattern has it. The marker is a flag, never an address, so it cannot send anyone away.
    changing = request.GET.get("change") == "1"
    questions = parts.questions_in(this)
    options = parts.options
    saved = {
        question_id: parts.options_by_id[option_id].key
        for question_id, option_id in response.answers.values_list("question_id", "option_id")
    }
    initial = {f"q{q.key.replace('.', '_')}": saved.get(q.pk) for q in questions}
    if request.method == "GET":
        # A posted form shows what was posted; only a fresh page shows the saved comment.
        comment = Comment.objects.filter(response=response, section=this).first()
        initial["comment"] = comment.text if comment else ""

    form = SectionForm(
        this,
        questions,
        options,
        request.POST or None,
        initial=initial,
        partnership=response.round.partnership,
    )
    if request.method == "POST" and form.is_valid():
        try:
            save_section(response, this, form.answers(), form.cleaned_data["comment"])
        except RoundClosed:
            return _round_closed(request, response.round, status=409)
        except AlreadySubmitted:
            return redirect("rounds:sent")
        if request.POST.get("action") == "save":
            return render(request, "rounds/saved.jinja", {"response": response})
        missing = form.missing(set(saved))
        if not missing:
            if number < len(sections) and not changing:
                return redirect("rounds:section", number + 1)
            return redirect("rounds:check")
        # What was given is saved; ask for the rest before moving on.
        form.require(missing)

    return form_page(
        request,
        "rounds/section.jinja",
        {
            "response": response,
            "section": this,
            "number": number,
            "count": len(sections),
            "changing": changing,
            "form": form,
        },
        form,
    )


def _summary(response: Response) -> list[dict]:
    """Each behaviour with its questions, the answer given (or None) and the comment."""
    parts = shape(response.round.instrument)
    answers = {
        question_id: parts.options_by_id[option_id].label
        for question_id, option_id in response.answers.values_list("question_id", "option_id")
    }
    comments = dict(response.comments.values_list("section_id", "text"))
    questions = parts.questions
    summary = []
    for section_ in parts.sections:
        summary.append(
            {
                "section": section_,
                "comment": comments.get(section_.pk, ""),
                "questions": [
                    {"question": q, "answer": answers.get(q.pk)}
                    for q in questions
                    if q.section_id == section_.pk
                ],
            }
        )
    return summary


@require_http_methods(["GET", "POST"])
@_participant_view
def check(request: HttpRequest, response: Response) -> HttpResponse:
    if response.submitted:
        return redirect("rounds:sent")
    errors = []
    if request.method == "POST":
        try:
            submit(response)
        except AlreadySubmitted:
            pass  # A repeated press: it was sent the first time.
        except RoundClosed:
            return _round_closed(request, response.round, status=409)
        except AnsweredOnPaper:
            errors = [
                {
                    "text": "Your organisation's response has already been brought in from a "
                    "paper form, and each organisation sends one. Ask the round's facilitator "
                    "if this is wrong",
                    "href": "#maincontent",
                }
            ]
        except Incomplete as incomplete:
            errors = [
                {
                    "text": f"Answer question {q.key} before you send your answers",
                    "href": reverse("rounds:section", args=[q.section.position])
                    + f"#q{q.key.replace('.', '_')}",
                }
                for q in incomplete.missing
            ]
        if not errors:
            return redirect("rounds:sent")
    return render(
        request,
        "rounds/check.jinja",
        {"response": response, "summary": _summary(response), "errors": errors},
        status=400 if errors else 200,
    )


@_participant_view
def sent(request: HttpRequest, response: Response) -> HttpResponse:
    """That the answers were sent, and when: never the answers or comments. A link can be
    forwarded or sit in a shared inbox, and whoever opens it after sending must learn nothing
    of what was said (the check page before sending is the last to show them)."""
    if not response.submitted:
        return redirect("rounds:check")
    return render(request, "rounds/sent.jinja", {"response": response})
