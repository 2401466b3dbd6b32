from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from sixways.rounds.models import Round

from .queries import round_results


@login_required
def round_overview(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(
        Round.objects.for_user(request.user).select_related("partnership", "instrument"),
        pk=round_id,
    )
    results = round_results(round_)
    return render(
        request,
        "results/round.jinja",
        {
            "round": round_,
            "results": results,
            "resources": round_.instrument.resources.all() if results.has_no_answers else [],
        },
    )
