"""A collective round's agreed answers, entered by a facilitator."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.instruments.models import Option, Question, Section

from ..agreed import Conflict, agreed_response, save_agreed
from ..answering import RoundClosed
from ..forms import (
    AgreedForm,
    comment_field_name,
    question_field_name,
)
from ..models import Invitation, Mode, Response, Status
from . import round_for, wrong_status


@login_required
@require_http_methods(["GET", "POST"])
def agreed(request: HttpRequest, round_id: int) -> HttpResponse:
    """A collective round's agreed answers, entered by a facilitator. If another facilitator
    saved since this page was shown, nothing is saved and the differences are listed."""
    round_ = round_for(request, round_id, change=True)
    if round_.mode != Mode.COLLECTIVE:
        return wrong_status(request, round_, "Only a collective round has agreed answers.")
    if round_.current_status != Status.OPEN:
        return wrong_status(
            request, round_, "Agreed answers can only be recorded while the round is open."
        )
    sections = list(Section.objects.filter(instrument_id=round_.instrument_id))
    questions = list(Question.objects.filter(instrument_id=round_.instrument_id))
    options = list(Option.objects.filter(instrument_id=round_.instrument_id))
    # Made on the first save, so that opening the page changes nothing.
    response = (
        agreed_response(round_)
        if request.method == "POST"
        else Response.objects.filter(
            round=round_, invitation__kind=Invitation.Kind.COLLECTIVE
        ).first()
    )
    initial = _saved_values(response, sections, questions)
    errors: list[dict] = []
    status = 200
    data = request.POST.copy() if request.method == "POST" else None
    form = AgreedForm(
        sections, questions, options, data, initial=initial, partnership=round_.partnership
    )
    if request.method == "POST" and form.is_valid():
        agree = request.POST.get("action") == "agree"
        was_agreed = response.submitted
        try:
            missing = save_agreed(
                response, form.cleaned_data["version"], form.answers(), form.comments(), agree=agree
            )
        except RoundClosed:
            return render(request, "rounds/closed.jinja", {"round": round_}, status=409)
        except Conflict as conflict:
            errors = _conflicts(form, _saved_values(conflict.current, sections, questions))
            # The next save is a deliberate choice made with the differences in view.
            data["version"] = conflict.current.version
            form = AgreedForm(
                sections, questions, options, data, initial=initial, partnership=round_.partnership
            )
            form.is_valid()
            status = 409
        else:
            # Saved, even when some answers are missing: what was sent is kept as a draft.
            audit.record(
                request,
                "agreed.agreed" if response.submitted and not was_agreed else "agreed.saved",
                round_.partnership,
                round_,
            )
            if not missing:
                messages.success(
                    request,
                    "The agreed answers have been saved."
                    + (" They count in the results." if response.submitted else ""),
                )
                return redirect("rounds:detail", round_.pk)
            errors = [
                {
                    "text": f"Answer question {q.key} before marking the answers as agreed",
                    "href": f"#{question_field_name(q)}",
                }
                for q in missing
            ]
            data["version"] = response.version
            form = AgreedForm(
                sections, questions, options, data, initial=initial, partnership=round_.partnership
            )
            form.is_valid()
            status = 400
    elif request.method == "POST":
        status = 400
    return form_page(
        request,
        "rounds/manage/agreed.jinja",
        {"round": round_, "form": form, "response": response, "errors": errors},
        form,
        status=status,
    )


def _saved_values(response: Response | None, sections, questions) -> dict:
    values = {"version": response.version if response else 0}
    if response is None:
        return values
    answers = {a.question_id: a.option.key for a in response.answers.select_related("option")}
    comments = {c.section_id: c.text for c in response.comments.all()}
    for question in questions:
        values[question_field_name(question)] = answers.get(question.pk)
    for section in sections:
        values[comment_field_name(section)] = comments.get(section.pk, "")
    return values


def _conflicts(form: AgreedForm, saved: dict) -> list[dict]:
    """What someone else saved that differs from what this facilitator sent."""
    labels = {key: option.label for key, option in form.options_by_key.items()}
    entries = [
        {
            "text": "Someone else saved these answers while you were editing them, so yours "
            "have not been saved. Check the differences, then save again to keep your answers",
            "href": "#maincontent",
        }
    ]
    for question in form.questions:
        name = question_field_name(question)
        theirs, yours = saved.get(name), form.cleaned_data.get(name) or None
        if theirs != yours:
            entries.append(
                {
                    "text": f"Question {question.key}: the saved answer is now "
                    f"‘{labels.get(theirs, 'no answer')}’; you chose "
                    f"‘{labels.get(yours, 'no answer')}’",
                    "href": f"#{name}",
                }
            )
    for section in form.sections:
        name = comment_field_name(section)
        if (saved.get(name) or "").strip() != (form.cleaned_data.get(name) or "").strip():
            entries.append(
                {
                    "text": f"The comments on ‘{section.short_title}’ were changed by someone else",
                    "href": f"#{name}",
                }
            )
    return entries
