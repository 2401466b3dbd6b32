"""A partnership's children side by side: a system's places, a place's neighbourhoods.

For the parent's facilitators and observers. Each child that shares its figures with its
parent (`Partnership.figures_to_parent`) shows its latest closed round as its own results
show it: the same load, privacy decision and scoring (queries.py), so every figure is one
its own people can see, over groups of at least K. A child whose round shows no figures
shows why, and no number; it is left out of every figure across the children too, so
nothing across them can be taken apart to reveal it. Comments are shown only where the
child shares them (`comments_to_parent`), and then as its own pages show them.

Across the children the headline is the distribution (the median, the quartiles, the lowest
and highest), not a mean of means. Where one figure is wanted both are given, each named:
the mean of partnerships (each child once) and all responses (each response once: the
children's means with each person counting once, weighted by their responses).

The whole roll-up, every child and every closed round, is read in a fixed number of queries
(`load` takes any number of rounds), whatever the number of children or responses; only the
comments a child shares are read round by round.
"""

import datetime
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.utils import timezone

from sixways.instruments.models import Section
from sixways.instruments.shape import shapes
from sixways.partnerships.models import Partnership, Role
from sixways.partnerships.roles import Viewer
from sixways.rounds.models import Mode, Response, Round, Status

from . import privacy, scoring
from .layers import round_layers
from .queries import figures, figures_shown, load, round_results, snapshot, visibility
from .types import ShownComment

ALL_RESPONSES = "All responses"
MEAN_OF_PARTNERSHIPS = "Mean of partnerships"


@dataclass
class RoundPoint:
    """One closed round of a child, as its results show it."""

    round: Round
    responses: int
    shown: bool
    scores: dict[str, Fraction] = field(default_factory=dict)  # behaviour key -> score
    people: dict[str, Fraction] = field(default_factory=dict)  # each person counting once

    @property
    def closed_on(self) -> datetime.date | None:
        closed = self.round.closed_at
        return timezone.localdate(closed) if closed else self.round.closes_on

    @property
    def responses_shown(self) -> int | None:
        """The count as the child's pages give it: "fewer than K" (None) in an individual
        round with 1 to K - 1 responses."""
        if self.round.mode != Mode.INDIVIDUAL:
            return self.responses
        return privacy.shown_count(self.responses, settings.MIN_GROUP_SIZE)


@dataclass
class Child:
    partnership: Partnership
    points: list[RoundPoint]  # its closed rounds, oldest first
    agreed_alongside: bool = False  # its latest round has agreed answers beside people's own
    # Where its latest round is people's own answers with the partnership's agreed answers
    # recorded beside them: the agreed answers' score for each behaviour.
    agreed: dict[str, Fraction] = field(default_factory=dict)
    comments: dict[str, list[ShownComment]] = field(default_factory=dict)  # behaviour key

    @property
    def latest(self) -> RoundPoint | None:
        return self.points[-1] if self.points else None

    @property
    def shown(self) -> bool:
        return self.latest is not None and self.latest.shown

    @property
    def change(self) -> dict[str, Fraction | None]:
        """Each behaviour's change since the child's previous closed round, where both show
        figures."""
        if not self.shown or len(self.points) < 2 or not self.points[-2].shown:
            return {}
        return scoring.change(self.latest.scores, self.points[-2].scores)

    @property
    def why_not_shown(self) -> str:
        latest = self.latest
        if latest is None:
            return "No closed round yet"
        if latest.responses == 0:
            return "No responses in its latest round"
        return (
            f"Not shown: too few responses to show figures (at least "
            f"{settings.MIN_GROUP_SIZE} are needed)"
        )


@dataclass
class Across:
    """One behaviour across the children whose latest round shows figures."""

    key: str
    title: str
    distribution: scoring.Distribution | None
    mean_of_partnerships: Fraction | None
    all_responses: Fraction | None


@dataclass
class Rollup:
    parent: Partnership
    children: list[Child]  # those that share their figures, by name
    keeping_to_themselves: list[Partnership]  # children that do not share their figures
    sections: list[Section]
    across: list[Across]

    @property
    def shown(self) -> list[Child]:
        return [c for c in self.children if c.shown]


def _closed(rounds: list[Round]) -> list[Round]:
    return [r for r in rounds if r.current_status == Status.CLOSED]


def rollup(parent: Partnership) -> Rollup:
    children = list(parent.children.order_by("name", "pk"))
    sharing = [c for c in children if c.figures_to_parent]
    k = settings.MIN_GROUP_SIZE
    with snapshot():
        rounds = _closed(
            list(
                Round.objects.filter(partnership__in=sharing)
                .exclude(status=Status.DRAFT)
                .select_related("instrument")
                .order_by("opens_on", "id")
            )
        )
        by_instrument = shapes({r.instrument_id for r in rounds})
        loaded = load([r.pk for r in rounds])
        latest_ids = {}
        for round_ in rounds:
            latest_ids[round_.partnership_id] = round_.pk
        alongside = set(
            Response.objects.filter(
                round_id__in=latest_ids.values(), state=Response.State.ALONGSIDE
            ).values_list("round_id", flat=True)
        )
    points: dict[int, list[RoundPoint]] = {c.pk: [] for c in sharing}
    for round_ in rounds:
        data = loaded[round_.pk]
        decided = visibility(round_, data, k)
        point = RoundPoint(
            round=round_,
            responses=data.responses,
            shown=figures_shown(round_, data, decided, k),
        )
        if point.shown:
            computed = figures(data, by_instrument[round_.instrument_id], decided)
            point.scores = computed.partnership_scores()
            point.people = dict(computed.people_equal)
        points[round_.partnership_id].append(point)
    found = [
        Child(
            partnership=c,
            points=points[c.pk],
            agreed_alongside=latest_ids.get(c.pk) in alongside,
        )
        for c in sharing
    ]
    for child in found:
        if child.partnership.comments_to_parent and child.shown:
            child.comments = _comments(child.latest.round)
        if child.agreed_alongside and child.shown and child.latest.round.mode != Mode.COLLECTIVE:
            layers = round_layers(child.latest.round)
            child.agreed = {
                b.section.key: b.agreed
                for b in (layers.behaviours if layers else [])
                if b.agreed is not None
            }
    newest = max(
        (r for r in rounds if r.pk in latest_ids.values()),
        key=lambda r: r.instrument.version,
        default=None,
    )
    sections = by_instrument[newest.instrument_id].sections if newest else []
    return Rollup(
        parent=parent,
        children=found,
        keeping_to_themselves=[c for c in children if not c.figures_to_parent],
        sections=sections,
        across=[_across(s, found) for s in sections],
    )


def _across(section: Section, children: list[Child]) -> Across:
    key = section.key
    shown = [c.latest for c in children if c.shown and key in c.latest.scores]
    scores = [p.scores[key] for p in shown]
    weighted = [(p.people[key], p.responses) for p in shown if key in p.people and p.responses]
    return Across(
        key=key,
        title=section.short_title,
        distribution=scoring.distribution(scores),
        mean_of_partnerships=scoring.weighted_mean((s, 1) for s in scores) if scores else None,
        all_responses=scoring.weighted_mean(weighted) if weighted else None,
    )


def _comments(round_: Round) -> dict[str, list[ShownComment]]:
    """The first comments on each behaviour, as the child's own results page shows them."""
    results = round_results(round_, Viewer(role=Role.OBSERVER))
    return {b.section.key: b.comments for b in results.behaviours if b.comments}


def for_report(parent: Partnership, viewer: Viewer) -> Rollup | None:
    """The roll-up for a parent's board report and workbook: for the views of facilitators
    and observers (a partner lead's files leave it out), when the parent has children."""
    if viewer.partner_lead or not parent.children.exists():
        return None
    return rollup(parent)


def statuses(rounds) -> list[tuple]:
    """Rounds' rows for a kept file's stamp, each with its status as it stands today (a round
    counts as closed once its closing date has passed, before that is recorded): so the stamp
    changes the day a round closes by its date, and not every day."""
    today = timezone.localdate()
    return [
        (*row, "closed" if row[1] == Status.OPEN and row[2] < today else row[1]) for row in rounds
    ]


def stamp(parent: Partnership) -> str:
    """What the roll-up in a kept file is worked out from: the children, what they share and
    their names, and their rounds, closings, reopenings and deleted answers. Nothing for a
    partnership without children; two queries for one with them."""
    children = list(
        parent.children.order_by("pk").values_list(
            "pk", "name", "level", "figures_to_parent", "comments_to_parent"
        )
    )
    if not children:
        return ""
    rounds = (
        Round.objects.filter(partnership__parent=parent)
        .exclude(status=Status.DRAFT)
        .order_by("pk")
        .values_list(
            "pk", "status", "closes_on", "closed_at", "title", "retention__answers_deleted_at"
        )
    )
    return repr((children, statuses(rounds)))
