"""Which organisations an individual-mode round pools and which sectors it hides
(sixways/results/privacy.py), with worked examples and properties. tests/test_privacy_attack.py
attacks what is published; these tests check the rule itself."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sixways.results.privacy import (
    MERGED,
    POOLED,
    SMALL,
    Group,
    Room,
    plan,
    publishes_figures,
    room_question,
    shown_count,
)

K = 5


def groups(**sizes) -> dict:
    """Organisations each in its own sector, by name: groups(a=10, b=2)."""
    return {name: Group(n, f"sector-{name}", name) for name, n in sizes.items()}


def test_it_pools_the_organisations_with_fewer_than_k_respondents():
    result = plan(groups(a=6, b=7, c=8, d=1, e=2, f=3), K)
    assert result.pooled == {"d": SMALL, "e": SMALL, "f": SMALL}
    assert result.organisation_shown("a") and not result.organisation_shown("d")
    assert result.has_pool and not result.withheld


def test_a_pool_under_k_takes_in_the_smallest_shown_organisation():
    # d alone would be a pool of 2: the pool's figure would be d's own.
    result = plan(groups(a=10, b=7, c=6, d=2), K)
    assert result.pooled == {"d": SMALL, "c": MERGED}
    assert result.organisation_shown("a") and result.organisation_shown("b")


def test_small_organisations_that_add_up_to_k_need_no_more():
    result = plan(groups(a=10, b=9, c=2, d=3), K)
    assert result.pooled == {"c": SMALL, "d": SMALL}


def test_two_organisations_one_small_become_one_pool():
    # The pool takes in the other one: only the partnership as a whole is shown.
    result = plan(groups(a=10, b=3), K)
    assert result.pooled == {"b": SMALL, "a": MERGED}
    assert not result.withheld


def test_it_withholds_everything_when_too_few_count_towards_the_group_size():
    # Six answers through a shareable link and two through personal links: only 2 count.
    result = plan({"a": Group(6, "s", "a", counted=0), "b": Group(2, "t", "b")}, K)
    assert result.withheld
    assert not result.organisation_shown("a")


def test_answers_through_a_shareable_link_do_not_lift_an_organisation_over_k():
    # Padding: one real respondent and four more through the shareable link.
    result = plan({"a": Group(5, "s", "a", counted=1), "b": Group(8, "t", "b")}, K)
    assert "a" in result.pooled


def test_a_sector_holding_a_pooled_organisation_is_hidden():
    # The demo's spring round.
    result = plan(
        {
            "icb": Group(2, "NHS", "icb"),
            "trust": Group(6, "NHS", "trust"),
            "pcn": Group(2, "NHS", "pcn"),
            "council": Group(5, "Local authority", "council"),
            "care": Group(1, "Care providers", "care"),
            "vcse": Group(3, "Voluntary sector", "vcse"),
            "healthwatch": Group(1, "Voluntary sector", "healthwatch"),
        },
        K,
    )
    assert result.hidden_sectors == {
        "NHS": POOLED,
        "Care providers": POOLED,
        "Voluntary sector": POOLED,
    }
    assert result.sector_shown("Local authority")
    assert set(result.pooled) == {"icb", "pcn", "care", "vcse", "healthwatch"}


def test_nothing_is_pooled_when_every_group_is_big_enough():
    result = plan(groups(a=5, b=6, c=9), K)
    assert result.pooled == {} and result.hidden_sectors == {}
    assert not result.has_pool


def test_small_counts_are_shown_as_fewer_than_k():
    assert [shown_count(n, K) for n in (0, 1, 4, 5, 12)] == [0, None, None, 5, 12]


def test_an_open_individual_round_publishes_no_figures():
    assert not publishes_figures(individual=True, closed=False)
    assert publishes_figures(individual=True, closed=True)
    assert publishes_figures(individual=False, closed=False)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=12),  # respondents
            st.integers(min_value=0, max_value=12),  # of them through a shareable link
            st.integers(min_value=0, max_value=3),  # sector
        ),
        min_size=1,
        max_size=9,
    )
)
def test_every_published_group_has_at_least_k_that_count(organisations):
    sizes = {f"o{i}": n for i, (n, _, _) in enumerate(organisations)}
    counted = {f"o{i}": n - min(s, n) for i, (n, s, _) in enumerate(organisations)}
    sectors = {f"o{i}": f"s{s}" for i, (_, _, s) in enumerate(organisations)}
    result = plan({o: Group(sizes[o], sectors[o], o, counted[o]) for o in sizes}, K)
    if sum(counted.values()) < K:
        assert result.withheld
        return
    assert not result.withheld
    # Every shown organisation, and the pool, has at least K responses that count.
    assert all(counted[o] >= K for o in sizes if result.organisation_shown(o))
    assert not result.pooled or sum(counted[o] for o in result.pooled) >= K
    # A shown sector holds only shown organisations, so it is a sum of published groups.
    for sector in set(sectors.values()):
        members = [o for o in sizes if sectors[o] == sector]
        if result.sector_shown(sector):
            assert all(result.organisation_shown(o) for o in members)
    # Merging goes no further than it must: without its largest merged member the pool would
    # be under K.
    merged = [o for o, why in result.pooled.items() if why == MERGED]
    if merged:
        last = max(merged, key=lambda o: (counted[o], o))
        assert sum(counted[o] for o in result.pooled if o != last) < K


# --- Rule 7: a workshop's room against the round's answers --------------------------------------


@given(
    st.dictionaries(
        st.integers(1, 24),
        st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
        max_size=6,
    ),
    st.integers(3, 10),
)
def test_the_room_rule_passes_a_round_only_when_nobody_can_be_subtracted_out(rooms, k):
    built = {
        q: Room(shown=shown, matched=min(matched, shown, sent), sent=sent)
        for q, (shown, matched, sent) in rooms.items()
    }
    found = room_question(built, k)
    if found is None:
        for room in built.values():
            for differing in (room.sent - room.matched, room.shown - room.matched):
                assert differing == 0 or differing >= k
    else:
        room = built[found]
        differing = (room.sent - room.matched, room.shown - room.matched)
        assert any(0 < d < k for d in differing)


def test_the_room_rule_names_the_question_and_refuses_what_it_cannot_reason_about():
    assert room_question({"1.1": Room(shown=6, matched=6, sent=6)}, 5) is None
    assert room_question({"1.1": Room(shown=6, matched=6, sent=7)}, 5) == "1.1"
    assert room_question({"1.1": Room(shown=6, matched=5, sent=5)}, 5) == "1.1"
    assert room_question({"1.1": Room(shown=6, matched=6, sent=11)}, 5) is None
    # One person counted by two workshops: more matched than sent.
    assert room_question({"1.1": Room(shown=12, matched=12, sent=6)}, 5) == "1.1"
