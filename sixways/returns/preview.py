"""What importing a checked file would do to its round's results, worked out before anything
is saved.

The round's figures are loaded as the results pages load them (results.queries.load), the
file's totals are added to the same counts, and both are put through the same privacy
decision and scoring, so the preview says exactly what the results will then show.

It shows no more than the results may: while an individual round is open its figures are
not shown (docs/adr/0008), so neither is how the file would move them: the preview gives the
file's own figures then, which its uploader holds already, and which organisations the file
would bring up to the group size.
"""

import copy
from fractions import Fraction

from django.conf import settings

from sixways.instruments.shape import Shape
from sixways.partnerships.models import SECTOR_GROUPS, Organisation
from sixways.results import privacy, scoring
from sixways.results.queries import (
    NO_ORGANISATION,
    GroupInfo,
    RoundData,
    figures,
    figures_shown,
    load,
    snapshot,
    visibility,
)
from sixways.rounds.models import Round

from .checking import Totals


def _with_file(data: RoundData, totals: Totals, names: dict) -> RoundData:
    after = copy.deepcopy(data)
    for organisation, n in totals.respondents.items():
        group = after.groups.get(organisation)
        if group is None:
            name, sector, code = names.get(organisation, ("", "", ""))
            group = after.groups[organisation] = GroupInfo(
                name=name,
                sector=str(SECTOR_GROUPS[sector]) if sector else "",
                code=code,
                respondents=0,
                counted=0,
            )
        # A return brought in by a facilitator counts towards the group size as a personal
        # link's response does (docs/adr/0014).
        group.respondents += n
        group.counted += n
    for key, options in totals.counts.items():
        kept = after.counts[key]
        for option, n in options.items():
            kept[option] = kept.get(option, 0) + n
    return after


def _scores(round_: Round, data: RoundData, structure: Shape, k: int) -> dict[str, Fraction]:
    decided = visibility(round_, data, k)
    if not figures_shown(round_, data, decided, k):
        return {}
    return figures(data, structure, decided).partnership_scores()


def _shown(round_: Round, data: RoundData, k: int) -> set:
    if round_.mode != "individual":
        return set(data.groups)
    decided = visibility(round_, data, k)
    if decided.withheld:
        return set()
    return {org for org in data.groups if decided.organisation_shown(org)}


def effect(round_: Round, structure: Shape, totals: Totals) -> dict:
    """The preview, as plain data to keep with the upload (JSON)."""
    k = settings.MIN_GROUP_SIZE
    with snapshot():
        before = load([round_.pk])[round_.pk]
        names = {
            pk: (name, sector, code)
            for pk, name, sector, code in Organisation.objects.filter(
                pk__in=[o for o in totals.respondents if o is not None]
            ).values_list("pk", "name", "sector", "code")
        }
    after = _with_file(before, totals, names)
    scores_before = _scores(round_, before, structure, k)
    scores_after = _scores(round_, after, structure, k)
    own = scoring.round_figures(totals.counts, {}, structure).partnership_scores()
    behaviours = []
    for section in structure.sections:
        key = section.key
        behaviours.append(
            {
                "key": key,
                "title": section.title,
                "before": _number(scores_before.get(key)),
                "after": _number(scores_after.get(key)),
                "file": _number(own.get(key)),
            }
        )
    shown_before, shown_after = _shown(round_, before, k), _shown(round_, after, k)

    def name(org) -> str:
        return (
            names.get(org, (None,))[0]
            or (after.groups[org].name if org in after.groups else "")
            or NO_ORGANISATION
        )

    return {
        "returns": totals.rows,
        "organisations": sorted(
            ({"name": name(org), "returns": n} for org, n in totals.respondents.items()),
            key=lambda o: o["name"],
        ),
        "responses_before": before.responses,
        "responses_after": after.responses,
        "figures_before": bool(scores_before),
        "figures_after": bool(scores_after),
        # Whether the round shows figures yet at all (an open individual round does not).
        "figures_published": privacy.publishes_figures(
            round_.mode == "individual", round_.is_closed
        ),
        "behaviours": behaviours,
        "newly_shown": sorted(name(o) for o in shown_after - shown_before if o is not None),
        "no_longer_shown": sorted(name(o) for o in shown_before - shown_after if o is not None),
        "min_group_size": k,
    }


def _number(value: Fraction | None) -> str | None:
    """Kept as a fraction's text, so the page rounds it exactly as the results pages do."""
    return None if value is None else f"{value.numerator}/{value.denominator}"
