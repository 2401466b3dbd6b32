"""Results pages and downloads. Every one fetches the round through Round.objects.for_user, so
someone from another partnership gets 404, and reads one RoundResults, so every page and file
shows the same figures and hides the same groups."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from sixways.actions import review
from sixways.partnerships.models import Partnership, Role
from sixways.partnerships.roles import viewer_for
from sixways.rounds.models import Round

from . import benchmark, downloads, exports, slides
from .comments import COMMENTS_PER_PAGE, comment_page
from .layers import organisation_layers, round_layers, wording
from .presenters import key_points, rollup_chart, round_charts, trend_charts
from .queries import round_results
from .rollup import rollup
from .trend import partnership_trend

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(request: HttpRequest, round_id: int) -> Round:
    return get_object_or_404(
        Round.objects.for_user(request.user).select_related("partnership", "instrument"),
        pk=round_id,
    )


def _results(request: HttpRequest, round_id: int):
    round_ = _round(request, round_id)
    return round_, round_results(round_, viewer_for(request.user, round_.partnership_id))


@require_safe
@login_required
def round_overview(request: HttpRequest, round_id: int) -> HttpResponse:
    round_, results = _results(request, round_id)
    return render(
        request,
        "results/round.jinja",
        {
            "round": round_,
            "results": results,
            "charts": round_charts(results),
            "key_points": key_points(results),
            "layers": round_layers(round_) if results.shows_figures else None,
        },
    )


@require_safe
@login_required
def layers(request: HttpRequest, round_id: int) -> HttpResponse:
    """The agreed answers beside people's own, question by question, those that hide dissent
    first: for a round with both layers (a workshop, or agreed answers recorded in an
    individual round)."""
    round_, results = _results(request, round_id)
    found = round_layers(round_) if results.shows_figures else None
    if found is None:
        raise Http404("This round has one layer of answers")
    return render(
        request,
        "results/layers.jinja",
        {
            "round": round_,
            "results": results,
            "layers": found,
            "by_organisation": organisation_layers(round_, results),
            **wording(results.options),
        },
    )


@require_safe
@login_required
def organisations(request: HttpRequest, round_id: int) -> HttpResponse:
    round_, results = _results(request, round_id)
    return render(
        request,
        "results/organisations.jinja",
        {"round": round_, "results": results, "charts": round_charts(results)},
    )


@require_safe
@login_required
def behaviour(request: HttpRequest, round_id: int, behaviour: str) -> HttpResponse:
    """One behaviour in detail: each question's answers, sectors and the first comments, with
    the previous and next behaviour a click away."""
    round_, results = _results(request, round_id)
    keys = [b.section.key for b in results.behaviours]
    if not results.shows_figures or behaviour not in keys:
        raise Http404("No such behaviour, or no figures shown for this round")
    index = keys.index(behaviour)
    return render(
        request,
        "results/behaviour.jinja",
        {
            "round": round_,
            "results": results,
            "b": results.behaviours[index],
            "previous": results.behaviours[index - 1] if index else None,
            "next": results.behaviours[index + 1] if index + 1 < len(keys) else None,
            "charts": round_charts(results),
            "earlier_actions": review.agreed_at(results.previous.pk if results.previous else None),
        },
    )


@require_safe
@login_required
def comments(request: HttpRequest, round_id: int, behaviour: str) -> HttpResponse:
    """A behaviour's comments a page at a time: the overview shows only the first few."""
    round_, results = _results(request, round_id)
    b = next((b for b in results.behaviours if b.section.key == behaviour), None)
    if not results.shows_figures or b is None:
        raise Http404("No such behaviour, or no comments shown for this round")
    pages = max(1, -(-b.comment_count // COMMENTS_PER_PAGE))
    page = request.GET.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= pages:
        raise Http404("No such page of comments")
    page = int(page)
    return render(
        request,
        "results/comments.jinja",
        {
            "round": round_,
            "results": results,
            "b": b,
            "comments": comment_page(results, b, page),
            "page": page,
            "pages": pages,
            "per_page": COMMENTS_PER_PAGE,
        },
    )


@require_safe
@login_required
def trend(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = get_object_or_404(Partnership.objects.for_user(request.user), pk=partnership_id)
    data = partnership_trend(partnership.pk)
    return render(
        request,
        "results/trend.jinja",
        {"partnership": partnership, "trend": data, "trend_charts": trend_charts(data)},
    )


def _read_across(request: HttpRequest, partnership_id: int) -> Partnership:
    """A partnership whose view across partnerships (its children side by side, the
    benchmark) this person may read: its facilitators and observers. Partner leads, its
    children's own people and everyone else get 404."""
    readers = (Role.FACILITATOR, Role.OBSERVER)
    return get_object_or_404(Partnership.objects.for_user(request.user, readers), pk=partnership_id)


@require_safe
@login_required
def rollup_page(request: HttpRequest, partnership_id: int) -> HttpResponse:
    found = rollup(_read_across(request, partnership_id))
    return render(
        request,
        "results/rollup.jinja",
        {"rollup": found, "parent": found.parent, "chart": rollup_chart(found)},
    )


@require_safe
@login_required
def rollup_csv(request: HttpRequest, partnership_id: int) -> HttpResponse:
    found = rollup(_read_across(request, partnership_id))
    name = slugify(found.parent.name) or "partnership"
    return _attachment(
        exports.rollup_csv_bytes(found), "text/csv; charset=utf-8", f"{name}-side-by-side.csv"
    )


@require_safe
@login_required
def rollup_json(request: HttpRequest, partnership_id: int) -> HttpResponse:
    found = rollup(_read_across(request, partnership_id))
    name = slugify(found.parent.name) or "partnership"
    return _attachment(
        exports.rollup_json_bytes(found), "application/json", f"{name}-side-by-side.json"
    )


@require_safe
@login_required
def benchmark_page(request: HttpRequest, partnership_id: int) -> HttpResponse:
    """Where the partnership sits among those that take part: for its facilitators and
    observers, and only once it takes part itself."""
    partnership = _read_across(request, partnership_id)
    found = benchmark.standing(partnership) if partnership.benchmark_joined_at else None
    return render(
        request,
        "results/benchmark.jinja",
        {
            "partnership": partnership,
            "standing": found,
            "can_change": viewer_for(request.user, partnership.pk).may_change,
        },
    )


@require_safe
@login_required
def benchmark_overview(request: HttpRequest) -> HttpResponse:
    """For service administrators: the picture across every partnership, anonymised."""
    if not request.user.is_staff:
        raise Http404("Only service administrators see the overview")
    return render(request, "results/overview.jinja", benchmark.overview())


# --- Downloads ------------------------------------------------------------------------------


def _filename(round_: Round, suffix: str) -> str:
    name = slugify(f"{round_.partnership.name} {round_.title}") or "results"
    return f"{name}-{suffix}"


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _not_available(request, round_, results, message: str, status: int) -> HttpResponse:
    return render(
        request,
        "results/not_available.jinja",
        {"round": round_, "results": results, "message": message},
        status=status,
    )


@require_safe
@login_required
def report_pdf(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id)
    content = downloads.kept(round_, viewer_for(request.user, round_.partnership_id), downloads.PDF)
    return _attachment(content, "application/pdf", _filename(round_, "board-report.pdf"))


@require_safe
@login_required
def summary_pptx(request: HttpRequest, round_id: int) -> HttpResponse:
    round_, results = _results(request, round_id)
    trend_data = partnership_trend(round_.partnership_id, until=round_)
    plan = review.agreed_at(round_.pk)
    found = round_layers(round_) if results.shows_figures else None
    content = slides.summary_slides(results, key_points(results), trend_data, plan, found)
    return _attachment(content, PPTX, _filename(round_, "summary.pptx"))


@require_safe
@login_required
def results_xlsx(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id)
    content = downloads.kept(
        round_, viewer_for(request.user, round_.partnership_id), downloads.XLSX
    )
    return _attachment(content, XLSX, _filename(round_, "results.xlsx"))


@require_safe
@login_required
def responses_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    round_, results = _results(request, round_id)
    if not results.viewer.may_download_responses:
        return _not_available(
            request,
            round_,
            results,
            "Only facilitators and observers of the partnership can download responses.",
            403,
        )
    if not results.shows_figures:
        return _not_available(
            request,
            round_,
            results,
            "There are no responses to download yet: too few people have answered to share "
            "them without risking that someone's answers are picked out.",
            409,
        )
    if results.answers_deleted:
        return _not_available(
            request,
            round_,
            results,
            "This round's answers were deleted under the service's retention rules. "
            "Its scores are still on the results page.",
            409,
        )
    # Streamed a thousand rows at a time: the worker never holds the whole file as text.
    response = StreamingHttpResponse(
        exports.responses_csv_chunks(results), content_type="text/csv; charset=utf-8"
    )
    filename = _filename(round_, "responses.csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@login_required
def results_json(request: HttpRequest, round_id: int) -> HttpResponse:
    round_, results = _results(request, round_id)
    earlier = review.agreed_at(results.previous.pk if results.previous else None)
    found = round_layers(round_) if results.shows_figures else None
    content = exports.results_json_bytes(results, review.plan(round_.pk), earlier, found)
    return HttpResponse(content, content_type="application/json")


@require_safe
@login_required
def layers_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    """The agreed answers beside people's own, one row a question, for a round with both."""
    round_, results = _results(request, round_id)
    found = round_layers(round_) if results.shows_figures else None
    if found is None:
        raise Http404("This round has one layer of answers")
    content = exports.layers_csv_bytes(results, found)
    return _attachment(
        content, "text/csv; charset=utf-8", _filename(round_, "agreed-and-individual.csv")
    )


@require_safe
@login_required
def layers_by_organisation_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    """Each organisation's people beside the agreed answers, one row a group and question."""
    round_, results = _results(request, round_id)
    found = organisation_layers(round_, results)
    if found is None:
        raise Http404("This round shows no organisation beside its agreed answers")
    content = exports.organisation_layers_csv_bytes(results, found)
    return _attachment(
        content,
        "text/csv; charset=utf-8",
        _filename(round_, "agreed-and-individual-by-organisation.csv"),
    )


@require_safe
@login_required
def actions_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    """The round's action plan, for anyone who can see the round: it names no respondent."""
    round_, results = _results(request, round_id)
    content = exports.actions_csv_bytes(results, review.plan(round_.pk))
    return _attachment(content, "text/csv; charset=utf-8", _filename(round_, "actions.csv"))
