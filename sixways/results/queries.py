"""A round's results, aggregated in the database.

The number of queries is fixed: it does not grow with the number of responses. The database
sums answer scores per organisation and behaviour; the pure rules in scoring.py turn those sums
into scores, spreads and priorities.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.db.models import Count, Sum

from sixways.instruments.models import Option, Question, Section
from sixways.rounds.models import Answer, Comment, Mode, Response, Round, Status

from . import scoring

SUBMITTED = Response.State.SUBMITTED


@dataclass
class Behaviour:
    section: Section
    questions: list[Question]
    score: Fraction | None = None  # partnership score: each organisation counts equally
    respondent_weighted: Fraction | None = None
    spread: scoring.Spread | None = None
    change: Fraction | None = None
    max_score: int = 3
    counts: dict[int, dict[str, int]] = field(default_factory=dict)  # question id -> option key
    comments: list[str] = field(default_factory=list)

    @property
    def percent(self) -> Fraction | None:
        return None if self.score is None else self.score / self.max_score * 100

    @property
    def total(self) -> Fraction | None:
        """The score as a total over the behaviour's questions: 9 of 12."""
        return None if self.score is None else self.score * len(self.questions)

    @property
    def max_total(self) -> int:
        return self.max_score * len(self.questions)


@dataclass
class RoundResults:
    round: Round
    responses: int
    organisations: int
    min_group_size: int
    options: list[Option]
    behaviours: list[Behaviour]
    previous: Round | None
    priorities: list[Behaviour]
    has_no_answers: bool = False  # anyone chose the lowest answer: offer the useful resources

    @property
    def suppressed(self) -> bool:
        """Too few individual responses to show any figure without risking identification."""
        return self.round.mode == Mode.INDIVIDUAL and self.responses < self.min_group_size


def _organisation_means(round_: Round) -> tuple[dict, dict]:
    """Per behaviour: {organisation id: (mean, respondents)}; per behaviour: pooled (total, n)."""
    rows = (
        Answer.objects.filter(response__round=round_, response__state=SUBMITTED)
        .values("response__organisation", "question__section")
        .annotate(
            total=Sum("option__score"),
            answers=Count("id"),
            respondents=Count("response", distinct=True),
        )
        .order_by()
    )
    by_section: dict[int, dict] = defaultdict(dict)
    pooled: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for row in rows:
        section = row["question__section"]
        # A submitted response answers every question, so an organisation's mean answer equals
        # the mean of its respondents' behaviour scores.
        by_section[section][row["response__organisation"]] = (
            Fraction(row["total"], row["answers"]),
            row["respondents"],
        )
        total, answers = pooled[section]
        pooled[section] = (total + row["total"], answers + row["answers"])
    return by_section, pooled


def _previous_round(round_: Round) -> Round | None:
    return (
        Round.objects.filter(
            partnership_id=round_.partnership_id,
            instrument_id=round_.instrument_id,
            status=Status.CLOSED,
            closes_on__lte=round_.opens_on,
        )
        .exclude(pk=round_.pk)
        .order_by("-closes_on", "-id")
        .first()
    )


def _partnership_scores(round_: Round, sections: list[Section]) -> dict[str, Fraction]:
    by_section, _ = _organisation_means(round_)
    scores = {}
    for section in sections:
        means = {org: mean for org, (mean, _) in by_section.get(section.pk, {}).items()}
        if means:
            scores[section.key] = scoring.partnership_score(means)
    return scores


def round_results(round_: Round) -> RoundResults:
    k = settings.MIN_GROUP_SIZE
    options = list(Option.objects.filter(instrument_id=round_.instrument_id))
    max_score = max(option.score for option in options)
    sections = list(Section.objects.filter(instrument_id=round_.instrument_id))
    questions = list(Question.objects.filter(instrument_id=round_.instrument_id))
    counts_row = Response.objects.filter(round=round_, state=SUBMITTED).aggregate(
        responses=Count("id"), organisations=Count("organisation", distinct=True)
    )
    behaviours = [
        Behaviour(
            section=s,
            questions=[q for q in questions if q.section_id == s.pk],
            max_score=max_score,
        )
        for s in sections
    ]
    previous = _previous_round(round_)
    results = RoundResults(
        round=round_,
        responses=counts_row["responses"],
        organisations=counts_row["organisations"],
        min_group_size=k,
        options=options,
        behaviours=behaviours,
        previous=previous,
        priorities=[],
    )
    if results.responses == 0 or results.suppressed:
        return results

    by_section, pooled = _organisation_means(round_)
    previous_scores = _partnership_scores(previous, sections) if previous else {}

    answer_counts = (
        Answer.objects.filter(response__round=round_, response__state=SUBMITTED)
        .values("question", "option__key")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {o.key: 0 for o in options})
    for row in answer_counts:
        counts[row["question"]][row["option__key"]] = row["n"]
    comments: dict[int, list[str]] = defaultdict(list)
    for section_id, text in (
        Comment.objects.filter(response__round=round_, response__state=SUBMITTED)
        .order_by("section__position", "id")
        .values_list("section", "text")
    ):
        comments[section_id].append(text)

    lowest = min(options, key=lambda o: o.score).key
    results.has_no_answers = any(c[lowest] for c in counts.values())

    for behaviour in behaviours:
        groups = by_section.get(behaviour.section.pk, {})
        if not groups:
            continue
        means = {org: mean for org, (mean, _) in groups.items()}
        behaviour.score = scoring.partnership_score(means)
        total, answers = pooled[behaviour.section.pk]
        behaviour.respondent_weighted = Fraction(total, answers)
        # In individual mode an organisation with fewer than K respondents is never shown on
        # its own, and the spread's low and high would show its score: leave it out of spread.
        shown = [mean for mean, n in groups.values() if round_.mode != Mode.INDIVIDUAL or n >= k]
        behaviour.spread = scoring.spread(shown)
        if behaviour.section.key in previous_scores:
            behaviour.change = behaviour.score - previous_scores[behaviour.section.key]
        behaviour.counts = {q.pk: counts[q.pk] for q in behaviour.questions}
        behaviour.comments = comments.get(behaviour.section.pk, [])

    scored = {b.section.key: b.score for b in behaviours if b.score is not None}
    ranges = {b.section.key: b.spread.range for b in behaviours if b.spread is not None}
    order = scoring.priorities(scored, ranges)
    by_key = {b.section.key: b for b in behaviours}
    results.priorities = [by_key[key] for key in order]
    return results
