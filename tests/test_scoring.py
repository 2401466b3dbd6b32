import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sixways.results.scoring import (
    DIFFERS_AT,
    BehaviourScore,
    Spread,
    behaviour_score,
    change,
    mean,
    organisation_score,
    partnership_score,
    priorities,
    respondent_weighted,
    sector_means,
    self_partner_gap,
    spread,
)

F = Fraction

answer = st.integers(min_value=0, max_value=3)
respondent_mean = st.fractions(min_value=0, max_value=3, max_denominator=60)
# Each organisation is a non-empty list of its respondents' behaviour scores.
organisations = st.lists(st.lists(respondent_mean, min_size=1, max_size=6), min_size=1, max_size=8)


def as_mapping(orgs):
    return {f"org{i}": organisation_score(respondents) for i, respondents in enumerate(orgs)}


# Hand-worked examples


def test_it_scores_one_behaviour():
    # 3 + 2 + 1 + 0 = 6 of 4 * 3 = 12; mean 6/4 = 3/2; 3/2 / 3 * 100 = 50%
    score = behaviour_score([3, 2, 1, 0])
    assert score == BehaviourScore(mean=F(3, 2), total=6, max_total=12, answers=4)
    assert score.percent == 50


def test_it_scores_all_yes_as_full_marks():
    # 3 + 3 + 3 = 9 of 9; mean 3; 100%
    score = behaviour_score([3, 3, 3])
    assert (score.mean, score.total, score.max_total, score.percent) == (3, 9, 9, 100)


def test_it_uses_the_given_max_score():
    # 4 + 1 = 5 of 2 * 4 = 8; mean 5/2; 5/8 * 100 = 125/2 %
    score = behaviour_score([4, 1], max_score=4)
    assert (score.mean, score.max_total, score.percent) == (F(5, 2), 8, F(125, 2))


@pytest.mark.parametrize(
    "scores",
    [[], [4], [-1], [3, 2, 7], [True], [2.0], [F(2)], ["3"], [None]],
)
def test_it_rejects_bad_answers(scores):
    with pytest.raises(ValueError, match=r"answer|no answers"):
        behaviour_score(scores)


def test_it_rejects_a_bad_max_score():
    with pytest.raises(ValueError, match="max_score"):
        behaviour_score([0], max_score=0)


def test_it_weights_each_organisation_equally():
    # Org A has 3 respondents scoring 3, 2, 1 -> A = 6/3 = 2; Org B has 1 scoring 0 -> B = 0.
    # Partnership: (2 + 0) / 2 = 1.
    # Respondent-weighted: (3 + 2 + 1 + 0) / 4 = 3/2, i.e. (2 * 3 + 0 * 1) / (3 + 1) = 6/4.
    org_a = organisation_score([F(3), F(2), F(1)])
    org_b = organisation_score([F(0)])
    assert (org_a, org_b) == (2, 0)
    assert partnership_score({"A": org_a, "B": org_b}) == 1
    assert respondent_weighted([(org_a, 3), (org_b, 1)]) == F(3, 2)
    assert mean([3, 2, 1, 0]) == F(3, 2)


def test_it_skips_empty_groups_when_weighting_by_respondents():
    # (2 * 1 + 0 * 3) / 4 = 1/2; the group with nobody in it adds nothing.
    assert respondent_weighted([(F(2), 1), (F(3), 0), (F(0), 3)]) == F(1, 2)
    with pytest.raises(ValueError):
        respondent_weighted([(F(2), 0)])
    with pytest.raises(ValueError):
        respondent_weighted([])
    with pytest.raises(ValueError):
        respondent_weighted([(F(2), -1)])


def test_it_refuses_to_average_nothing():
    with pytest.raises(ValueError):
        mean([])
    with pytest.raises(ValueError):
        partnership_score({})


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
    low = behaviour_score([2, 2, 1]).mean
    high = behaviour_score([3, 3, 2]).mean
    assert float(high) - float(low) < 1
    result = spread([low, high])
    assert result.range == DIFFERS_AT
    assert result.differs


def test_it_gives_no_spread_for_no_values_and_none_for_one():
    assert spread([]) is None
    assert spread([F(5, 2)]) == Spread(stdev=0.0, low=F(5, 2), high=F(5, 2))


def test_it_weights_organisations_equally_within_a_sector():
    # NHS: (3 + 1) / 2 = 2; council: 1/2 / 1 = 1/2. Spread between sectors: range 3/2 -> differs.
    orgs = {"trust": F(3), "gp": F(1), "council": F(1, 2)}
    sectors = {"trust": "NHS", "gp": "NHS", "council": "Local authority"}
    result = sector_means(orgs, sectors)
    assert result == {"NHS": F(2), "Local authority": F(1, 2)}
    assert spread(result.values()).differs


def test_it_needs_a_sector_for_every_organisation():
    with pytest.raises(KeyError):
        sector_means({"trust": F(3), "charity": F(1)}, {"trust": "NHS"})


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


@given(
    st.integers(min_value=1, max_value=10).flatmap(
        lambda top: st.tuples(st.just(top), st.lists(st.integers(0, top), min_size=1))
    )
)
def test_it_keeps_behaviour_scores_in_bounds(case):
    top, scores = case
    score = behaviour_score(scores, max_score=top)
    assert 0 <= score.mean <= top
    assert 0 <= score.percent <= 100
    assert 0 <= score.total <= score.max_total == len(scores) * top
    assert score.percent == score.mean / top * 100


@given(st.lists(answer, min_size=1), st.integers().filter(lambda n: not 0 <= n <= 3))
def test_it_rejects_answers_out_of_range(scores, bad):
    with pytest.raises(ValueError):
        behaviour_score([*scores, bad])


@given(organisations, st.data())
def test_it_ignores_the_order_of_respondents_and_organisations(orgs, data):
    shuffled = data.draw(st.permutations([data.draw(st.permutations(org)) for org in orgs]))
    before, after = as_mapping(orgs), as_mapping(shuffled)
    assert partnership_score(before) == partnership_score(after)
    assert spread(before.values()) == spread(after.values())
    groups = [(organisation_score(org), len(org)) for org in orgs]
    shuffled_groups = [(organisation_score(org), len(org)) for org in shuffled]
    assert respondent_weighted(groups) == respondent_weighted(shuffled_groups)


@given(organisations, st.data())
def test_it_is_not_swayed_by_one_organisation_sending_more_people(orgs, data):
    index = data.draw(st.integers(0, len(orgs) - 1))
    doubled = [org * 2 if i == index else org for i, org in enumerate(orgs)]
    assert partnership_score(as_mapping(doubled)) == partnership_score(as_mapping(orgs))


@given(organisations)
def test_it_weights_by_respondents_like_a_plain_mean_over_everyone(orgs):
    groups = [(organisation_score(org), len(org)) for org in orgs]
    everyone = [person for org in orgs for person in org]
    assert respondent_weighted(groups) == mean(everyone)


@given(organisations)
def test_it_puts_the_partnership_score_between_its_organisations(orgs):
    scores = as_mapping(orgs)
    assert min(scores.values()) <= partnership_score(scores) <= max(scores.values())


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


@given(
    st.integers(min_value=3, max_value=5).flatmap(
        lambda n: st.lists(st.lists(answer, min_size=n, max_size=n), min_size=1, max_size=10)
    )
)
def test_it_matches_the_pooled_mean_when_everyone_answers_the_same_questions(respondents):
    means = [behaviour_score(answers).mean for answers in respondents]
    pooled = [score for answers in respondents for score in answers]
    assert organisation_score(means) == mean(pooled)


@given(st.dictionaries(st.text(max_size=3), respondent_mean))
def test_it_reports_no_change_against_itself(scores):
    assert change(scores, scores) == dict.fromkeys(scores, Fraction(0))
