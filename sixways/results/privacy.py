"""Which groups a round may show when people answer for themselves (individual mode).

PRODUCT.md: no organisation or sector with fewer than K respondents is shown on its own, and
hiding one group must not let it be worked out from the others and the total. This module
decides, once per round, which organisations and sectors are hidden; every page and export
then shows exactly the same groups. It has no Django imports.

What a round shows, for each behaviour and question:
- the partnership: a mean with each organisation counting equally, and the answer split and
  mean with each person counting equally;
- each shown sector: the same two kinds of figure over its organisations;
- each shown organisation: its own figures.

Take away everything shown about the shown organisations and what is left is a set of
equations over the hidden organisations' figures: one that sums them (organisations equal) and
one that weights them by respondents (people equal), for the partnership and for each shown
sector. The rules, applied until nothing changes:

1. Primary: an organisation or sector with fewer than K respondents is hidden.
2. A shown sector must not expose its hidden organisations: together they must have at least K
   respondents and be at least two organisations, or the sector is hidden.
3. The partnership must not expose the remainder: the hidden organisations that no shown sector
   covers must together have at least K respondents, or one more group is hidden (a sector that
   holds hidden organisations first, so the organisation comparison loses as little as
   possible; then the shown organisation with the fewest respondents).
4. No hidden organisation's figure may be solvable exactly from the equations (checked by
   linear algebra with exact fractions). If it is, its sector is hidden when shown, otherwise
   one more group as in rule 3. Respondent counts are treated as known, because a facilitator
   can know how many people from each organisation answered.

If nothing is left to hide and a figure could still be worked out, the round is *withheld*:
like a round with fewer than K respondents, it shows only the count. This happens only in
small cases, such as two organisations where one has fewer than K respondents.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

SMALL = "small"  # fewer than K respondents
PROTECTS = "protects"  # hidden so that a small group cannot be worked out


@dataclass(frozen=True)
class Group:
    respondents: int
    sector: Hashable | None  # None: no sector (for example no organisation given)
    name: str = ""  # only to break ties the same way every time


@dataclass
class Visibility:
    hidden_organisations: dict[Hashable, str] = field(default_factory=dict)  # key -> reason
    hidden_sectors: dict[Hashable, str] = field(default_factory=dict)
    withheld: bool = False

    def organisation_shown(self, key: Hashable) -> bool:
        return not self.withheld and key not in self.hidden_organisations

    def sector_shown(self, key: Hashable | None) -> bool:
        return not self.withheld and key is not None and key not in self.hidden_sectors


def everything_shown() -> Visibility:
    """Organisational and collective responses speak for an organisation: nothing is hidden."""
    return Visibility()


def plan(groups: Mapping[Hashable, Group], k: int) -> Visibility:
    """Decide which organisations and sectors an individual-mode round hides."""
    sectors: dict[Hashable, list[Hashable]] = {}
    for key, group in groups.items():
        if group.sector is not None:
            sectors.setdefault(group.sector, []).append(key)
    sector_size = {s: sum(groups[o].respondents for o in orgs) for s, orgs in sectors.items()}

    visibility = Visibility(
        hidden_organisations={o: SMALL for o, g in groups.items() if g.respondents < k},
        hidden_sectors={s: SMALL for s, n in sector_size.items() if n < k},
    )
    hidden_orgs = visibility.hidden_organisations
    hidden_sectors = visibility.hidden_sectors

    def shown_sectors() -> list[Hashable]:
        return [s for s in sectors if s not in hidden_sectors]

    def hidden_in(sector: Hashable) -> list[Hashable]:
        return [o for o in sectors[sector] if o in hidden_orgs]

    def size(keys) -> int:
        return sum(groups[o].respondents for o in keys)

    def hide_one_more() -> bool:
        # A shown sector holding hidden organisations first: hiding it costs one sector figure
        # and no organisation's. Then the smallest shown organisation.
        holding = sorted(
            (s for s in shown_sectors() if hidden_in(s)), key=lambda s: (sector_size[s], str(s))
        )
        if holding:
            hidden_sectors[holding[0]] = PROTECTS
            return True
        shown = sorted(
            (o for o in groups if o not in hidden_orgs),
            key=lambda o: (groups[o].respondents, groups[o].name, str(o)),
        )
        if shown:
            hidden_orgs[shown[0]] = PROTECTS
            return True
        return False

    for _ in range(2 * (len(groups) + len(sectors)) + 2):
        # Rule 2: a shown sector must not expose the hidden organisations inside it.
        exposing = [
            s
            for s in shown_sectors()
            if hidden_in(s) and (size(hidden_in(s)) < k or len(hidden_in(s)) < 2)
        ]
        if exposing:
            for s in exposing:
                hidden_sectors[s] = PROTECTS
            continue
        # Rule 3: the partnership minus everything shown must be at least K people.
        covered = {o for s in shown_sectors() for o in sectors[s]}
        remainder = [o for o in hidden_orgs if o not in covered]
        if remainder and size(remainder) < k:
            if not hide_one_more():
                visibility.withheld = True
                return visibility
            continue
        # Rule 4: no hidden organisation's figure solvable from what is shown.
        solvable = _solvable(groups, hidden_orgs, sectors, shown_sectors())
        if solvable:
            sector = groups[solvable].sector
            if sector is not None and sector not in hidden_sectors:
                hidden_sectors[sector] = PROTECTS
            elif not hide_one_more():
                visibility.withheld = True
                return visibility
            continue
        return visibility
    raise AssertionError("suppression did not settle")  # pragma: no cover - bounded above


def _solvable(groups, hidden_orgs, sectors, shown_sectors) -> Hashable | None:
    """The first hidden organisation whose figure the shown figures determine, if any."""
    unknowns = sorted(hidden_orgs, key=lambda o: (groups[o].name, str(o)))
    if not unknowns:
        return None
    column = {o: i for i, o in enumerate(unknowns)}

    def row(keys, weighted: bool) -> list[Fraction]:
        values = [Fraction(0)] * len(unknowns)
        for o in keys:
            if o in column:
                values[column[o]] = Fraction(groups[o].respondents if weighted else 1)
        return values

    equations = [row(unknowns, False), row(unknowns, True)]
    for s in shown_sectors:
        equations += [row(sectors[s], False), row(sectors[s], True)]
    basis = _reduced_basis(equations)
    for o in unknowns:
        target = [Fraction(0)] * len(unknowns)
        target[column[o]] = Fraction(1)
        if _in_span(target, basis):
            return o
    return None


def _reduced_basis(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Reduced row echelon form: (pivot column, row) pairs, each pivot 1 and alone in its column."""
    basis: list[tuple[int, list[Fraction]]] = []
    for original in rows:
        row = list(original)
        for pivot, base in basis:
            if row[pivot]:
                factor = row[pivot]
                row = [a - factor * b for a, b in zip(row, base, strict=True)]
        pivot = next((i for i, value in enumerate(row) if value), None)
        if pivot is None:
            continue
        row = [value / row[pivot] for value in row]
        for index, (other_pivot, base) in enumerate(basis):
            if base[pivot]:
                factor = base[pivot]
                basis[index] = (
                    other_pivot,
                    [a - factor * b for a, b in zip(base, row, strict=True)],
                )
        basis.append((pivot, row))
    return basis


def _in_span(vector: list[Fraction], basis: list[tuple[int, list[Fraction]]]) -> bool:
    rest = list(vector)
    for pivot, base in basis:
        if rest[pivot]:
            factor = rest[pivot]
            rest = [a - factor * b for a, b in zip(rest, base, strict=True)]
    return not any(rest)
