from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sixways.rounds.models import Response, Round

from .models import Partnership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The partnerships this person works on, each with its rounds, newest first."""
    partnerships = list(Partnership.objects.for_user(request.user))
    rounds = (
        Round.objects.for_user(request.user)
        .annotate(submitted=Count("responses", filter=Q(responses__state=Response.State.SUBMITTED)))
        .order_by("-opens_on", "-id")
    )
    by_partnership: dict[int, list[Round]] = {p.pk: [] for p in partnerships}
    for round_ in rounds:
        by_partnership[round_.partnership_id].append(round_)
    return render(
        request,
        "partnerships/home.jinja",
        {"partnerships": [(p, by_partnership[p.pk]) for p in partnerships]},
    )
