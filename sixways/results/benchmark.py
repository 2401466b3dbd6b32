"""The benchmark across partnerships: how partnerships that chose to take part score, as
quartiles, and where one partnership sits among them.

What is shared is decided once, here: of each partnership that takes part
(`Partnership.benchmark_joined_at`), its latest closed round of the last six months, if its
results show figures, as its own results give them (queries.load, privacy, scoring): each
behaviour's score, each question's, and how far each behaviour moved since its previous
closed round. Never a comment, an organisation's or a partnership's name, nor a count of
anything within it. One contribution a partnership a snapshot, however many rounds it ran.

Snapshots are taken twice a year (the daily run takes one when the half-year has none;
`manage.py take_benchmark` takes one now) and kept (models.BenchmarkSnapshot); pages read
the latest one shown, so the benchmark does not move as rounds close. cohorts.py decides
who is compared with whom and when a snapshot may not be shown.
"""

import datetime
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from sixways.instruments.shape import shapes
from sixways.partnerships.models import Level, Partnership
from sixways.rounds.models import Response, Round, Status

from . import cohorts, rollup, scoring
from .models import BenchmarkSnapshot
from .queries import figures, figures_shown, load, snapshot, visibility

CONTRIBUTION_DAYS = 183  # a partnership's latest closed round of the last six months


@dataclass
class Contribution:
    partnership_id: int
    level: str
    round: Round
    scores: dict[str, Fraction]  # behaviour key -> score
    questions: dict[str, Fraction]  # question key -> score
    movement: dict[str, Fraction] = field(default_factory=dict)  # behaviour key -> change


def _closed_on(round_: Round) -> datetime.date:
    return timezone.localdate(round_.closed_at) if round_.closed_at else round_.closes_on


def contributions(
    now: datetime.datetime, only: int | None = None
) -> dict[tuple[str, int], list[Contribution]]:
    """Every partnership's contribution (or only this one's), by instrument version. A fixed
    number of queries, however many partnerships take part."""
    k = settings.MIN_GROUP_SIZE
    since = timezone.localdate(now) - datetime.timedelta(days=CONTRIBUTION_DAYS)
    with snapshot():
        taking_part = Partnership.objects.filter(
            benchmark_joined_at__isnull=False, benchmark_joined_at__lte=now
        )
        if only is not None:
            taking_part = taking_part.filter(pk=only)
        taking_part = dict(taking_part.values_list("pk", "level"))
        rounds = [
            r
            for r in Round.objects.filter(partnership__in=list(taking_part))
            .exclude(status=Status.DRAFT)
            .select_related("instrument")
            .order_by("opens_on", "id")
            if r.current_status == Status.CLOSED
        ]
        by_instrument = shapes({r.instrument_id for r in rounds})
        loaded = load([r.pk for r in rounds])
    by_partnership: dict[int, list[Round]] = {}
    for round_ in rounds:
        by_partnership.setdefault(round_.partnership_id, []).append(round_)
    found: dict[tuple[str, int], list[Contribution]] = {}
    for partnership_id, closed in by_partnership.items():
        latest = closed[-1]
        if _closed_on(latest) < since:
            continue
        scored = []
        for round_ in closed[-2:]:
            data, shape = loaded[round_.pk], by_instrument[round_.instrument_id]
            decided = visibility(round_, data, k)
            scored.append(
                figures(data, shape, decided) if figures_shown(round_, data, decided, k) else None
            )
        if scored[-1] is None:
            continue
        shape = by_instrument[latest.instrument_id]
        computed = scored[-1]
        contribution = Contribution(
            partnership_id=partnership_id,
            level=taking_part[partnership_id],
            round=latest,
            scores=computed.partnership_scores(),
            questions={
                q.key: scoring.organisation_equal(computed.question_units(q.pk))
                for q in shape.questions
                if computed.question_org_means.get(q.pk)
            },
        )
        same_questions = len(closed) > 1 and closed[-2].instrument_id == latest.instrument_id
        if same_questions and scored[0] is not None:
            contribution.movement = {
                key: change
                for key, change in scoring.change(
                    contribution.scores, scored[0].partnership_scores()
                ).items()
                if change is not None
            }
        key = (latest.instrument.key, latest.instrument.version)
        found.setdefault(key, []).append(contribution)
    return found


def _distribution(values) -> dict | None:
    found = scoring.distribution(values)
    if found is None:
        return None
    return {
        "partnerships": found.count,
        "lower_quartile": f"{found.lower_quartile}",
        "median": f"{found.median}",
        "upper_quartile": f"{found.upper_quartile}",
    }


def _figures(members: list[Contribution], minimum: int) -> dict:
    keys = sorted({k for c in members for k in c.scores}, key=_order)
    questions = sorted({k for c in members for k in c.questions}, key=_order)
    moved = [c for c in members if c.movement]
    return {
        "behaviours": {
            k: _distribution(c.scores[k] for c in members if k in c.scores) for k in keys
        },
        "questions": {
            k: _distribution(c.questions[k] for c in members if k in c.questions) for k in questions
        },
        # How far partnerships moved between their last two rounds: shown only when enough of
        # the cohort ran two, by the same rule as the cohort itself.
        "movement": {
            k: _distribution(c.movement[k] for c in moved if k in c.movement) for k in keys
        }
        if len(moved) >= minimum
        else {},
        "movement_partnerships": len(moved),
    }


def _order(key: str) -> tuple[int, ...]:
    return tuple(int(part) for part in key.split(".") if part.isdigit())


@transaction.atomic
def take(now: datetime.datetime | None = None) -> list[BenchmarkSnapshot]:
    """Take a snapshot of every cohort now, shown or withheld by the rules of cohorts.py."""
    now = now or timezone.now()
    minimum = settings.BENCHMARK_MIN_PARTNERSHIPS
    taken = []
    for (key, version), found in contributions(now).items():
        by_id = {c.partnership_id: c for c in found}
        shown = cohorts.cohorts({c.partnership_id: c.level for c in found}, minimum)
        for level, members in shown.items():
            last = (
                BenchmarkSnapshot.objects.filter(
                    instrument_key=key, instrument_version=version, level=level, shown=True
                )
                .order_by("-taken_at", "-id")
                .first()
            )
            reason = cohorts.withheld_because(
                members, set(last.contributors) if last else None, minimum
            )
            taken.append(
                BenchmarkSnapshot.objects.create(
                    taken_at=now,
                    instrument_key=key,
                    instrument_version=version,
                    level=level,
                    contributors=sorted(members),
                    partnerships=len(members),
                    figures=_figures([by_id[m] for m in members], minimum),
                    shown=not reason,
                    withheld_because=reason,
                )
            )
    return taken


def take_if_due(now: datetime.datetime | None = None) -> int:
    """Twice a year: a snapshot in each half-year (January to June, July to December), taken
    by the daily run on the first day it runs in it. Returns how many were taken."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = today.replace(month=1 if today.month <= 6 else 7, day=1)
    if BenchmarkSnapshot.objects.filter(taken_at__date__gte=start).exists():
        return 0
    return len(take(now))


@dataclass
class Standing:
    """Where one partnership sits in its cohort's latest snapshot shown."""

    snapshot: BenchmarkSnapshot | None
    round: Round | None  # the partnership's own latest closed round that shows figures
    rows: list[dict]  # per behaviour: its title, quartiles, its own score and where it sits
    movement: list[dict]
    questions: list[dict]


def standing(partnership: Partnership) -> Standing:
    """The benchmark as this partnership sees it: its cohort (its level's, or every level's
    where its level is too small), and its own latest figures placed in it."""
    own = contributions(timezone.now(), only=partnership.pk).values()
    mine = next((c for group in own for c in group if c.partnership_id == partnership.pk), None)
    snapshots = BenchmarkSnapshot.objects.filter(shown=True)
    if mine is not None:
        snapshots = snapshots.filter(
            instrument_key=mine.round.instrument.key,
            instrument_version=mine.round.instrument.version,
        )
    found = (
        snapshots.filter(level=partnership.level).first()
        or snapshots.filter(level=cohorts.EVERY_LEVEL).first()
    )
    if found is None:
        return Standing(None, mine.round if mine else None, [], [], [])
    shape_sections = []
    if mine is not None:
        shape_sections = list(mine.round.instrument.sections.order_by("position"))
    titles = {s.key: s.short_title for s in shape_sections}

    def rows(part: dict, own_values: dict) -> list[dict]:
        listed = []
        for key, quartiles in part.items():
            if quartiles is None:
                continue
            lower, median, upper = (
                Fraction(quartiles[q]) for q in ("lower_quartile", "median", "upper_quartile")
            )
            value = own_values.get(key)
            listed.append(
                {
                    "key": key,
                    "title": titles.get(key, ""),
                    "lower_quartile": lower,
                    "median": median,
                    "upper_quartile": upper,
                    "own": value,
                    "where": cohorts.position(value, lower, median, upper)
                    if value is not None
                    else "",
                }
            )
        return listed

    figures_ = found.figures
    return Standing(
        snapshot=found,
        round=mine.round if mine else None,
        rows=rows(figures_.get("behaviours", {}), mine.scores if mine else {}),
        movement=rows(figures_.get("movement", {}), mine.movement if mine else {}),
        questions=rows(figures_.get("questions", {}), mine.questions if mine else {}),
    )


def overview() -> dict:
    """For service administrators: partnerships, rounds and responses by level, and the
    latest snapshots shown. Counts and quartiles only: nothing identifies a partnership."""
    levels = (
        Partnership.objects.values("level")
        .annotate(
            partnerships=Count("pk", distinct=True),
            taking_part=Count("pk", filter=Q(benchmark_joined_at__isnull=False), distinct=True),
        )
        .order_by("level")
    )
    rounds = dict(
        Round.objects.exclude(status=Status.DRAFT)
        .values_list("partnership__level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    responses = dict(
        Response.objects.filter(state=Response.State.SUBMITTED)
        .values_list("round__partnership__level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "level_names": dict(Level.choices),
        "levels": [
            row
            | {"rounds": rounds.get(row["level"], 0), "responses": responses.get(row["level"], 0)}
            for row in levels
        ],
        "snapshots": list(BenchmarkSnapshot.objects.filter(shown=True)[:20]),
    }


def for_report(partnership: Partnership, viewer) -> Standing | None:
    """The benchmark for a board report: for a partnership that takes part, in the views of
    its facilitators and observers (a partner lead's report leaves it out)."""
    if viewer.partner_lead or partnership.benchmark_joined_at is None:
        return None
    found = standing(partnership)
    return found if found.snapshot is not None else None


def stamp(partnership: Partnership) -> str:
    """What the benchmark in a kept file is worked out from: the snapshots shown and the
    partnership's rounds as they stand today. Nothing for a partnership that does not take
    part; two queries for one that does."""
    if partnership.benchmark_joined_at is None:
        return ""
    shown = list(BenchmarkSnapshot.objects.filter(shown=True).values_list("pk", flat=True)[:50])
    rounds = (
        Round.objects.filter(partnership=partnership)
        .exclude(status=Status.DRAFT)
        .order_by("pk")
        .values_list("pk", "status", "closes_on", "closed_at")
    )
    return repr((partnership.benchmark_joined_at, shown, rollup.statuses(rounds)))
