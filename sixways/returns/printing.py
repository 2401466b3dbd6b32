"""A round's questionnaire on paper: a blank form to print and hand out where people cannot
answer online, whose returns a facilitator keys in or imports later.

Built from the round's instrument version, so it asks exactly what the online questions ask,
word for word, and carries the round's batch code on every page, so a form that strays into
another round is caught when it is entered.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from sixways.instruments.models import Question
from sixways.instruments.shape import shape
from sixways.partnerships.models import Partnership
from sixways.results.pdf import render_pdf
from sixways.rounds.forms import ics_hint
from sixways.rounds.manage import round_for
from sixways.rounds.models import Mode

from .batch import batch_code


def _hint(question: Question, partnership: Partnership) -> str:
    """The hint the online question gives (rounds.forms.answer_field), so paper and screen
    tell people the same."""
    return " ".join(filter(None, [question.hint, ics_hint(question, partnership)]))


@require_safe
@login_required
def questionnaire(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = round_for(request, round_id, change=False)
    if round_.mode == Mode.COLLECTIVE:
        # A collective round records one agreed answer for the partnership: nobody fills in
        # a form of their own.
        raise Http404("A collective round has no paper questionnaire")
    found = shape(round_.instrument)
    context = {
        "round": round_,
        "batch_code": batch_code(round_),
        "options": found.options,
        "behaviours": [(section, found.questions_in(section)) for section in found.sections],
        "question_count": len(found.questions),
        "hints": {q.pk: _hint(q, round_.partnership) for q in found.questions},
        "organisations": round_.organisations.order_by("name"),
    }
    content = render_pdf("returns/questionnaire.jinja", context, request)
    # Named as the results downloads are, so the files of one round sort together.
    name = slugify(f"{round_.partnership.name} {round_.title}") or "round"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}-questionnaire.pdf"'
    return response
