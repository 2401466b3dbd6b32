"""A round's results, read from the database and put together for one viewer.

load (this module) → decide what may be shown (privacy.py, from the groups' sizes) → compute
(scoring.py, pure Python) → assemble a RoundResults (types.py) for the viewer, one hop each.
The number of queries is fixed: it does not grow with the number of responses, organisations
or rounds, because the answers per organisation, question and option are counted as each
response is sent (rounds.Tally). Every page and export reads a RoundResults, so they all
show the same figures and hide the same groups.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q

from sixways.instruments.models import Resource
from sixways.instruments.shape import Shape, shapes
from sixways.partnerships.models import SECTOR_GROUPS, Organisation
from sixways.partnerships.roles import Viewer
from sixways.rounds.models import Mode, Response, Round, RoundAggregate, Tally

from . import cache, privacy, scoring
from .comments import first_comments
from .types import (
    PARTNERS_QUESTION,
    SELF_QUESTION,
    Behaviour,
    Gap,
    GroupResult,
    NoAnswers,
    RoundResults,
)

SUBMITTED = Response.State.SUBMITTED
NO_ORGANISATION = "No organisation given"
AGREED_RESPONSE = "The partnership's agreed response"


@contextmanager
def snapshot() -> Iterator[None]:
    """Run every query inside on one consistent snapshot of the data.

    Results are read from several queries; a response sent between two of them must not
    make the counts disagree with the scores, or an export disagree with itself. SQLite gives
    a transaction one snapshot already; PostgreSQL needs REPEATABLE READ for that.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


# --- What the database gives ----------------------------------------------------------------


@dataclass
class GroupInfo:
    name: str
    sector: str  # the broad sector group: NHS, Local authority, ...
    code: str
    respondents: int
    # Responses that count towards the group size: not through a shareable link (privacy.py).
    counted: int


# Apps above this one that show a round's figures before it closes register, here, where they
# showed them: a function of round ids giving, for each, {question id: privacy.Room}. The
# workshops app registers the rooms' spreads (workshops/apps.py); load() asks each in one go.
SHOWN_ELSEWHERE: list[Callable[[list[int]], dict[int, dict[int, privacy.Room]]]] = []


@dataclass
class RoundData:
    groups: dict[int | None, GroupInfo] = field(default_factory=dict)
    rooms: dict[int, privacy.Room] = field(default_factory=dict)  # question id -> privacy.Room
    # (organisation id, question id) -> {option id: answers}
    counts: dict[tuple[int | None, int], dict[int, int]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    # After the retention rules delete a round's answers, only each organisation's totals per
    # behaviour are kept: (organisation id, section id) -> (score sum, answers).
    totals: dict[tuple[int | None, int], tuple[int, int]] = field(default_factory=dict)

    @property
    def answers_deleted(self) -> bool:
        return bool(self.totals) and not self.counts

    @property
    def responses(self) -> int:
        return sum(g.respondents for g in self.groups.values())

    @property
    def organisations(self) -> int:
        return sum(1 for org in self.groups if org is not None)


def load(round_ids: list[int]) -> dict[int, RoundData]:
    """Four queries for any number of rounds and responses."""
    data = {round_id: RoundData() for round_id in round_ids}
    # Sent responses per organisation, and how many of them came through a personal link
    # rather than a shareable one; the organisations are read after, so the join is one row a
    # group, not a response.
    respondents = list(
        Response.objects.filter(round_id__in=round_ids, state=SUBMITTED)
        .values_list("round", "organisation")
        .annotate(n=Count("*"), shared=Count("id", filter=Q(invitation__shared_from__isnull=False)))
        .order_by()
    )
    organisations = {
        pk: (name, sector, code)
        for pk, name, sector, code in Organisation.objects.filter(
            pk__in={organisation for _, organisation, _, _ in respondents} - {None}
        ).values_list("pk", "name", "sector", "code")
    }
    for round_id, organisation, n, shared in respondents:
        name, sector, code = organisations.get(organisation, ("", "", ""))
        data[round_id].groups[organisation] = GroupInfo(
            name=name or "",
            sector=str(SECTOR_GROUPS[sector]) if sector else "",
            code=code or "",
            respondents=n,
            counted=n - shared,
        )
    # The sent answers, counted as each response was sent (rounds.models.Tally): a few
    # hundred rows a round, however many answers it has.
    tallies = Tally.objects.filter(round_id__in=round_ids).values_list(
        "round", "organisation", "question", "option", "count"
    )
    for round_id, organisation, question, option, n in tallies:
        data[round_id].counts[(organisation, question)][option] = n
    kept = RoundAggregate.objects.filter(round_id__in=round_ids).values_list(
        "round", "organisation", "section", "score_sum", "answer_count"
    )
    for round_id, organisation, section, score_sum, answer_count in kept:
        data[round_id].totals[(organisation, section)] = (score_sum, answer_count)
    for shown_elsewhere in SHOWN_ELSEWHERE:
        for round_id, rooms in shown_elsewhere(round_ids).items():
            data[round_id].rooms.update(rooms)
    return data


# --- What may be shown, and the figures -----------------------------------------------------


def visibility(round_: Round, data: RoundData, k: int) -> privacy.Visibility:
    """Which groups the round may show (privacy.py): decided from the groups' sizes alone."""
    if round_.mode != Mode.INDIVIDUAL:
        return privacy.everything_shown()
    decided = privacy.plan(
        {
            org: privacy.Group(g.respondents, g.sector or None, g.name, g.counted)
            for org, g in data.groups.items()
        },
        k,
    )
    if data.rooms:
        decided.room_question = privacy.room_question(data.rooms, k)
        decided.withheld = decided.withheld or decided.room_question is not None
    return decided


def figures(data: RoundData, shape: Shape, decided: privacy.Visibility) -> scoring.RoundFigures:
    """The round's figures (scoring.py), with the organisations the decision pools."""
    return scoring.round_figures(data.counts, data.totals, shape, decided.pooled)


def figures_shown(round_: Round, data: RoundData, decided: privacy.Visibility, k: int) -> bool:
    if data.responses == 0:
        return False
    if not privacy.publishes_figures(round_.mode == Mode.INDIVIDUAL, _closed(round_)):
        return False
    if round_.mode == Mode.INDIVIDUAL and data.responses < k:
        return False
    return not decided.withheld


def _closed(round_: Round) -> bool:
    # By the date, as the participant pages refuse answers by it: a round whose closing date
    # has passed takes no more, whether or not `close_rounds` has recorded its closing yet.
    return round_.is_closed


def _group_name(round_: Round, org: int | None, info: GroupInfo) -> str:
    if org is not None:
        return info.name
    return AGREED_RESPONSE if round_.mode == Mode.COLLECTIVE else NO_ORGANISATION


# --- A round's results for one viewer -------------------------------------------------------


def round_results(round_: Round, viewer: Viewer | None = None) -> RoundResults:
    """Everything the pages and exports show for a round, for this viewer, from one snapshot.

    A closed round's results come from the results cache after the first time (see
    cache.cache_key); an open round's are worked out on every request.
    """
    viewer = viewer or Viewer()
    with snapshot():
        previous = cache.previous_round(round_)
        key = cache.cache_key(round_, previous, viewer)
        results = cache.results_cache().get(key) if key else None
        if results is not None:
            # Every viewer with this key sees the same figures; only what they may download
            # differs, and that comes from the viewer.
            results.round, results.viewer, results.cached = round_, viewer, True
            return results
        results = _round_results(round_, viewer, previous)
        results.cache_key = key
    if key:
        cache.results_cache().set(key, results)
    return results


def _round_results(round_: Round, viewer: Viewer, previous: Round | None) -> RoundResults:
    k = settings.MIN_GROUP_SIZE
    structure = shapes({round_.instrument_id})[round_.instrument_id]
    loaded = load([round_.pk] + ([previous.pk] if previous else []))
    data = loaded[round_.pk]
    decided = visibility(round_, data, k)
    behaviours = [
        Behaviour(
            section=s,
            questions=structure.questions_in(s),
            max_score=structure.max_score,
        )
        for s in structure.sections
    ]
    results = RoundResults(
        round=round_,
        responses=data.responses,
        organisations=data.organisations,
        min_group_size=k,
        options=structure.options,
        behaviours=behaviours,
        previous=previous,
        priorities=[],
        viewer=viewer,
        instrument_version=round_.instrument.version,
        answers_deleted=data.answers_deleted,
    )
    if data.responses and not privacy.publishes_figures(results.individual, _closed(round_)):
        results.awaiting_close = True
        return results
    if data.responses == 0 or results.suppressed:
        return results
    if decided.withheld:
        results.withheld, results.visibility = True, decided
        return results
    computed = figures(data, structure, decided)

    previous_scores: dict[str, Fraction] = {}
    if previous:
        before, before_decided = loaded[previous.pk], visibility(previous, loaded[previous.pk], k)
        # A previous round that showed no figures must not be revealed through the change.
        if figures_shown(previous, before, before_decided, k):
            previous_scores = figures(before, structure, before_decided).partnership_scores()
            results.previous_shown = True

    results.visibility = decided
    results.organisation_results = _organisations(round_, data, computed, decided, viewer)
    results.groups_total = len(data.groups)
    results.hidden_total = sum(1 for org in data.groups if org in decided.pooled)
    results.sector_results = _sectors(data, computed, structure, decided)

    comments, comment_counts = first_comments(results)
    for behaviour in behaviours:
        key = behaviour.section.key
        means = computed.org_means.get(key)
        if not means:
            continue
        units = computed.behaviour_units(key)
        behaviour.score = scoring.organisation_equal(units)
        behaviour.counts = {q.pk: computed.question_counts[q.pk] for q in behaviour.questions}
        behaviour.respondent_weighted = computed.people_equal.get(key)
        # Over the shown organisations and the pool: a pooled organisation's own score, as the
        # low or high of a range, would be shown.
        behaviour.spread = scoring.organisation_spread(units)
        behaviour.sector_spread = scoring.spread(
            [s.scores[key] for s in results.sector_results if s.shown and key in s.scores]
        )
        behaviour.question_means = {
            q.pk: scoring.organisation_equal(computed.question_units(q.pk))
            for q in behaviour.questions
            if computed.question_org_means.get(q.pk)
        }
        behaviour.comments = comments.get(behaviour.section.pk, [])
        behaviour.comment_count = comment_counts.get(behaviour.section.pk, 0)

    lowest = min(structure.options, key=lambda o: o.score).key
    results.no_answers = [
        NoAnswers(q, computed.question_counts[q.pk][lowest])
        for q in structure.questions
        if computed.question_counts[q.pk][lowest]
    ]
    results.has_no_answers = bool(results.no_answers)
    if results.has_no_answers:
        results.resources = list(Resource.objects.filter(instrument_id=round_.instrument_id))

    results.gap = _gap(structure, computed)
    results.own = next((o for o in results.organisation_results if o.own), None)

    scored = results.behaviour_scores
    changes = scoring.change(scored, previous_scores)
    for behaviour in behaviours:
        behaviour.change = changes.get(behaviour.section.key)
    ranges = {b.section.key: b.spread.range for b in behaviours if b.spread is not None}
    order = scoring.priorities(scored, ranges)
    by_key = {b.section.key: b for b in behaviours}
    results.priorities = [by_key[key] for key in order]
    return results


def _organisations(round_, data, computed, visibility, viewer) -> list[GroupResult]:
    """The shown organisations by name, then the pool; a partner lead gets only their own
    organisation (a row that says it is pooled, if it is)."""
    rows = []
    for org, info in data.groups.items():
        own = viewer.partner_lead and viewer.sees_organisation(org)
        shown = visibility.organisation_shown(org)
        if not (own if viewer.partner_lead else shown):
            continue
        group = GroupResult(
            key=org,
            name=_group_name(round_, org, info),
            sector=info.sector,
            respondents=info.respondents,
            shown=shown,
            reason=visibility.pooled.get(org),
            code=info.code,
            own=own,
        )
        if shown:
            group.scores = {
                b: means[org] for b, means in computed.org_means.items() if org in means
            }
            group.splits = {b: dict(splits[org]) for b, splits in computed.org_splits.items()}
            group.question_means = dict(computed.org_question_means.get(org, {}))
        rows.append(group)
    rows.sort(key=lambda g: g.name.casefold())
    if visibility.has_pool and viewer.sees_every_organisation:
        pooled = [org for org in data.groups if org in visibility.pooled]
        rows.append(
            GroupResult(
                key=privacy.POOL,
                name=privacy.POOL_NAME,
                sector="",
                respondents=sum(data.groups[o].respondents for o in pooled),
                organisations=len(pooled),
                pool=True,
                scores=dict(computed.pool_means),
                splits={b: dict(split) for b, split in computed.pool_splits.items()},
                question_means=dict(computed.pool_question_means),
            )
        )
    return rows


def _sectors(data, computed, structure, visibility) -> list[GroupResult]:
    members: dict[str, list[int | None]] = defaultdict(list)
    for org, info in data.groups.items():
        if info.sector:
            members[info.sector].append(org)
    order = list(dict.fromkeys(str(label) for label in SECTOR_GROUPS.values()))
    rows = []
    for sector in sorted(members, key=order.index):
        orgs = members[sector]
        shown = visibility.sector_shown(sector)
        group = GroupResult(
            key=sector,
            name=sector,
            sector=sector,
            respondents=sum(data.groups[o].respondents for o in orgs),
            organisations=len(orgs),
            shown=shown,
            reason=visibility.hidden_sectors.get(sector),
        )
        if shown:
            for behaviour, means in computed.org_means.items():
                group.scores[behaviour] = scoring.mean(means[o] for o in orgs if o in means)
                if computed.org_splits:
                    split = {o.key: 0 for o in structure.options}
                    for o in orgs:
                        for key, n in computed.org_splits[behaviour][o].items():
                            split[key] += n
                    group.splits[behaviour] = split
        rows.append(group)
    return rows


def _gap(structure: Shape, computed: scoring.RoundFigures) -> Gap | None:
    by_key = {q.key: q for q in structure.questions}
    own, partners = by_key.get(SELF_QUESTION), by_key.get(PARTNERS_QUESTION)
    if own is None or partners is None:
        return None
    if not computed.question_org_means.get(own.pk) or not computed.question_org_means.get(
        partners.pk
    ):
        return None
    return Gap(
        own_question=own,
        partners_question=partners,
        own=scoring.organisation_equal(computed.question_units(own.pk)),
        partners=scoring.organisation_equal(computed.question_units(partners.pk)),
        own_split=computed.question_counts[own.pk],
        partners_split=computed.question_counts[partners.pk],
    )
