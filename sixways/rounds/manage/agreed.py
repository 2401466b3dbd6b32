"""A collective round's agreed answers, entered by a facilitator one behaviour at a time, with
a record of who took part, and then marked as agreed.

Every save carries the version the page was shown with: if another facilitator saved since,
nothing is saved and the differences are listed (`save_agreed`).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.design.text import TypedText
from sixways.instruments.shape import shapes

from ..agreed import Conflict, agreed_response, save_agreed
from ..answering import RoundClosed
from ..forms import AgreedForm, comment_field_name, question_field_name
from ..models import Invitation, Response, Round, Status
from . import round_for, wrong_status


def _agreed_round(request: HttpRequest, round_id: int) -> Round | HttpResponse:
    round_ = round_for(request, round_id, change=True)
    if round_.current_status != Status.OPEN:
        return wrong_status(
            request, round_, "Agreed answers can only be recorded while the round is open."
        )
    return round_


def _existing(round_: Round) -> Response | None:
    """The agreed response if there is one yet: made on the first save, so that opening a page
    changes nothing."""
    return Response.objects.filter(
        round=round_, invitation__kind=Invitation.Kind.COLLECTIVE
    ).first()


@login_required
@require_http_methods(["GET", "POST"])
def agreed(request: HttpRequest, round_id: int) -> HttpResponse:
    """Where the agreed answers stand, behaviour by behaviour, who took part, and marking
    them as agreed once every question has an answer."""
    round_ = _agreed_round(request, round_id)
    if isinstance(round_, HttpResponse):
        return round_
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    response = _existing(round_)
    answered = set(response.answers.values_list("question_id", flat=True)) if response else set()
    errors = []
    if request.method == "POST":
        response = response or agreed_response(round_)
        try:
            missing = save_agreed(response, _version(request), {}, {}, agree=True)
        except RoundClosed:
            return render(request, "rounds/closed.jinja", {"round": round_}, status=409)
        except Conflict:
            messages.info(request, "Someone else saved the answers just now: check them first.")
            return redirect("rounds:agreed", round_.pk)
        if not missing:
            audit.record(request, "agreed.agreed", round_.partnership, round_)
            messages.success(
                request, "The agreed answers are marked as agreed. They count in the results."
            )
            return redirect("rounds:detail", round_.pk)
        errors = [
            {
                "text": f"Answer question {q.key} before marking the answers as agreed",
                "href": reverse("rounds:agreed-behaviour", args=[round_.pk, _number(shape, q)])
                + f"#{question_field_name(q)}",
            }
            for q in missing
        ]
    behaviours = [
        {
            "number": number,
            "section": section,
            "answered": sum(1 for q in shape.questions_in(section) if q.pk in answered),
            "questions": len(shape.questions_in(section)),
        }
        for number, section in enumerate(shape.sections, start=1)
    ]
    return render(
        request,
        "rounds/manage/agreed.jinja",
        {
            "round": round_,
            "response": response,
            "behaviours": behaviours,
            "complete": len(answered) == len(shape.questions),
            "represented": round_.represented.all(),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def _version(request: HttpRequest) -> int:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else -1  # an unknown version is always a conflict


def _number(shape, question) -> int:
    return next(i for i, s in enumerate(shape.sections, start=1) if s.pk == question.section_id)


@login_required
@require_http_methods(["GET", "POST"])
def agreed_behaviour(request: HttpRequest, round_id: int, number: int) -> HttpResponse:
    """One behaviour's agreed answers and comments. "Save and continue" goes on to the next."""
    round_ = _agreed_round(request, round_id)
    if isinstance(round_, HttpResponse):
        return round_
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    if not 1 <= number <= len(shape.sections):
        raise Http404("No such behaviour")
    section = shape.sections[number - 1]
    questions = shape.questions_in(section)
    response = agreed_response(round_) if request.method == "POST" else _existing(round_)
    initial = _saved_values(response, [section], questions)
    data = request.POST.copy() if request.method == "POST" else None

    def form_for(values):
        return AgreedForm(
            [section],
            questions,
            shape.options,
            values,
            initial=initial,
            partnership=round_.partnership,
        )

    form = form_for(data)
    errors, status = [], 200
    if request.method == "POST" and form.is_valid():
        try:
            save_agreed(
                response,
                form.cleaned_data["version"],
                form.answers(),
                form.comments(),
                agree=False,
            )
        except RoundClosed:
            return render(request, "rounds/closed.jinja", {"round": round_}, status=409)
        except Conflict as conflict:
            errors = _conflicts(form, _saved_values(conflict.current, [section], questions))
            # The next save is a deliberate choice made with the differences in view.
            data["version"] = conflict.current.version
            form = form_for(data)
            form.is_valid()
            status = 409
        else:
            audit.record(request, "agreed.saved", round_.partnership, round_, detail=section.title)
            if request.POST.get("action") == "continue" and number < len(shape.sections):
                return redirect("rounds:agreed-behaviour", round_.pk, number + 1)
            messages.success(request, f"The agreed answers for ‘{section.title}’ are saved.")
            return redirect("rounds:agreed", round_.pk)
    elif request.method == "POST":
        status = 400
    return form_page(
        request,
        "rounds/manage/agreed_behaviour.jinja",
        {
            "round": round_,
            "form": form,
            "response": response,
            "section": section,
            "number": number,
            "count": len(shape.sections),
            "errors": errors,
        },
        form,
        status=status,
    )


class TookPartForm(forms.Form):
    represented = forms.ModelMultipleChoiceField(
        queryset=None,
        label="Which partner organisations took part?",
        help_text="Those whose people were there when the answers were agreed.",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select partner organisations from the list"},
    )
    note = forms.CharField(
        label="Who was there (optional)",
        help_text="Roles rather than names, for example ‘Director of adult social care’.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=500,
        validators=[TypedText("The note")],
        error_messages={"max_length": "The note must be 500 characters or fewer"},
    )

    def __init__(self, *args, organisations, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["represented"].queryset = organisations


@login_required
@require_http_methods(["GET", "POST"])
def took_part(request: HttpRequest, round_id: int) -> HttpResponse:
    """The record of who agreed the answers: the partners represented, and a note."""
    round_ = _agreed_round(request, round_id)
    if isinstance(round_, HttpResponse):
        return round_
    form = TookPartForm(
        request.POST if request.method == "POST" else None,
        organisations=round_.organisations.all(),
        initial={"represented": round_.represented.all(), "note": round_.represented_note},
    )
    if request.method == "POST" and form.is_valid():
        round_.represented.set(form.cleaned_data["represented"])
        round_.represented_note = form.cleaned_data["note"].strip()
        round_.save(update_fields=["represented_note"])
        audit.record(
            request,
            "agreed.took-part",
            round_.partnership,
            round_,
            detail=f"{len(form.cleaned_data['represented'])} partner organisations",
        )
        messages.success(request, "Who took part is saved.")
        return redirect("rounds:agreed", round_.pk)
    return form_page(
        request, "rounds/manage/took_part.jinja", {"round": round_, "form": form}, form
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
