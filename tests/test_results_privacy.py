"""Which groups an individual-mode round hides (sixways/results/privacy.py), checked with
worked examples and by an attacker who solves the equations the shown figures make."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from sixways.results.privacy import PROTECTS, SMALL, Group, _in_span, _reduced_basis, plan

K = 5


def groups(**sizes) -> dict:
    """Organisations each in its own sector, by name: groups(a=10, b=2)."""
    return {name: Group(n, f"sector-{name}", name) for name, n in sizes.items()}


def test_it_hides_an_organisation_with_fewer_than_k_respondents():
    result = plan(groups(a=6, b=7, c=8, d=1, e=2, f=3), K)
    assert result.hidden_organisations == {"d": SMALL, "e": SMALL, "f": SMALL}
    assert result.organisation_shown("a")
    assert not result.withheld


def test_it_hides_a_second_group_so_the_first_cannot_be_worked_out_from_the_total():
    # Only d is small. Shown alone as hidden, d = partnership x 4 - a - b - c.
    result = plan(groups(a=10, b=7, c=6, d=2), K)
    assert result.hidden_organisations["d"] == SMALL
    # The smallest shown organisation goes next; with two unknowns the partnership's two
    # figures (each organisation equal, each person equal) would still solve both, so a
    # third is hidden. The largest stays shown.
    assert result.hidden_organisations["c"] == PROTECTS
    assert result.hidden_organisations["b"] == PROTECTS
    assert result.organisation_shown("a")


def test_an_attacker_with_only_the_naive_rule_could_solve_the_small_group():
    # The reason for the rule above, shown with the same linear algebra: hide only d and the
    # partnership total gives d exactly.
    sizes = {"a": 10, "b": 7, "c": 6, "d": 2}
    hidden = ["d"]
    rows = [[Fraction(1)], [Fraction(sizes["d"])]]  # the two partnership figures, over d
    assert _in_span([Fraction(1)], _reduced_basis(rows))
    # With c hidden too, two figures in two unknowns of different weights: still solvable.
    hidden = ["c", "d"]
    rows = [[Fraction(1)] * 2, [Fraction(sizes[o]) for o in hidden]]
    assert _in_span([Fraction(0), Fraction(1)], _reduced_basis(rows))


def test_three_small_groups_that_add_up_to_k_need_nothing_more_hidden():
    result = plan(groups(a=10, b=9, c=2, d=3, e=4), K)
    assert set(result.hidden_organisations) == {"c", "d", "e"}
    assert set(result.hidden_organisations.values()) == {SMALL}


def test_a_lone_different_sized_group_is_protected_even_when_the_rest_add_up_to_k():
    # Sizes 1, 2, 2: the two figures subtract to give the 1-person organisation exactly.
    result = plan(groups(a=20, b=1, c=2, d=2), K)
    assert result.hidden_organisations["a"] == PROTECTS


def test_a_sector_is_hidden_when_it_would_expose_its_small_organisations():
    # The demo's spring round: the NHS has 10 people, but its small ICB (2) and primary care
    # (2) could be worked out from the NHS figure minus the trust.
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
    assert result.hidden_sectors["NHS"] == PROTECTS
    assert result.sector_shown("Local authority")
    assert result.organisation_shown("trust") and result.organisation_shown("council")
    assert set(result.hidden_organisations) == {"icb", "pcn", "care", "vcse", "healthwatch"}


def test_it_withholds_everything_when_no_amount_of_hiding_is_enough():
    # Two organisations, one small: any figure plus the total gives the small one.
    result = plan(groups(a=10, b=3), K)
    assert result.withheld
    assert not result.organisation_shown("a")


def test_nothing_is_hidden_when_every_group_is_big_enough():
    result = plan(groups(a=5, b=6, c=9), K)
    assert result.hidden_organisations == {}
    assert result.hidden_sectors == {}


def _equations(sizes, sectors, result):
    """The equations the shown figures make over the hidden organisations."""
    hidden = sorted(result.hidden_organisations)
    column = {o: i for i, o in enumerate(hidden)}

    def row(members, weighted):
        values = [Fraction(0)] * len(hidden)
        for o in members:
            if o in column:
                values[column[o]] = Fraction(sizes[o] if weighted else 1)
        return values

    rows = [row(hidden, False), row(hidden, True)]
    for sector in {sectors[o] for o in sizes}:
        if result.sector_shown(sector):
            members = [o for o in sizes if sectors[o] == sector]
            rows += [row(members, False), row(members, True)]
    return hidden, rows


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=3)),
        min_size=1,
        max_size=9,
    )
)
def test_no_hidden_group_can_be_worked_out_from_what_is_shown(organisations):
    sizes = {f"o{i}": n for i, (n, _) in enumerate(organisations)}
    sectors = {f"o{i}": f"s{s}" for i, (_, s) in enumerate(organisations)}
    if sum(sizes.values()) < K:
        return  # such a round shows only its count
    result = plan({o: Group(sizes[o], sectors[o], o) for o in sizes}, K)
    if result.withheld:
        return
    # Every group shown has at least K people.
    assert all(sizes[o] >= K for o in sizes if result.organisation_shown(o))
    for sector in set(sectors.values()):
        if result.sector_shown(sector):
            members = [o for o in sizes if sectors[o] == sector]
            assert sum(sizes[o] for o in members) >= K
            hidden_here = [o for o in members if o in result.hidden_organisations]
            assert not hidden_here or (
                len(hidden_here) >= 2 and sum(sizes[o] for o in hidden_here) >= K
            )
    # What no shown sector covers holds at least K people.
    uncovered = [o for o in result.hidden_organisations if not result.sector_shown(sectors[o])]
    assert not uncovered or sum(sizes[o] for o in uncovered) >= K
    # And no hidden organisation's figure is a combination of the shown ones.
    hidden, rows = _equations(sizes, sectors, result)
    basis = _reduced_basis(rows)
    for index in range(len(hidden)):
        target = [Fraction(0)] * len(hidden)
        target[index] = Fraction(1)
        assert not _in_span(target, basis), f"{hidden[index]} can be worked out"
