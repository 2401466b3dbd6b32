"""Each behaviour's score across a partnership's rounds, for the trend page, slides and report.
The same rules as a single round's results: a round that shows no figures (too few responses,
an individual round still open) is a point without a score."""

from django.conf import settings

from sixways.instruments.shape import Shape, shapes
from sixways.rounds.models import Round, Status

from .queries import figures, figures_shown, load, snapshot, visibility
from .types import Trend, TrendBehaviour, TrendPoint


def partnership_trend(partnership_id: int, until: Round | None = None) -> Trend:
    """Each behaviour across the partnership's open and closed rounds, oldest first.

    `until` leaves out rounds that opened after that one (a board report shows the trend up
    to its own round). The number of queries is fixed however many rounds there are.
    """
    with snapshot():
        rounds = Round.objects.filter(partnership_id=partnership_id).exclude(status=Status.DRAFT)
        if until is not None:
            rounds = rounds.filter(opens_on__lte=until.opens_on)
        rounds = list(rounds.select_related("instrument").order_by("opens_on", "id"))
        by_instrument = shapes({r.instrument_id for r in rounds})
        loaded = load([r.pk for r in rounds])
    k = settings.MIN_GROUP_SIZE
    points = []
    for round_ in rounds:
        shape, data = by_instrument[round_.instrument_id], loaded[round_.pk]
        decided = visibility(round_, data, k)
        point = TrendPoint(
            round=round_,
            version=round_.instrument.version,
            responses=data.responses,
            shown=figures_shown(round_, data, decided, k),
        )
        if point.shown:
            computed = figures(data, shape, decided)
            point.scores = computed.partnership_scores()
            for section in shape.sections if not data.answers_deleted else []:
                split = {o.key: 0 for o in shape.options}
                for q in shape.questions_in(section):
                    for key, n in computed.question_counts[q.pk].items():
                        split[key] += n
                point.splits[section.key] = split
        points.append(point)

    # Behaviours in the newest version's order; a behaviour is matched across versions by key.
    newest = by_instrument[rounds[-1].instrument_id] if rounds else Shape([], [], [])
    behaviours = [
        TrendBehaviour(
            key=s.key,
            title=s.short_title,
            points=[(p, p.scores.get(s.key), p.splits.get(s.key, {})) for p in points],
        )
        for s in newest.sections
    ]
    return Trend(rounds=points, behaviours=behaviours, options=newest.options)
