"""A round's results, aggregated in the database.

The number of queries is fixed: it does not grow with the number of responses, organisations
or rounds. The answers per organisation, question and option are counted as each response is
sent (rounds.models.Tally), so reading them does not grow with the answers either; the pure rules
in scoring.py turn those counts into scores, spreads and priorities, and privacy.py decides
which groups an individual-mode round may show. Every page and export reads a RoundResults,
so they all show the same figures and hide the same groups.
"""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Case, Count, F, Max, Q, Value, When, Window
from django.db.models.functions import RowNumber

from sixways.accounts.models import RoundAggregate, RoundRetention
from sixways.instruments.models import Option, Question, Resource, Section
from sixways.partnerships.models import SECTOR_GROUPS, Membership, Organisation, Role
from sixways.rounds.models import (
    Comment,
    Mode,
    Response,
    Round,
    Status,
    Tally,
)

from . import privacy, scoring

SUBMITTED = Response.State.SUBMITTED
# Questions 1.3 and 1.4 ask the same thing of "you" and of "your partners" (PRODUCT.md).
SELF_QUESTION, PARTNERS_QUESTION = "1.3", "1.4"
NO_ORGANISATION = "No organisation given"
POOL_NAME = "Other organisations"
AGREED_RESPONSE = "The partnership's agreed response"
# The overview and the board report show a behaviour's first comments; the rest are read a
# page at a time, so neither grows with the number of responses.
COMMENTS_SHOWN = 10
COMMENTS_PER_PAGE = 50
# Bump when RoundResults changes shape, so no process reads an older pickled one.
CACHE_VERSION = 2  # 2: small organisations pooled (docs/adr/0008)


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


# --- Who is looking -------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    role: str | None = None
    organisation_id: int | None = None

    @property
    def partner_lead(self) -> bool:
        return self.role == Role.PARTNER_LEAD

    @property
    def sees_every_organisation(self) -> bool:
        # A partner lead sees the partnership and their own organisation (QUALITY.md).
        return not self.partner_lead

    @property
    def may_download_responses(self) -> bool:
        return self.role in (Role.FACILITATOR, Role.OBSERVER)


def viewer_for(user, round_: Round) -> Viewer:
    membership = (
        Membership.objects.filter(user=user, partnership_id=round_.partnership_id)
        .values("role", "organisation")
        .first()
    )
    if membership is None:
        return Viewer()
    return Viewer(role=membership["role"], organisation_id=membership["organisation"])


# --- What the database gives ----------------------------------------------------------------


@dataclass
class Structure:
    """One instrument version: its answer scale, behaviours and questions, in order."""

    options: list[Option]
    sections: list[Section]
    questions: list[Question]

    @property
    def max_score(self) -> int:
        return max(option.score for option in self.options)

    def questions_in(self, section: Section) -> list[Question]:
        return [q for q in self.questions if q.section_id == section.pk]


def _structures(instrument_ids: set[int]) -> dict[int, Structure]:
    """Three queries for any number of instrument versions."""
    structures = {i: Structure([], [], []) for i in instrument_ids}
    for option in Option.objects.filter(instrument_id__in=instrument_ids):
        structures[option.instrument_id].options.append(option)
    for section in Section.objects.filter(instrument_id__in=instrument_ids):
        structures[section.instrument_id].sections.append(section)
    for question in Question.objects.filter(instrument_id__in=instrument_ids):
        structures[question.instrument_id].questions.append(question)
    return structures


@dataclass
class GroupInfo:
    name: str
    sector: str  # the broad sector group: NHS, Local authority, ...
    code: str
    respondents: int
    # Responses that count towards the group size: not through a shareable link (privacy.py).
    counted: int


@dataclass
class RoundData:
    groups: dict[int | None, GroupInfo] = field(default_factory=dict)
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


def _load(round_ids: list[int]) -> dict[int, RoundData]:
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
    return data


# --- The figures ----------------------------------------------------------------------------


def _mean(counts: dict[str, int], scores: dict[str, int]) -> Fraction | None:
    answers = sum(counts.values())
    if not answers:
        return None
    return Fraction(sum(scores[key] * n for key, n in counts.items()), answers)


@dataclass
class GroupResult:
    """An organisation or a sector: shown with its figures, or hidden with the reason."""

    key: object
    name: str
    sector: str
    respondents: int
    organisations: int = 1
    shown: bool = True
    reason: str | None = None  # why an organisation is pooled or a sector hidden (privacy.py)
    pool: bool = False  # the organisations pooled together because they are small
    scores: dict[str, Fraction] = field(default_factory=dict)  # behaviour key -> mean
    splits: dict[str, dict[str, int]] = field(default_factory=dict)  # behaviour -> option -> n
    question_means: dict[str, Fraction] = field(default_factory=dict)
    code: str = ""
    own: bool = False  # the partner lead's own organisation

    def why_hidden(self, k: int) -> str:
        return privacy.hidden_reason(self.reason, k)

    def people(self, k: int) -> int | None:
        """How many answered, as it may be shown: None for "fewer than K"."""
        return privacy.shown_count(self.respondents, k)

    @property
    def gap(self) -> Fraction | None:
        own, partners = (self.question_means.get(k) for k in (SELF_QUESTION, PARTNERS_QUESTION))
        if own is None or partners is None:
            return None
        return scoring.self_partner_gap(own, partners)


@dataclass
class Behaviour:
    section: Section
    questions: list[Question]
    score: Fraction | None = None  # partnership score: each organisation counts equally
    respondent_weighted: Fraction | None = None
    spread: scoring.Spread | None = None
    sector_spread: scoring.Spread | None = None
    change: Fraction | None = None
    max_score: int = 3
    counts: dict[int, dict[str, int]] = field(default_factory=dict)  # question id -> option key
    comments: list["ShownComment"] = field(default_factory=list)  # the first COMMENTS_SHOWN
    comment_count: int = 0
    question_means: dict[int, Fraction] = field(default_factory=dict)  # question id -> mean

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

    @property
    def split(self) -> dict[str, int]:
        """Every answer to the behaviour's questions, by option."""
        total: dict[str, int] = {}
        for counts in self.counts.values():
            for key, n in counts.items():
                total[key] = total.get(key, 0) + n
        return total


@dataclass(frozen=True)
class ShownComment:
    text: str
    by: str | None  # an organisation's name, only where the rules allow it


@dataclass
class Gap:
    """Question 1.3 (your own organisation) against 1.4 (your partners)."""

    own_question: Question
    partners_question: Question
    own: Fraction  # each organisation counts equally, like the behaviour scores
    partners: Fraction
    own_split: dict[str, int]
    partners_split: dict[str, int]

    @property
    def gap(self) -> Fraction:
        return scoring.self_partner_gap(self.own, self.partners)


@dataclass
class NoAnswers:
    """Where partners answered No: the questions, so the resources can be read against them."""

    question: Question
    answers: int


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
    withheld: bool = False  # too few responses count towards the group size: only the count
    awaiting_close: bool = False  # an open individual round: figures when it closes
    organisation_results: list[GroupResult] = field(default_factory=list)
    sector_results: list[GroupResult] = field(default_factory=list)
    gap: Gap | None = None
    own: GroupResult | None = None  # a partner lead's own organisation
    viewer: Viewer = field(default_factory=Viewer)
    no_answers: list[NoAnswers] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    instrument_version: int = 1
    answers_deleted: bool = False  # only behaviour totals are kept (retention)
    # Across every organisation, whoever is looking (a partner lead's list holds only theirs).
    groups_total: int = 0
    hidden_total: int = 0
    previous_shown: bool = False  # the previous round showed figures, so change can be given
    visibility: privacy.Visibility = field(default_factory=privacy.everything_shown)
    cached: bool = False  # read from the results cache (a closed round)
    cache_key: str | None = None  # a closed round's: what its kept downloads are filed under

    @property
    def suppressed(self) -> bool:
        """Too few individual responses to show any figure without risking identification."""
        return self.round.mode == Mode.INDIVIDUAL and self.responses < self.min_group_size

    @property
    def shows_figures(self) -> bool:
        return (
            self.responses > 0
            and not self.suppressed
            and not self.withheld
            and not self.awaiting_close
        )

    @property
    def why_no_figures(self) -> str:
        """Why the round shows no figures, in words for pages and files ("" when it does)."""
        k = self.min_group_size
        if self.responses == 0:
            return "No responses have been sent yet."
        if self.awaiting_close:
            people = "1 person has" if self.responses == 1 else f"{self.responses} people have"
            need = f"; at least {k} are needed for results to be shown" if self.suppressed else ""
            return (
                "Results appear when the round closes, so that nobody can work out one "
                "person's answers by comparing the results before and after they answer. "
                f"So far {people} sent answers{need}."
            )
        if self.suppressed:
            return (
                f"Results are shown once at least {k} people have answered, so that nobody's "
                "answers can be picked out."
            )
        if self.withheld:
            return (
                f"Results are not shown: fewer than {k} people answered through their own "
                "link. Answers through an organisation's shareable link count in the figures, "
                f"but not towards the {k}, because anyone with the link could answer more than "
                "once. Invite people by email to give them their own link."
            )
        return ""

    @property
    def individual(self) -> bool:
        return self.round.mode == Mode.INDIVIDUAL

    @property
    def pool(self) -> GroupResult | None:
        return next((o for o in self.organisation_results if o.pool), None)

    @property
    def behaviour_scores(self) -> dict[str, Fraction]:
        return {b.section.key: b.score for b in self.behaviours if b.score is not None}

    def option_label(self, key: str) -> str:
        return next((o.label for o in self.options if o.key == key), key)


@dataclass
class Computed:
    """One round's figures before they are fitted to a viewer."""

    responses: int
    organisations: int
    visibility: privacy.Visibility
    org_means: dict[str, dict[int | None, Fraction]]  # behaviour key -> organisation -> mean
    org_splits: dict[str, dict[int | None, dict[str, int]]]
    org_question_means: dict[int | None, dict[str, Fraction]]
    question_counts: dict[int, dict[str, int]]  # question id -> option key -> n
    question_org_means: dict[int, dict[int | None, Fraction]]
    # The pooled organisations' answers taken together (privacy.py): by behaviour and question.
    pool_means: dict[str, Fraction] = field(default_factory=dict)
    pool_splits: dict[str, dict[str, int]] = field(default_factory=dict)
    pool_question_means: dict[str, Fraction] = field(default_factory=dict)  # question key
    pool_question_ids: dict[int, Fraction] = field(default_factory=dict)  # question id

    def units(self, means: dict[int | None, Fraction], pool_mean: Fraction | None):
        """(score, organisations) pairs for scoring.organisation_equal: each shown
        organisation is one; the pool is one unit counted as the organisations it holds."""
        shown = [(m, 1) for org, m in means.items() if self.visibility.organisation_shown(org)]
        pooled = sum(1 for org in means if org in self.visibility.pooled)
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
            key: scoring.organisation_equal(self.behaviour_units(key))
            for key, means in self.org_means.items()
            if means
        }


def _compute(round_: Round, data: RoundData, structure: Structure, k: int) -> Computed:
    option_key = {o.pk: o.key for o in structure.options}
    scores = {o.key: o.score for o in structure.options}
    question_key = {q.pk: q.key for q in structure.questions}
    section_of = {q.pk: q.section_id for q in structure.questions}
    section_key = {s.pk: s.key for s in structure.sections}

    org_splits: dict[str, dict[int | None, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {o.key: 0 for o in structure.options})
    )
    question_counts: dict[int, dict[str, int]] = {
        q.pk: {o.key: 0 for o in structure.options} for q in structure.questions
    }
    per_org_question: dict[int | None, dict[int, dict[str, int]]] = defaultdict(dict)
    for (org, question), by_option in data.counts.items():
        if question not in section_of:
            continue  # cannot happen: answers belong to the round's instrument
        behaviour = section_key[section_of[question]]
        keyed = {option_key[o]: n for o, n in by_option.items()}
        per_org_question[org][question] = keyed
        for key, n in keyed.items():
            org_splits[behaviour][org][key] += n
            question_counts[question][key] += n

    org_means = {
        behaviour: {org: _mean(split, scores) for org, split in by_org.items()}
        for behaviour, by_org in org_splits.items()
    }
    if data.answers_deleted:
        org_means = defaultdict(dict)
        for (org, section), (score_sum, answer_count) in data.totals.items():
            if section in section_key and answer_count:
                org_means[section_key[section]][org] = Fraction(score_sum, answer_count)
    question_org_means: dict[int, dict[int | None, Fraction]] = defaultdict(dict)
    org_question_means: dict[int | None, dict[str, Fraction]] = defaultdict(dict)
    for org, by_question in per_org_question.items():
        for question, split in by_question.items():
            mean = _mean(split, scores)
            question_org_means[question][org] = mean
            org_question_means[org][question_key[question]] = mean

    responses = sum(g.respondents for g in data.groups.values())
    if round_.mode == Mode.INDIVIDUAL:
        visibility = privacy.plan(
            {
                org: privacy.Group(g.respondents, g.sector or None, g.name, g.counted)
                for org, g in data.groups.items()
            },
            k,
        )
    else:
        visibility = privacy.everything_shown()
    computed = Computed(
        responses=responses,
        organisations=sum(1 for org in data.groups if org is not None),
        visibility=visibility,
        org_means=org_means,
        org_splits=org_splits,
        org_question_means=org_question_means,
        question_counts=question_counts,
        question_org_means=question_org_means,
    )
    if visibility.has_pool:
        _pool(computed, data, per_org_question, structure, section_key, scores)
    return computed


def _pool(computed, data, per_org_question, structure, section_key, scores) -> None:
    """The pooled organisations' figures: their answers added up, each person counting once."""
    pooled = [org for org in data.groups if org in computed.visibility.pooled]
    for behaviour, by_org in computed.org_splits.items():
        split = {o.key: 0 for o in structure.options}
        for org in pooled:
            for key, n in by_org.get(org, {}).items():
                split[key] += n
        computed.pool_splits[behaviour] = split
        if (mean := _mean(split, scores)) is not None:
            computed.pool_means[behaviour] = mean
    if data.answers_deleted:
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (org, section), (score_sum, answer_count) in data.totals.items():
            if org in computed.visibility.pooled and section in section_key:
                sums[section_key[section]][0] += score_sum
                sums[section_key[section]][1] += answer_count
        computed.pool_means = {b: Fraction(t, n) for b, (t, n) in sums.items() if n}
    question_key = {q.pk: q.key for q in structure.questions}
    for question in question_key:
        split = {o.key: 0 for o in structure.options}
        for org in pooled:
            for key, n in per_org_question.get(org, {}).get(question, {}).items():
                split[key] += n
        if (mean := _mean(split, scores)) is not None:
            computed.pool_question_ids[question] = mean
            computed.pool_question_means[question_key[question]] = mean


def _figures_shown(round_: Round, computed: Computed, k: int) -> bool:
    if computed.responses == 0:
        return False
    if not privacy.publishes_figures(round_.mode == Mode.INDIVIDUAL, _closed(round_)):
        return False
    if round_.mode == Mode.INDIVIDUAL and computed.responses < k:
        return False
    return not computed.visibility.withheld


def _closed(round_: Round) -> bool:
    # By the date, as the participant pages refuse answers by it: a round whose closing date
    # has passed takes no more, whether or not `close_rounds` has recorded its closing yet.
    return round_.is_closed


def _group_name(round_: Round, org: int | None, info: GroupInfo) -> str:
    if org is not None:
        return info.name
    return AGREED_RESPONSE if round_.mode == Mode.COLLECTIVE else NO_ORGANISATION


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


def results_cache():
    """The "results" cache in settings.CACHES."""
    return caches["results"]


def _cache_key(round_: Round, previous: Round | None, viewer: Viewer) -> str | None:
    """The results cache's key for a closed round and what the viewer changes, or None.

    A closed round's answers cannot change, so neither can its results, until it reopens or
    the retention rules delete its answers. Both change something in the key (the round's
    status and closing time, the time its answers were deleted), as does its previous round
    reopening or closing, so no process ever needs telling: each worker's cache simply stops
    finding the old entry. Only a partner lead's view differs from everyone else's.
    """
    if round_.status != Status.CLOSED or round_.closed_at is None:
        return None
    deleted = (
        RoundRetention.objects.filter(round_id=round_.pk)
        .values_list("answers_deleted_at", flat=True)
        .first()
    )
    view = f"lead-{viewer.organisation_id}" if viewer.partner_lead else "all"
    parts = [
        "results",
        CACHE_VERSION,
        round_.pk,
        round_.closed_at.timestamp(),
        deleted.timestamp() if deleted else "",
        settings.MIN_GROUP_SIZE,
        previous.pk if previous else "",
        previous.closed_at.timestamp() if previous and previous.closed_at else "",
        view,
    ]
    return ":".join(str(part) for part in parts)


def figures_key(round_: Round, viewer: Viewer) -> str:
    """What the viewer's figures of the round and the names beside them are worked out from.

    For a closed round, the results cache's key (_cache_key). For an open one, the same parts
    with the sent responses in place of the closing: each organisation's count, latest send
    and the highest response version (an agreed response's edits). Both add the names,
    sectors and codes of the organisations that answered, the partnership's name and the
    round's title, so a renamed organisation is never shown under its old name. One query
    beyond _cache_key's, grouped to one row an organisation (about 10 ms for 10,000 responses).
    """
    previous = _previous_round(round_)
    sent = list(
        Response.objects.filter(round_id=round_.pk, state=SUBMITTED)
        .values_list(
            "organisation", "organisation__name", "organisation__sector", "organisation__code"
        )
        .annotate(n=Count("*"), latest=Max("submitted_at"), version=Max("version"))
        .order_by("organisation")
    )
    figures = _cache_key(round_, previous, viewer) or ":".join(
        str(part)
        for part in [
            "open",
            CACHE_VERSION,
            round_.pk,
            round_.current_status,  # an individual round's figures appear at the closing date
            settings.MIN_GROUP_SIZE,
            previous.pk if previous else "",
            previous.closed_at.timestamp() if previous and previous.closed_at else "",
            f"lead-{viewer.organisation_id}" if viewer.partner_lead else "all",
        ]
    )
    return repr((figures, round_.partnership.name, round_.title, round_.mode, sent))


def round_results(round_: Round, viewer: Viewer | None = None) -> RoundResults:
    """Everything the pages and exports show for a round, for this viewer, from one snapshot.

    A closed round's results come from the results cache after the first time (see
    _cache_key); an open round's are worked out on every request.
    """
    viewer = viewer or Viewer()
    with snapshot():
        previous = _previous_round(round_)
        key = _cache_key(round_, previous, viewer)
        results = results_cache().get(key) if key else None
        if results is not None:
            # Every viewer with this key sees the same figures; only what they may download
            # differs, and that comes from the viewer.
            results.round, results.viewer, results.cached = round_, viewer, True
            return results
        results = _round_results(round_, viewer, previous)
        results.cache_key = key
    if key:
        results_cache().set(key, results)
    return results


def _round_results(round_: Round, viewer: Viewer, previous: Round | None) -> RoundResults:
    k = settings.MIN_GROUP_SIZE
    structure = _structures({round_.instrument_id})[round_.instrument_id]
    loaded = _load([round_.pk] + ([previous.pk] if previous else []))
    data = loaded[round_.pk]
    computed = _compute(round_, data, structure, k)
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
        responses=computed.responses,
        organisations=computed.organisations,
        min_group_size=k,
        options=structure.options,
        behaviours=behaviours,
        previous=previous,
        priorities=[],
        viewer=viewer,
        instrument_version=round_.instrument.version,
        answers_deleted=data.answers_deleted,
    )
    if computed.responses and not privacy.publishes_figures(results.individual, _closed(round_)):
        results.awaiting_close = True
        return results
    if computed.responses == 0 or results.suppressed:
        return results
    if computed.visibility.withheld:
        results.withheld = True
        return results

    previous_scores: dict[str, Fraction] = {}
    if previous:
        before = _compute(previous, loaded[previous.pk], structure, k)
        # A previous round that showed no figures must not be revealed through the change.
        if _figures_shown(previous, before, k):
            previous_scores = before.partnership_scores()
            results.previous_shown = True

    visibility = computed.visibility
    results.visibility = visibility
    scores = {o.key: o.score for o in structure.options}
    results.organisation_results = _organisations(round_, data, computed, structure, viewer)
    results.groups_total = len(data.groups)
    results.hidden_total = sum(1 for org in data.groups if org in visibility.pooled)
    results.sector_results = _sectors(data, computed, structure, visibility, scores)

    comments, comment_counts = _first_comments(results)
    for behaviour in behaviours:
        key = behaviour.section.key
        means = computed.org_means.get(key)
        if not means:
            continue
        units = computed.behaviour_units(key)
        behaviour.score = scoring.organisation_equal(units)
        behaviour.counts = {q.pk: computed.question_counts[q.pk] for q in behaviour.questions}
        behaviour.respondent_weighted = (
            _respondent_weighted(data, behaviour.section)
            if data.answers_deleted
            else _mean(behaviour.split, scores)
        )
        # Over the shown organisations and the pool: a pooled organisation's own score, as the
        # low or high of a range, would be shown.
        behaviour.spread = scoring.organisation_spread(units)
        behaviour.sector_spread = scoring.spread(
            [s.scores[key] for s in results.sector_results if s.shown and key in s.scores]
        )
        if key in previous_scores:
            behaviour.change = behaviour.score - previous_scores[key]
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

    results.gap = _gap(structure, computed, behaviours)
    results.own = next((o for o in results.organisation_results if o.own), None)

    scored = results.behaviour_scores
    ranges = {b.section.key: b.spread.range for b in behaviours if b.spread is not None}
    order = scoring.priorities(scored, ranges)
    by_key = {b.section.key: b for b in behaviours}
    results.priorities = [by_key[key] for key in order]
    return results


def _respondent_weighted(data: RoundData, section: Section) -> Fraction | None:
    pairs = [t for (_, s), t in data.totals.items() if s == section.pk]
    answers = sum(count for _, count in pairs)
    return Fraction(sum(total for total, _ in pairs), answers) if answers else None


def _organisations(round_, data, computed, structure, viewer) -> list[GroupResult]:
    """The shown organisations by name, then the pool; a partner lead gets only their own
    organisation (a row that says it is pooled, if it is)."""
    visibility = computed.visibility
    rows = []
    for org, info in data.groups.items():
        own = viewer.partner_lead and org is not None and org == viewer.organisation_id
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
                name=POOL_NAME,
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


def _sectors(data, computed, structure, visibility, scores) -> list[GroupResult]:
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


# --- Comments -----------------------------------------------------------------------------
# Never with a person's name: responses carry none. In individual mode a comment names its
# organisation only when that organisation is shown; the pooled organisations' comments are
# labelled as the pool's and listed together, after the others. A partner lead sees the names
# of their own organisation's comments only. Within a name (or none), comments come in the
# order of their link's token hash: stable, and random to anyone who cannot see the tokens, so
# neither the time sent nor a hidden organisation's name can be read from a comment's place.


def _comment_order(results: "RoundResults") -> list:
    visibility = results.visibility

    def among(keys) -> Q:
        keys = set(keys)
        q = Q(response__organisation__in=keys - {None})
        return q | Q(response__organisation__isnull=True) if None in keys else q

    named = [
        g.key
        for g in results.organisation_results
        if g.shown and not g.pool and (results.viewer.sees_every_organisation or g.own)
    ]
    return [
        Case(When(among(visibility.pooled), then=Value(1)), default=Value(0)),
        Case(
            When(among(named), then=F("response__organisation__name")),
            default=Value(""),
        ),
        F("response__invitation__token_hash"),
    ]


def _sent_comments(round_: Round):
    return Comment.objects.filter(response__round=round_, response__state=SUBMITTED)


def _author(results: RoundResults):
    """Who a comment may be shown as from: the organisation's name, or None."""
    # organisation_results holds the organisations this viewer may see, with their names.
    names = {g.key: g.name for g in results.organisation_results if g.shown}
    viewer = results.viewer

    def by(org: int | None) -> str | None:
        if not results.visibility.organisation_shown(org):
            return POOL_NAME if viewer.sees_every_organisation else None
        if not (viewer.sees_every_organisation or org == viewer.organisation_id):
            return None
        return names.get(org)

    return by


def _first_comments(results: RoundResults):
    """Each behaviour's first COMMENTS_SHOWN comments and how many there are: two queries."""
    by = _author(results)
    order = _comment_order(results)
    sent = _sent_comments(results.round)
    counts = dict(sent.values("section").annotate(n=Count("id")).values_list("section", "n"))
    first = (
        sent.annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("section")],
                order_by=[expression.asc() for expression in order],
            )
        )
        .filter(place__lte=COMMENTS_SHOWN)
        .order_by("section__position", *order)
        .values_list("section", "text", "response__organisation")
    )
    comments: dict[int, list[ShownComment]] = defaultdict(list)
    for section_id, text, org in first:
        comments[section_id].append(ShownComment(text=text, by=by(org)))
    return comments, counts


def comment_page(results: RoundResults, behaviour: Behaviour, page: int) -> list[ShownComment]:
    """One page of a behaviour's comments (COMMENTS_PER_PAGE, the first page is 1)."""
    by = _author(results)
    start = (page - 1) * COMMENTS_PER_PAGE
    rows = (
        _sent_comments(results.round)
        .filter(section=behaviour.section)
        .order_by(*_comment_order(results))
        .values_list("text", "response__organisation")[start : start + COMMENTS_PER_PAGE]
    )
    return [ShownComment(text=text, by=by(org)) for text, org in rows]


def all_comments(results: RoundResults) -> dict[int, list[ShownComment]]:
    """Every comment by behaviour (section id), for the JSON download: one query."""
    by = _author(results)
    comments: dict[int, list[ShownComment]] = defaultdict(list)
    rows = (
        _sent_comments(results.round)
        .order_by("section__position", *_comment_order(results))
        .values_list("section", "text", "response__organisation")
    )
    for section_id, text, org in rows:
        comments[section_id].append(ShownComment(text=text, by=by(org)))
    return comments


def _gap(structure: Structure, computed: Computed, behaviours: list[Behaviour]) -> Gap | None:
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


# --- Trend across rounds ----------------------------------------------------------------------


@dataclass
class TrendPoint:
    round: Round
    version: int
    responses: int
    shown: bool
    scores: dict[str, Fraction] = field(default_factory=dict)
    splits: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class TrendBehaviour:
    key: str
    title: str
    points: list[tuple[TrendPoint, Fraction | None, dict[str, int]]]


@dataclass
class Trend:
    rounds: list[TrendPoint]
    behaviours: list[TrendBehaviour]
    options: list[Option]

    @property
    def versions(self) -> list[int]:
        return sorted({p.version for p in self.rounds})


def partnership_trend(partnership_id: int, until: Round | None = None) -> Trend:
    """Each behaviour across the partnership's open and closed rounds, oldest first.

    `until` leaves out rounds that opened after that one (a board report shows the trend up
    to its own round). The number of queries is fixed however many rounds there are.
    """
    with snapshot():
        rounds = Round.objects.filter(partnership_id=partnership_id).exclude(status=Status.DRAFT)
        if until is not None:
            rounds = rounds.filter(opens_on__lte=until.opens_on)
        rounds = list(rounds.select_related("instrument").order_by("opens_on", "id"))
        structures = _structures({r.instrument_id for r in rounds})
        loaded = _load([r.pk for r in rounds])
    k = settings.MIN_GROUP_SIZE
    points = []
    for round_ in rounds:
        structure = structures[round_.instrument_id]
        computed = _compute(round_, loaded[round_.pk], structure, k)
        point = TrendPoint(
            round=round_,
            version=round_.instrument.version,
            responses=computed.responses,
            shown=_figures_shown(round_, computed, k),
        )
        if point.shown:
            point.scores = computed.partnership_scores()
            for section in structure.sections if not loaded[round_.pk].answers_deleted else []:
                split = {o.key: 0 for o in structure.options}
                for q in structure.questions_in(section):
                    for key, n in computed.question_counts[q.pk].items():
                        split[key] += n
                point.splits[section.key] = split
        points.append(point)

    # Behaviours in the newest version's order; a behaviour is matched across versions by key.
    newest = structures[rounds[-1].instrument_id] if rounds else Structure([], [], [])
    behaviours = [
        TrendBehaviour(
            key=s.key,
            title=s.short_title,
            points=[(p, p.scores.get(s.key), p.splits.get(s.key, {})) for p in points],
        )
        for s in newest.sections
    ]
    return Trend(rounds=points, behaviours=behaviours, options=newest.options)
