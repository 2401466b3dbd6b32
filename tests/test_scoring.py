"""The scoring rules (sixways/results/scoring.py), which production runs: worked examples, then
properties of round_figures over generated rounds. tests/test_results.py checks that the
results pages show exactly what round_figures gives."""

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sixways.results.scoring import (
    DIFFERS_AT,
    Spread,
    answer_mean,
    change,
    mean,
    organisation_equal,
    organisation_spread,
    priorities,
    round_figures,
    rounded,
    self_partner_gap,
    spread,
    weighted_mean,
)

F = Fraction

answer = st.integers(min_value=0, max_value=3)
respondent_mean = st.fractions(min_value=0, max_value=3, max_denominator=60)


# --- An instrument's shape and a round, without a database -----------------------------------


class Item:
    def __init__(self, **fields):
        self.__dict__.update(fields)


SCORES = {"yes": 3, "sometimes": 2, "not-always": 1, "no": 0}


class FakeShape:
    """Two behaviours of two questions each, and the four answers."""

    options = [Item(pk=i, key=k, score=v) for i, (k, v) in enumerate(SCORES.items(), start=1)]
    sections = [Item(pk=10, key="1"), Item(pk=11, key="2")]
    questions = [
        Item(pk=100 + i, key=f"{1 + i // 2}.{1 + i % 2}", section_id=10 + i // 2) for i in range(4)
    ]


SHAPE = FakeShape()
SCORE_OF = {o.pk: o.score for o in SHAPE.options}
QUESTIONS_OF = {"1": [100, 101], "2": [102, 103]}

# A respondent is the option id they chose for each of the four questions.
respondent = st.lists(st.integers(1, 4), min_size=4, max_size=4)
# A round: organisation key -> its respondents.
rounds = st.dictionaries(
    st.sampled_from("abcdefg"), st.lists(respondent, min_size=1, max_size=6), min_size=1
)


def tally(by_org) -> dict:
    counts: dict = {}
    for org, people in by_org.items():
        for person in people:
            for question, option in zip([100, 101, 102, 103], person, strict=True):
                cell = counts.setdefault((org, question), {})
                cell[option] = cell.get(option, 0) + 1
    return counts


def plain_mean(people, behaviour) -> Fraction:
    """Everyone's answers to a behaviour, each answer once."""
    answers = [SCORE_OF[p[q - 100]] for p in people for q in QUESTIONS_OF[behaviour]]
    return F(sum(answers), len(answers))


# --- Worked examples ---------------------------------------------------------------------------


def test_it_weights_each_organisation_equally():
    # Org A: three people answering 1.1 and 1.2 with Yes/Yes, Sometimes/Sometimes and Not
    # always/Not always -> A = (3+3+2+2+1+1)/6 = 2. Org B: one person, No/No -> B = 0.
    # Partnership: (2 + 0) / 2 = 1. Each person equal: 12/8 = 3/2.
    by_org = {"a": [[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]], "b": [[4, 4, 4, 4]]}
    figures = round_figures(tally(by_org), {}, SHAPE)
    assert figures.org_means["1"] == {"a": 2, "b": 0}
    assert figures.partnership_scores()["1"] == 1
    assert figures.people_equal["1"] == F(3, 2)


def test_it_scores_the_pool_by_its_people_and_counts_it_as_its_organisations():
    # Shown: a (2 people, all Yes: 3). Pooled: b (1 person, No: 0) and c (1, Sometimes: 2).
    # Pool mean (0 + 2) / 2 = 1; organisations equal: (3 + 2 x 1) / 3 = 5/3.
    by_org = {"a": [[1] * 4, [1] * 4], "b": [[4] * 4], "c": [[2] * 4]}
    figures = round_figures(tally(by_org), {}, SHAPE, pooled={"b", "c"})
    assert figures.pool_means["1"] == 1
    assert figures.partnership_scores()["1"] == F(5, 3)
    assert figures.behaviour_units("1") == [(3, 1), (1, 2)]
    assert organisation_spread(figures.behaviour_units("1")).range == 2


def test_after_retention_it_scores_from_the_kept_totals():
    # Only (organisation, section) -> (score sum, answers) are left.
    totals = {("a", 10): (12, 4), ("b", 10): (0, 2), ("b", 11): (2, 2)}
    figures = round_figures({}, totals, SHAPE)
    assert figures.org_means["1"] == {"a": 3, "b": 0}
    assert figures.people_equal["1"] == F(12, 6)
    assert figures.partnership_scores() == {"1": F(3, 2), "2": F(1)}


def test_it_weights_pairs_and_skips_empty_groups():
    # (2 * 1 + 0 * 3) / 4 = 1/2; the group with nobody in it adds nothing.
    assert weighted_mean([(F(2), 1), (F(3), 0), (F(0), 3)]) == F(1, 2)
    assert organisation_equal([(F(3), 1), (F(1), 2)]) == F(5, 3)
    for bad in ([(F(2), 0)], [], [(F(2), -1)]):
        with pytest.raises(ValueError):
            weighted_mean(bad)
    assert answer_mean({"yes": 1, "no": 1}, SCORES) == F(3, 2)
    assert answer_mean({"yes": 0}, SCORES) is None


def test_it_refuses_to_average_nothing():
    with pytest.raises(ValueError):
        mean([])


def test_it_rounds_ties_half_up_on_the_exact_value():
    # 1.625 is 13/8 exactly; as a float 1.625 rounds to even (1.62) with format().
    assert rounded(F(13, 8), 2) == "1.63"
    assert rounded(F(-13, 8), 2) == "-1.63"
    assert rounded(F(1, 8) * 100, 0) == "13"  # 12.5%
    assert rounded(F(2, 3), 2) == "0.67"
    assert rounded(0.125, 2) == "0.13"


def test_it_refuses_floats_so_means_stay_exact():
    with pytest.raises(TypeError):
        mean([1, 0.5])


def test_it_measures_spread():
    # mean (1 + 2 + 2) / 3 = 5/3; squared deviations 4/9, 1/9, 1/9 sum to 6/9;
    # population variance 6/9 / 3 = 2/9; stdev sqrt(2/9) ~ 0.471; range 2 - 1 = 1 -> differs.
    result = spread([1, 2, 2])
    assert result.stdev == pytest.approx(math.sqrt(2 / 9))
    assert (result.low, result.high, result.range) == (1, 2, 1)
    assert result.differs


def test_it_does_not_flag_a_range_under_one_step():
    # 2 - 7/6 = 5/6 < 1
    result = spread([F(7, 6), F(2)])
    assert result.range == F(5, 6)
    assert not result.differs


def test_it_flags_exactly_one_step_that_floats_would_miss():
    # Org scores 5/3 (answers 2, 2, 1) and 8/3 (answers 3, 3, 2): range exactly 1,
    # though as floats 8/3 - 5/3 comes out as 0.9999999999999998.
    low = mean([2, 2, 1])
    high = mean([3, 3, 2])
    assert float(high) - float(low) < 1
    result = spread([low, high])
    assert result.range == DIFFERS_AT
    assert result.differs


def test_it_gives_no_spread_for_no_values_and_none_for_one():
    assert spread([]) is None
    assert spread([F(5, 2)]) == Spread(stdev=0.0, low=F(5, 2), high=F(5, 2))


def test_it_orders_priorities_lowest_first_breaking_ties_by_range():
    # b, c and d all score 1; c has the widest range (3/2); b and d tie on range 1/2 so keep
    # their order; a scores 2 so comes last. e has no range and counts as 0.
    scores = {"a": F(2), "b": F(1), "c": F(1), "d": F(1), "e": F(1)}
    ranges = {"a": F(0), "b": F(1, 2), "c": F(3, 2), "d": F(1, 2)}
    assert priorities(scores, ranges) == ["c", "b", "d", "e", "a"]


def test_it_reports_change_since_last_time():
    # a: 2 - 3/2 = 1/2; b: nothing last time -> None
    current = {"a": F(2), "b": F(3, 2)}
    assert change(current, {"a": F(3, 2)}) == {"a": F(1, 2), "b": None}
    assert change(current, None) == {"a": None, "b": None}
    assert change(current, {"a": None, "b": F(2)}) == {"a": None, "b": F(-1, 2)}


def test_it_measures_the_gap_between_self_and_partners():
    # 5/2 - 3/2 = 1; 1 - 2 = -1
    assert self_partner_gap(F(5, 2), F(3, 2)) == 1
    assert self_partner_gap(1, 2) == -1


# Properties


@given(st.lists(respondent_mean, min_size=1))
def test_it_keeps_spread_within_its_range(values):
    result = spread(values)
    assert (result.low, result.high) == (min(values), max(values))
    assert result.stdev >= 0
    # Population stdev <= range / 2 exactly (Popoviciu); allow for the float square root.
    assert result.stdev <= float(result.range / 2) + 1e-12
    assert result.differs == (result.range >= 1)


@given(st.dictionaries(st.text(max_size=3), respondent_mean), st.data())
def test_it_orders_priorities_as_a_sorted_permutation(scores, data):
    ranges = {
        key: data.draw(st.fractions(min_value=0, max_value=3, max_denominator=12))
        for key in scores
        if data.draw(st.booleans())
    }
    order = priorities(scores, ranges)
    assert sorted(order) == sorted(scores)
    for first, second in itertools.pairwise(order):
        assert scores[first] <= scores[second]
        if scores[first] == scores[second]:
            assert ranges.get(first, 0) >= ranges.get(second, 0)


@given(st.dictionaries(st.text(max_size=3), respondent_mean))
def test_it_reports_no_change_against_itself(scores):
    assert change(scores, scores) == dict.fromkeys(scores, Fraction(0))


# --- Properties of a whole round ---------------------------------------------------------------


@given(rounds, st.data())
def test_each_organisation_counts_equally_however_many_answer(by_org, data):
    org = data.draw(st.sampled_from(sorted(by_org)))
    doubled = {o: people * 2 if o == org else people for o, people in by_org.items()}
    assert (
        round_figures(tally(doubled), {}, SHAPE).partnership_scores()
        == round_figures(tally(by_org), {}, SHAPE).partnership_scores()
    )


@given(rounds)
def test_each_person_counts_once_in_the_people_equal_mean(by_org):
    figures = round_figures(tally(by_org), {}, SHAPE)
    everyone = [p for people in by_org.values() for p in people]
    assert figures.people_equal == {b: plain_mean(everyone, b) for b in ("1", "2")}


@given(rounds)
def test_the_partnership_score_lies_between_its_organisations(by_org):
    figures = round_figures(tally(by_org), {}, SHAPE)
    for behaviour, score in figures.partnership_scores().items():
        means = figures.org_means[behaviour].values()
        assert min(means) <= score <= max(means)


@given(rounds.filter(lambda r: len(r) >= 2), st.data())
def test_nothing_published_depends_on_which_pooled_organisation_a_person_belongs_to(by_org, data):
    """Move people between pooled organisations (keeping each one's size): the pool's figures
    and the partnership's do not change, so they cannot tell the pool's members apart."""
    pooled = data.draw(st.sets(st.sampled_from(sorted(by_org)), min_size=2))
    people = [p for o in sorted(pooled) for p in by_org[o]]
    shuffled = data.draw(st.permutations(people))
    moved = dict(by_org)
    start = 0
    for o in sorted(pooled):
        moved[o] = shuffled[start : start + len(by_org[o])]
        start += len(by_org[o])
    before = round_figures(tally(by_org), {}, SHAPE, pooled)
    after = round_figures(tally(moved), {}, SHAPE, pooled)
    assert before.partnership_scores() == after.partnership_scores()
    assert before.pool_means == after.pool_means == {b: plain_mean(people, b) for b in ("1", "2")}
    assert before.pool_splits == after.pool_splits
    assert before.people_equal == after.people_equal
    for question in (100, 101, 102, 103):
        assert organisation_equal(before.question_units(question)) == organisation_equal(
            after.question_units(question)
        )
    units = before.behaviour_units("1")
    assert sum(n for _, n in units) == len(by_org)


# --- Agreed and individual answers side by side ------------------------------------------

from sixways.results import scoring  # noqa: E402
from sixways.results.scoring import MASKED_DISSENT_SHARE, behaviour_beside, beside  # noqa: E402

SIDE_SCORES = {"yes": 3, "sometimes": 2, "not-always": 1, "no": 0}
side_counts = st.dictionaries(st.sampled_from(list(SIDE_SCORES)), st.integers(0, 40))
agreed_answer = st.one_of(st.none(), st.sampled_from(list(SIDE_SCORES)))


@given(agreed_answer, side_counts, st.integers(1, 10))
def test_individual_answers_are_shown_only_from_the_group_size(agreed, counts, k):
    found = beside(agreed, counts, SIDE_SCORES, k)
    people = sum(counts.values())
    assert found.people == people
    if people < k:
        assert not found.shown and found.counts == {} and found.mean is None
        assert found.gap is None and not found.masked
    else:
        assert found.shown and found.counts == counts
        total = sum(SIDE_SCORES[key] * n for key, n in counts.items())
        assert found.mean == Fraction(total, people)
        if agreed is not None:
            assert found.gap == SIDE_SCORES[agreed] - found.mean


@given(agreed_answer, side_counts)
def test_masked_dissent_is_an_agreed_yes_or_sometimes_that_many_disagree_with(agreed, counts):
    found = beside(agreed, counts, SIDE_SCORES, 1)
    people = sum(counts.values())
    against = counts.get("not-always", 0) + counts.get("no", 0)
    expected = (
        agreed in ("yes", "sometimes")
        and people > 0
        and against > 0
        and Fraction(against, people) >= MASKED_DISSENT_SHARE
    )
    assert found.masked == expected


def test_thirty_per_cent_is_enough_to_flag_it():
    assert beside("yes", {"yes": 7, "no": 3}, SIDE_SCORES, 5).masked
    assert not beside("yes", {"yes": 8, "no": 2}, SIDE_SCORES, 5).masked
    assert not beside("no", {"no": 3, "yes": 7}, SIDE_SCORES, 5).masked


@given(st.lists(st.tuples(agreed_answer, side_counts), min_size=1, max_size=5))
def test_a_behaviours_gap_is_given_only_when_no_question_is_hidden_or_unagreed(questions):
    found = [beside(a, c, SIDE_SCORES, 3) for a, c in questions]
    agreed, individual, gap = behaviour_beside(found, SIDE_SCORES)
    if all(q.shown and q.agreed is not None for q in found):
        answers = sum(q.people for q in found)
        total = sum(SIDE_SCORES[k] * n for _, c in questions for k, n in c.items())
        assert individual == Fraction(total, answers)
        assert agreed == Fraction(sum(SIDE_SCORES[q.agreed] for q in found), len(found))
        assert gap == agreed - individual
    else:
        assert (agreed, individual, gap) == (None, None, None)


def test_it_gives_the_quartiles_of_a_set_of_scores():
    found = scoring.distribution([Fraction(1), Fraction(2), Fraction(3), Fraction(4), Fraction(5)])
    assert (found.low, found.lower_quartile, found.median, found.upper_quartile, found.high) == (
        1,
        2,
        3,
        4,
        5,
    )
    even = scoring.distribution([Fraction(1), Fraction(2)])
    assert even.median == Fraction(3, 2) and even.lower_quartile == Fraction(5, 4)
    assert scoring.distribution([]) is None


@given(st.lists(st.fractions(min_value=0, max_value=3), min_size=1, max_size=40))
def test_quartiles_are_in_order_within_the_range_and_agree_with_statistics(values):
    import statistics

    found = scoring.distribution(values)
    assert found.count == len(values)
    assert found.low <= found.lower_quartile <= found.median <= found.upper_quartile <= found.high
    assert (found.low, found.high) == (min(values), max(values))
    assert found.median == statistics.median(values)
    if len(values) > 1:
        assert [found.lower_quartile, found.median, found.upper_quartile] == statistics.quantiles(
            values, n=4, method="inclusive"
        )
