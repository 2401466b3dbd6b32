"""How Six Ways turns answers into scores.

Each answer scores Yes=3, Sometimes=2, Not always=1, No=0.

- A respondent's behaviour score is the mean of their answers in that section, also shown
  as a percentage of the maximum and as a total ("9 of 12").
- An organisation's score is the mean of its respondents' scores.
- The partnership score is the mean of the organisation scores, so every partner counts
  equally however many of its staff respond: a large organisation that sends its whole
  team must not drown out a small one. The respondent-weighted mean (every person equal)
  is shown beside it for comparison.
- Spread shows how far partners disagree: the population standard deviation and the
  range of the organisation scores (or of the sector scores, each organisation equal
  within its sector). A range of one full answer step or more (exactly 1 included) is
  flagged as "partners see this differently".
- Priorities list behaviours lowest score first; ties go to the wider range, then to the
  questionnaire's own order.
- Change is current minus previous, or None when there is no previous score.

round_figures() applies these rules to a whole round: from the counts of each answer per
organisation and question (rounds.Tally, read by queries.py) to every organisation's,
question's and the partnership's figures. Organisations too small to be shown on their own
(results/privacy.py decides which) are pooled and scored together. This module is what
production runs; tests/test_scoring.py checks its properties with hypothesis.

Every mean is an exact Fraction. Scores such as 5/3 and 8/3 are one step apart, but as
floats their difference is 0.9999999999999998 and the flag would be silently lost. Only
the standard deviation is a float, because a square root is rarely rational; it is for
display and never drives a decision.
"""

import math
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

DIFFERS_AT = Fraction(1)


def _exact(value: Fraction | int) -> Fraction:
    # Refuse floats (and Decimals, bools) so that inexact numbers cannot creep into a mean.
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise TypeError(f"expected an int or Fraction, got {value!r}")
    return Fraction(value)


def mean(values: Iterable[Fraction | int]) -> Fraction:
    exact = [_exact(value) for value in values]
    if not exact:
        raise ValueError("cannot take the mean of no values")
    return sum(exact, Fraction(0)) / len(exact)


def weighted_mean(groups: Iterable[tuple[Fraction, int]]) -> Fraction:
    """The mean of (value, weight) pairs; a weight of 0 leaves its value out."""
    weighted = Fraction(0)
    total = 0
    for group_mean, weight in groups:
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise ValueError(f"weights must be non-negative ints, got {weight!r}")
        # An organisation nobody answered for has no mean to weight, so skip it.
        if weight:
            weighted += _exact(group_mean) * weight
            total += weight
    if not total:
        raise ValueError("cannot take a weighted mean when every weight is 0")
    return weighted / total


def organisation_equal(units: Iterable[tuple[Fraction, int]]) -> Fraction:
    """The partnership score with each organisation counting equally, from (score,
    organisations) units: a shown organisation is one unit of 1; organisations too small to
    be shown on their own are pooled into one unit scored by the pool's mean and counted as
    as many organisations as it holds (results/privacy.py)."""
    return weighted_mean(units)


def organisation_spread(units: Iterable[tuple[Fraction, int]]) -> "Spread | None":
    """Spread of the organisation scores, the pool counted as its number of organisations.
    None when there is only one group to compare: a pool alone has no spread to show."""
    units = list(units)
    if len(units) < 2:
        return None
    return spread(value for value, organisations in units for _ in range(organisations))


@dataclass(frozen=True)
class Spread:
    stdev: float
    low: Fraction
    high: Fraction

    @property
    def range(self) -> Fraction:
        return self.high - self.low

    @property
    def differs(self) -> bool:
        return self.range >= DIFFERS_AT


def spread(values: Iterable[Fraction | int]) -> Spread | None:
    exact = [_exact(value) for value in values]
    if not exact:
        return None
    centre = mean(exact)
    # Population, not sample, deviation: the partners are the whole group, not a sample of it.
    variance = mean((value - centre) ** 2 for value in exact)
    return Spread(stdev=math.sqrt(variance), low=min(exact), high=max(exact))


@dataclass(frozen=True)
class Distribution:
    """How a set of scores (partnerships', say) is spread: its quartiles, exact."""

    count: int
    low: Fraction
    lower_quartile: Fraction
    median: Fraction
    upper_quartile: Fraction
    high: Fraction


def _quantile(ordered: list[Fraction], position: Fraction) -> Fraction:
    # Linear between the two nearest values (the "inclusive" method, R's type 7), exactly.
    whole = int(position)
    part = position - whole
    if whole + 1 >= len(ordered):
        return ordered[-1]
    return ordered[whole] + (ordered[whole + 1] - ordered[whole]) * part


def distribution(values: Iterable[Fraction | int]) -> Distribution | None:
    """The quartiles of some scores, or None for none. Each value counts once."""
    ordered = sorted(_exact(value) for value in values)
    if not ordered:
        return None
    last = len(ordered) - 1
    return Distribution(
        count=len(ordered),
        low=ordered[0],
        lower_quartile=_quantile(ordered, Fraction(last, 4)),
        median=_quantile(ordered, Fraction(last, 2)),
        upper_quartile=_quantile(ordered, Fraction(3 * last, 4)),
        high=ordered[-1],
    )


def priorities(scores: Mapping[str, Fraction], ranges: Mapping[str, Fraction]) -> list[str]:
    # sorted() is stable, so behaviours that tie on both keys keep the questionnaire's order.
    return sorted(scores, key=lambda key: (scores[key], -ranges.get(key, Fraction(0))))


def change(
    current: Mapping[str, Fraction], previous: Mapping[str, Fraction] | None
) -> dict[str, Fraction | None]:
    before = previous or {}
    return {
        key: None if before.get(key) is None else _exact(now) - _exact(before[key])
        for key, now in current.items()
    }


def self_partner_gap(self_score: Fraction | int, partners_score: Fraction | int) -> Fraction:
    return _exact(self_score) - _exact(partners_score)


def rounded(value: Fraction | float | int, places: int = 2) -> str:
    """A score, percentage or change written for people, rounded half up: every page, chart,
    slide and report uses this one rule.

    Scores are exact fractions, so a tie such as 13/8 = 1.625 is rounded on the exact value
    (1.63), not on a binary float that may sit just below it and round to even (1.62)."""
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(str(value))
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


# --- A whole round ----------------------------------------------------------------------------
# Keys are the database's: an organisation's id (None for "no organisation given"), a
# question's or section's id, an option's id; behaviours by their key ("1" … "6"). The shape
# is the instrument's (sixways/instruments/shape.py): options with pk, key and score;
# sections with pk and key; questions with pk, key and section_id.


def answer_mean(counts: Mapping[str, int], scores: Mapping[str, int]) -> Fraction | None:
    """The mean score of answers counted by option key, or None when there are none."""
    answers = sum(counts.values())
    if not answers:
        return None
    return Fraction(sum(scores[key] * n for key, n in counts.items()), answers)


@dataclass
class RoundFigures:
    """One round's figures, before privacy.py's decision is fitted to a viewer."""

    pooled: frozenset  # the organisations counted together as one group
    org_means: dict[str, dict[Hashable, Fraction]]  # behaviour key -> organisation -> mean
    org_splits: dict[str, dict[Hashable, dict[str, int]]]  # behaviour -> organisation -> option
    org_question_means: dict[Hashable, dict[str, Fraction]]  # organisation -> question key
    question_counts: dict[int, dict[str, int]]  # question id -> option key -> n
    question_org_means: dict[int, dict[Hashable, Fraction]]
    people_equal: dict[str, Fraction]  # behaviour -> mean with each person counting once
    pool_means: dict[str, Fraction] = field(default_factory=dict)
    pool_splits: dict[str, dict[str, int]] = field(default_factory=dict)
    pool_question_means: dict[str, Fraction] = field(default_factory=dict)  # question key
    pool_question_ids: dict[int, Fraction] = field(default_factory=dict)  # question id

    def units(self, means: Mapping[Hashable, Fraction], pool_mean: Fraction | None):
        """(score, organisations) pairs for organisation_equal: each organisation shown on
        its own is one; the pool is one unit counted as the organisations it holds."""
        shown = [(m, 1) for org, m in means.items() if org not in self.pooled]
        pooled = sum(1 for org in means if org in self.pooled)
        if pooled and pool_mean is not None:
            shown.append((pool_mean, pooled))
        return shown

    def behaviour_units(self, key: str):
        return self.units(self.org_means.get(key, {}), self.pool_means.get(key))

    def question_units(self, question_id: int):
        return self.units(
            self.question_org_means.get(question_id, {}), self.pool_question_ids.get(question_id)
        )

    def partnership_scores(self) -> dict[str, Fraction]:
        return {
            key: organisation_equal(self.behaviour_units(key))
            for key, means in self.org_means.items()
            if means
        }


def round_figures(
    counts: Mapping[tuple[Hashable, int], Mapping[int, int]],
    totals: Mapping[tuple[Hashable, int], tuple[int, int]],
    shape,
    pooled: Collection[Hashable] = (),
) -> RoundFigures:
    """Every figure of a round from its answer counts: (organisation, question id) -> option
    id -> answers. After the retention rules delete a round's answers only `totals` are left:
    (organisation, section id) -> (score sum, answers), enough for the behaviour scores."""
    option_key = {o.pk: o.key for o in shape.options}
    scores = {o.key: o.score for o in shape.options}
    question_key = {q.pk: q.key for q in shape.questions}
    section_of = {q.pk: q.section_id for q in shape.questions}
    section_key = {s.pk: s.key for s in shape.sections}
    pooled = frozenset(pooled)

    org_splits: dict[str, dict[Hashable, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {o.key: 0 for o in shape.options})
    )
    question_counts = {q.pk: {o.key: 0 for o in shape.options} for q in shape.questions}
    per_org_question: dict[Hashable, dict[int, dict[str, int]]] = defaultdict(dict)
    for (org, question), by_option in counts.items():
        if question not in section_of:
            continue  # cannot happen: answers belong to the round's instrument
        behaviour = section_key[section_of[question]]
        keyed = {option_key[o]: n for o, n in by_option.items()}
        per_org_question[org][question] = keyed
        for key, n in keyed.items():
            org_splits[behaviour][org][key] += n
            question_counts[question][key] += n

    question_org_means: dict[int, dict[Hashable, Fraction]] = defaultdict(dict)
    org_question_means: dict[Hashable, dict[str, Fraction]] = defaultdict(dict)
    for org, by_question in per_org_question.items():
        for question, split in by_question.items():
            value = answer_mean(split, scores)
            question_org_means[question][org] = value
            org_question_means[org][question_key[question]] = value

    def totals_by_behaviour(orgs=None) -> dict[str, Fraction]:
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (org, section), (score_sum, answer_count) in totals.items():
            if section in section_key and (orgs is None or org in orgs):
                sums[section_key[section]][0] += score_sum
                sums[section_key[section]][1] += answer_count
        return {b: Fraction(t, n) for b, (t, n) in sums.items() if n}

    answers_deleted = bool(totals) and not counts
    if answers_deleted:
        org_means: dict[str, dict[Hashable, Fraction]] = defaultdict(dict)
        for (org, section), (score_sum, answer_count) in totals.items():
            if section in section_key and answer_count:
                org_means[section_key[section]][org] = Fraction(score_sum, answer_count)
        people_equal = totals_by_behaviour()
    else:
        org_means = {
            behaviour: {org: answer_mean(split, scores) for org, split in by_org.items()}
            for behaviour, by_org in org_splits.items()
        }
        people_equal = {}
        for behaviour, by_org in org_splits.items():
            split = _added(by_org.values(), shape)
            if (value := answer_mean(split, scores)) is not None:
                people_equal[behaviour] = value

    figures = RoundFigures(
        pooled=pooled,
        org_means=org_means,
        org_splits=org_splits,
        org_question_means=org_question_means,
        question_counts=question_counts,
        question_org_means=question_org_means,
        people_equal=people_equal,
    )
    if pooled:
        # The pooled organisations' answers added up, each person counting once.
        for behaviour, by_org in org_splits.items():
            split = _added((by_org[o] for o in pooled if o in by_org), shape)
            figures.pool_splits[behaviour] = split
            if (value := answer_mean(split, scores)) is not None:
                figures.pool_means[behaviour] = value
        if answers_deleted:
            figures.pool_means = totals_by_behaviour(pooled)
        for question, key in question_key.items():
            split = _added(
                (per_org_question[o][question] for o in pooled if question in per_org_question[o]),
                shape,
            )
            if (value := answer_mean(split, scores)) is not None:
                figures.pool_question_ids[question] = value
                figures.pool_question_means[key] = value
    return figures


def _added(splits: Iterable[Mapping[str, int]], shape) -> dict[str, int]:
    total = {o.key: 0 for o in shape.options}
    for split in splits:
        for key, n in split.items():
            total[key] += n
    return total


# --- Agreed and individual answers side by side ------------------------------------------

# An agreed answer hides dissent when at least this share of people answered on the other
# side of the scale (settings.MASKED_DISSENT_SHARE passes the setting in).
MASKED_DISSENT_SHARE = Fraction(3, 10)


@dataclass(frozen=True)
class Beside:
    """One question's agreed answer beside what people answered on their own."""

    agreed: str | None  # the agreed answer's key, or None when none is recorded
    counts: Mapping[str, int]  # each answer's count among individuals; empty when not shown
    people: int  # how many individuals answered it
    shown: bool  # at least K people answered it, so their answers may be shown
    mean: Fraction | None  # individuals' mean score, when shown
    gap: Fraction | None  # agreed score minus that mean, when both are there
    dissent: int  # individuals on the other side of the scale from the agreed answer
    masked: bool  # an agreed answer in the top half that hides dissent (MASKED_DISSENT_SHARE)


def beside(
    agreed: str | None,
    counts: Mapping[str, int],
    scores: Mapping[str, int],
    k: int,
    masked_share: Fraction = MASKED_DISSENT_SHARE,
) -> Beside:
    """An agreed answer and the individual answers to the same question. Individuals are shown
    only from k people, as everywhere; below that nothing of theirs is given, not even the
    mean, so nothing about fewer than k people can be read off."""
    people = sum(counts.values())
    if people < k:
        return Beside(agreed, {}, people, False, None, None, 0, False)
    individual = answer_mean(counts, scores)
    gap = None if agreed is None else scores[agreed] - individual
    midpoint = Fraction(max(scores.values()) + min(scores.values()), 2)
    high = agreed is not None and scores[agreed] > midpoint
    low_side = {key for key, score in scores.items() if score < midpoint}
    high_side = {key for key, score in scores.items() if score > midpoint}
    other_side = low_side if high else high_side
    dissent = 0 if agreed is None else sum(counts.get(key, 0) for key in other_side)
    masked = high and dissent > 0 and Fraction(dissent, people) >= masked_share
    return Beside(agreed, dict(counts), people, True, individual, gap, dissent, masked)


def behaviour_beside(questions: list[Beside], scores: Mapping[str, int]) -> tuple:
    """A behaviour's agreed score beside its individuals' mean, and the gap: only when every
    question has an agreed answer and shows its individuals, so that no hidden question's
    figures can be worked out from the behaviour's and the others'."""
    if not questions or any(q.agreed is None or not q.shown for q in questions):
        return None, None, None
    agreed = mean(scores[q.agreed] for q in questions)
    total = sum((q.mean * q.people for q in questions), Fraction(0))
    individual = total / sum(q.people for q in questions)
    return agreed, individual, agreed - individual
