"""The API's tables (docs/api.md): each a list of documented columns and its rows.

Every figure comes from what an observer of the partnership sees,
`results.queries.round_results(round_, Viewer(role=Role.OBSERVER))`, and is put into rows by
the downloads' own record functions where they fit (results/exports.py), so a table shows
exactly what the pages and files show and hides exactly what they hide (results/privacy.py).
A round that shows no figures still has its rows, with `figures_status` saying why and the
figures empty, so nothing is dropped without a word.

One table spans every round the token reads (`Partnership.objects.for_api_token`): its own
partnership's rounds that have opened, and, for a token that includes them, the closed rounds
of the child partnerships that share their figures with it. Of a child, only what the
parent's side-by-side page shows (results/rollup.py, docs/adr/0015): the partnership's own
figures, never one organisation's, its action plan, its agreed answers or its benchmark.

`validator` is what a table is worked out from, read in a few small aggregate queries, so an
unchanged refresh is answered 304 without building the table.
"""

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from sixways.actions import review
from sixways.partnerships.models import Organisation, Partnership, Role
from sixways.partnerships.roles import Viewer
from sixways.results import benchmark, exports, privacy
from sixways.results.layers import round_layers
from sixways.results.queries import round_results
from sixways.results.types import RoundResults
from sixways.rounds.models import Mode, Response, Round, Status, Tally

from .models import ApiToken

VERSION = 1  # the API's version, in its addresses: /api/v1/
SHOWN = "shown"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, integer, number, boolean or date (YYYY-MM-DD)
    about: str
    typed: bool = False  # text people typed: neutralised against formulas in CSV


@dataclass(frozen=True)
class Table:
    key: str
    about: str
    columns: tuple[Column, ...]
    rows: Callable[["Scope"], list[list]]
    # What the table is worked out from, for its validator: "figures" (responses, names),
    # "layers" (answers kept alongside), "actions", "benchmark".
    reads: frozenset[str]

    @property
    def format(self) -> str:
        return f"sixways-api-{self.key}/1"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass
class Entry:
    round: Round
    own: bool  # a round of the token's own partnership, not of a child

    @cached_property
    def results(self) -> RoundResults:
        # What an observer of the round's own partnership sees: the pages' own code decides.
        return round_results(self.round, Viewer(role=Role.OBSERVER))


class Scope:
    """The rounds one token reads, each with its results, worked out when first asked for."""

    def __init__(self, token: ApiToken):
        self.token = token
        partnerships = Partnership.objects.for_api_token(token)
        rounds = (
            Round.objects.filter(partnership__in=partnerships)
            .exclude(status=Status.DRAFT)
            .select_related("partnership", "instrument")
            .order_by("opens_on", "id")
        )
        own = token.partnership_id
        self.entries = [
            Entry(r, r.partnership_id == own)
            for r in rounds
            # A child's open rounds are never shown to its parent (docs/adr/0015).
            if r.partnership_id == own or r.current_status == Status.CLOSED
        ]
        # The token's own partnership first, then its children by name.
        self.entries.sort(key=lambda e: (not e.own, e.round.partnership.name.casefold()))

    @property
    def own(self) -> list[Entry]:
        return [e for e in self.entries if e.own]


# --- Helpers ----------------------------------------------------------------------------------


def figures_status(results: RoundResults) -> str:
    """`shown`, or why not, in the words of the results JSON's `not_shown_reason`."""
    if results.responses == 0:
        return "no-responses"
    if results.suppressed:
        return "fewer-responses-than-min-group-size"
    if results.awaiting_close:
        return "round-still-open"
    if results.withheld:
        return "too-few-responses-through-personal-links"
    return SHOWN


def _common(entry: Entry) -> list:
    r = entry.round
    return [r.partnership_id, r.partnership.name, r.pk, r.title, figures_status(entry.results)]


def _date(value: datetime.datetime | None) -> str | None:
    return timezone.localdate(value).isoformat() if value else None


number = exports.number

COMMON = (
    Column("partnership_id", "integer", "The partnership's id in the service"),
    Column("partnership", "string", "The partnership's name", typed=True),
    Column("round_id", "integer", "The round's id (its page is /rounds/<round_id>/)"),
    Column("round", "string", "The round's title", typed=True),
    Column(
        "figures_status",
        "string",
        "`shown`, or why the round shows no figures: `no-responses`, `round-still-open`, "
        "`fewer-responses-than-min-group-size` or `too-few-responses-through-personal-links`",
    ),
)


# --- rounds -----------------------------------------------------------------------------------


def rounds_rows(scope: Scope) -> list[list]:
    rows = []
    for entry in scope.entries:
        r, results = entry.round, entry.results
        responses = results.responses
        if not entry.own and r.mode == Mode.INDIVIDUAL:
            # A parent learns that a child's round had too few, not how many (docs/adr/0015).
            responses = privacy.shown_count(responses, results.min_group_size)
        closed_on = None
        if r.current_status == Status.CLOSED:
            closed_on = _date(r.closed_at) or r.closes_on.isoformat()
        rows.append(
            [
                *_common(entry),
                "own" if entry.own else "child",
                r.partnership.get_level_display(),
                r.mode,
                r.current_status,
                r.opens_on.isoformat(),
                r.closes_on.isoformat(),
                closed_on,
                r.instrument.key,
                r.instrument.version,
                results.min_group_size,
                responses,
                results.organisations if entry.own else None,
                results.answers_deleted,
                results.why_no_figures or None,
                results.previous.pk if results.previous and results.shows_figures else None,
            ]
        )
    return rows


ROUNDS = Table(
    "rounds",
    "Every round that has opened, one row each: its dates, mode, responses and whether it "
    "shows figures.",
    (
        *COMMON,
        Column("scope", "string", "`own`: the token's partnership; `child`: one within it"),
        Column("level", "string", "The partnership's level, such as `Place`"),
        Column("mode", "string", "`collective`, `organisational` or `individual`"),
        Column(
            "status", "string", "`open` or `closed` (closed from the day after its closing date)"
        ),
        Column("opens_on", "date", "The day it opened"),
        Column("closes_on", "date", "Its closing date"),
        Column("closed_on", "date", "The day it closed; empty while open"),
        Column("instrument", "string", "The questionnaire's key, such as `six-ways`"),
        Column("instrument_version", "integer", "The questionnaire's version"),
        Column("min_group_size", "integer", "K: the smallest group shown on its own"),
        Column(
            "responses",
            "integer",
            "Sent responses; for a child's individual round, empty when fewer than K",
        ),
        Column("organisations", "integer", "Organisations that sent responses; empty for a child"),
        Column(
            "answers_deleted",
            "boolean",
            "The answers were deleted under the retention rules: only scores are kept",
        ),
        Column("why_not_shown", "string", "Why the round shows no figures, in words; else empty"),
        Column(
            "previous_round_id",
            "integer",
            "The round the change is measured from, where there is one",
        ),
    ),
    rounds_rows,
    frozenset({"figures"}),
)


# --- organisations ----------------------------------------------------------------------------


def organisations_rows(scope: Scope) -> list[list]:
    rows = []
    for entry in scope.own:
        results = entry.results
        if not results.shows_figures:
            rows.append([*_common(entry), *([None] * 8)])
            continue
        k = results.min_group_size
        groups = [("organisation", g) for g in results.organisation_results]
        groups += [("sector", g) for g in results.sector_results]
        for kind, group in groups:
            shown = exports._group(group, k)  # as the results JSON gives each group
            rows.append(
                [
                    *_common(entry),
                    "pool" if group.pool else kind,
                    shown["name"],
                    shown["code"],
                    shown["sector"],
                    shown["respondents"],
                    shown["organisations"],
                    shown["shown"],
                    shown["hidden_reason"],
                ]
            )
    return rows


GROUP_KIND = Column(
    "group_kind",
    "string",
    "`partnership` (the whole partnership), `organisation`, `pool` (the organisations counted "
    "together as Other organisations) or `sector`",
)

ORGANISATIONS = Table(
    "organisations",
    "The organisations, the pool of small ones and the sectors each round shows, with their "
    "sizes; hidden groups say why. The token's own partnership only.",
    (
        *COMMON,
        Column("kind", "string", "`organisation`, `pool` or `sector`"),
        Column("name", "string", "Its name; `Other organisations` for the pool", typed=True),
        Column("code", "string", "Its ODS, GSS or CQC code, where known"),
        Column("sector", "string", "Its broad sector, such as `NHS`, where shown"),
        Column("respondents", "integer", "How many answered; empty for fewer than K"),
        Column("organisations", "integer", "Organisations in it: more than 1 for a pool or sector"),
        Column("shown", "boolean", "Whether its figures are shown"),
        Column(
            "hidden_reason",
            "string",
            "Why not: `pooled-fewer-than-min-group-size`, "
            "`pooled-so-the-pool-reaches-min-group-size` or `holds-pooled-organisations`",
        ),
    ),
    organisations_rows,
    frozenset({"figures"}),
)


# --- scores -----------------------------------------------------------------------------------


def _groups(entry: Entry) -> list[tuple[str, object]]:
    """The groups beside the partnership, where the round shows figures: a child's never."""
    results = entry.results
    if not entry.own or not results.shows_figures:
        return []
    found = [("pool" if g.pool else "organisation", g) for g in results.organisation_results]
    return found + [("sector", g) for g in results.sector_results]


def _group_name(entry: Entry, group) -> str | None:
    """As the results JSON names a group: a hidden sector goes unnamed."""
    return exports._group(group, entry.results.min_group_size)["name"]


def scores_rows(scope: Scope) -> list[list]:
    rows = []
    for entry in scope.entries:
        results = entry.results
        shown = results.shows_figures
        priority = {b.section.key: i for i, b in enumerate(results.priorities, start=1)}
        name = entry.round.partnership.name
        for b in results.behaviours:
            spread = b.spread if shown else None
            rows.append(
                [
                    *_common(entry),
                    "partnership",
                    name,
                    b.section.key,
                    b.section.short_title,
                    number(b.score) if shown else None,
                    number(b.percent, 2) if shown else None,
                    number(b.change) if shown else None,
                    priority.get(b.section.key) if shown else None,
                    number(b.respondent_weighted) if shown else None,
                    number(spread.low) if spread else None,
                    number(spread.high) if spread else None,
                    number(spread.range) if spread else None,
                    number(spread.stdev) if spread else None,
                    spread.differs if spread else None,
                    not shown,
                ]
            )
        for kind, group in _groups(entry):
            for b in results.behaviours:
                score = group.scores.get(b.section.key) if group.shown else None
                rows.append(
                    [
                        *_common(entry),
                        kind,
                        _group_name(entry, group),
                        b.section.key,
                        b.section.short_title,
                        number(score),
                        number(score / b.max_score * 100, 2) if score is not None else None,
                        *([None] * 8),
                        not group.shown,
                    ]
                )
    return rows


GROUP_COLUMNS = (
    GROUP_KIND,
    Column(
        "group",
        "string",
        "The partnership's, organisation's or sector's name; empty for a hidden sector",
        typed=True,
    ),
    Column("behaviour", "string", "The behaviour's key, `1` to `6`"),
    Column("behaviour_title", "string", "Its short title"),
)

SUPPRESSED = Column(
    "suppressed",
    "boolean",
    "The figures in this row are withheld by the privacy rules (the round shows no figures, "
    "or the group is hidden), not missing",
)

SCORES = Table(
    "scores",
    "Each behaviour's score for the partnership, and for each organisation, pool and sector "
    "the round shows, in every round.",
    (
        *COMMON,
        *GROUP_COLUMNS,
        Column("score", "number", "0 to 3: the partnership's counts each organisation equally"),
        Column("percent", "number", "The score as a percentage of 3"),
        Column("change", "number", "Change since the previous round (partnership rows)"),
        Column("priority", "integer", "1 is the first to work on (partnership rows)"),
        Column(
            "respondent_weighted",
            "number",
            "The score with each person counting equally (partnership rows)",
        ),
        Column("spread_low", "number", "Lowest score of the shown groups (partnership rows)"),
        Column("spread_high", "number", "Highest score of the shown groups (partnership rows)"),
        Column("spread_range", "number", "High minus low (partnership rows)"),
        Column("standard_deviation", "number", "Over the shown groups (partnership rows)"),
        Column(
            "partners_see_this_differently",
            "boolean",
            "The spread is wide enough to talk about (partnership rows)",
        ),
        SUPPRESSED,
    ),
    scores_rows,
    frozenset({"figures"}),
)


# --- answers (each group's answers to each behaviour) -----------------------------------------


def answers_rows(scope: Scope) -> list[list]:
    rows = []
    for entry in scope.entries:
        results = entry.results
        shown = results.shows_figures and not results.answers_deleted
        name = entry.round.partnership.name
        for b in results.behaviours:
            split = b.split
            for o in results.options:
                rows.append(
                    [
                        *_common(entry),
                        "partnership",
                        name,
                        b.section.key,
                        b.section.short_title,
                        o.key,
                        o.label,
                        split.get(o.key, 0) if shown else None,
                        not results.shows_figures,
                    ]
                )
        for kind, group in _groups(entry):
            for b in results.behaviours:
                split = group.splits.get(b.section.key) if group.shown else None
                for o in results.options:
                    rows.append(
                        [
                            *_common(entry),
                            kind,
                            _group_name(entry, group),
                            b.section.key,
                            b.section.short_title,
                            o.key,
                            o.label,
                            split.get(o.key, 0) if split is not None else None,
                            not group.shown,
                        ]
                    )
    return rows


ANSWER_COLUMNS = (
    Column("answer", "string", "The answer's key: `yes`, `sometimes`, `not-always` or `no`"),
    Column("answer_label", "string", "The answer as people saw it"),
)

ANSWERS = Table(
    "answers",
    "How each group answered each behaviour's questions: a count per answer for the "
    "partnership and each organisation, pool and sector the round shows.",
    (
        *COMMON,
        *GROUP_COLUMNS,
        *ANSWER_COLUMNS,
        Column("count", "integer", "Answers given; empty when suppressed or deleted"),
        SUPPRESSED,
    ),
    answers_rows,
    frozenset({"figures"}),
)


# --- question-results -------------------------------------------------------------------------


def question_rows(scope: Scope) -> list[list]:
    rows = []
    for entry in scope.entries:
        results = entry.results
        shown = results.shows_figures and not results.answers_deleted
        for b in results.behaviours:
            for q in b.questions:
                counts = b.counts.get(q.pk, {})
                average = b.question_means.get(q.pk) if results.shows_figures else None
                for o in results.options:
                    rows.append(
                        [
                            *_common(entry),
                            b.section.key,
                            q.key,
                            q.text,
                            o.key,
                            o.label,
                            counts.get(o.key, 0) if shown else None,
                            number(average),
                            not results.shows_figures,
                        ]
                    )
    return rows


QUESTIONS = Table(
    "question-results",
    "Every question's answers for the whole partnership: a count per answer and the "
    "question's average, in every round. (By organisation the pages give behaviours, not "
    "questions: see answers.)",
    (
        *COMMON,
        Column("behaviour", "string", "The behaviour's key, `1` to `6`"),
        Column("question", "string", "The question's key, such as `1.3`"),
        Column("question_text", "string", "The question as people read it"),
        *ANSWER_COLUMNS,
        Column("count", "integer", "Answers given; empty when suppressed or deleted"),
        Column(
            "question_average",
            "number",
            "0 to 3, each organisation counting equally; the same on each answer's row",
        ),
        SUPPRESSED,
    ),
    question_rows,
    frozenset({"figures"}),
)


# --- agreed-answers ---------------------------------------------------------------------------

LAYER_COLUMNS = (
    Column("behaviour", "string", "The behaviour's key"),
    Column("question", "string", "The question's key"),
    Column("agreed", "string", "The agreed answer's key; empty when none"),
    Column("individual_people", "integer", "People who answered it on their own; empty under K"),
    Column("individual_yes", "integer", "How many answered Yes; empty under K"),
    Column("individual_sometimes", "integer", "How many answered Sometimes; empty under K"),
    Column("individual_not-always", "integer", "How many answered Not always; empty under K"),
    Column("individual_no", "integer", "How many answered No; empty under K"),
    Column("individual_mean", "number", "Their mean score, 0 to 3; empty when not shown"),
    Column("gap", "number", "The agreed score minus that mean; empty when either is missing"),
    Column(
        "masked_dissent",
        "boolean",
        "The agreed answer is Yes or Sometimes but many people answered Not always or No",
    ),
)


def agreed_rows(scope: Scope) -> list[list]:
    rows = []
    for entry in scope.own:
        results = entry.results
        if not results.shows_figures:
            rows.append([*_common(entry), *([None] * len(LAYER_COLUMNS))])
            continue
        layers = round_layers(entry.round)
        if layers is None:
            continue  # a round with one layer of answers has nothing here
        header, records = exports.layer_records(results, layers)
        for record in records:
            found = dict(zip(header, record, strict=True))
            found["masked_dissent"] = found["masked_dissent"] == "yes"
            found["agreed"] = found["agreed"] or None
            rows.append([*_common(entry), *(found.get(c.name) for c in LAYER_COLUMNS)])
    return rows


AGREED = Table(
    "agreed-answers",
    "For rounds with two layers of answers (a workshop, or agreed answers recorded beside "
    "people's own): each question's agreed answer, people's own answers and the gap. The "
    "token's own partnership only.",
    (*COMMON, *LAYER_COLUMNS),
    agreed_rows,
    frozenset({"figures", "layers"}),
)


# --- actions ----------------------------------------------------------------------------------

ACTION_COLUMNS = (
    Column("action", "integer", "The action's id (its page is /actions/<id>/)"),
    Column("behaviour", "string", "The behaviour it is for"),
    Column("behaviour_title", "string", "That behaviour's title"),
    Column("questions", "string", "The questions it answers, space-separated"),
    Column("title", "string", "What will be done", typed=True),
    Column("done_looks_like", "string", "What done looks like", typed=True),
    Column("owner", "string", "Who will see it through, as typed", typed=True),
    Column("organisation", "string", "The partner organisation leading it", typed=True),
    Column("due_on", "date", "Its due date"),
    Column("status", "string", "`Proposed`, `Agreed`, `In progress`, `Done` or `Dropped`"),
    Column("latest_note", "string", "The note of its latest update", typed=True),
    Column("added_on", "date", "The day it was added"),
)


def action_rows(scope: Scope) -> list[list]:
    rows = []
    for entry in scope.own:
        header, records = exports.action_records(entry.results, review.plan(entry.round.pk))
        for record in records:
            found = dict(zip(header, record, strict=True))
            r = entry.round
            rows.append(
                [
                    r.partnership_id,
                    r.partnership.name,
                    r.pk,
                    r.title,
                    *((found.get(c.name) or None) for c in ACTION_COLUMNS),
                ]
            )
    return rows


ACTIONS = Table(
    "actions",
    "Each round's action plan, whether or not the round shows figures. The token's own "
    "partnership only.",
    (*COMMON[:4], *ACTION_COLUMNS),
    action_rows,
    frozenset({"actions"}),
)


# --- benchmark --------------------------------------------------------------------------------


def benchmark_rows(scope: Scope) -> list[list]:
    partnership = scope.token.partnership
    start = [partnership.pk, partnership.name]
    if partnership.benchmark_joined_at is None:
        return [[*start, "not-taking-part", *([None] * 13)]]
    found = benchmark.standing(partnership)
    if found.snapshot is None:
        return [[*start, "no-benchmark-yet", *([None] * 13)]]
    snapshot = found.snapshot
    about = [
        _date(snapshot.taken_at),
        snapshot.level or "every-level",
        snapshot.partnerships,
        found.round.pk if found.round else None,
        found.round.title if found.round else None,
    ]
    rows = []
    for part, listed in (
        ("behaviour", found.rows),
        ("question", found.questions),
        ("movement", found.movement),
    ):
        for row in listed:
            rows.append(
                [
                    *start,
                    SHOWN,
                    *about,
                    part,
                    row["key"],
                    row["title"] or None,
                    number(row["lower_quartile"]),
                    number(row["median"]),
                    number(row["upper_quartile"]),
                    number(row["own"]),
                    row["where"] or None,
                ]
            )
    return rows


BENCHMARK = Table(
    "benchmark",
    "Where the token's partnership sits among the partnerships taking part in the benchmark: "
    "the quartiles of the latest snapshot, by behaviour, question and movement.",
    (
        *COMMON[:2],
        Column("status", "string", "`shown`, `not-taking-part` or `no-benchmark-yet`"),
        Column("taken_on", "date", "The day the snapshot was taken"),
        Column("cohort_level", "string", "The level compared, or `every-level`"),
        Column("cohort_partnerships", "integer", "Partnerships in the cohort"),
        Column("round_id", "integer", "The partnership's own round placed in it"),
        Column("round", "string", "That round's title", typed=True),
        Column("part", "string", "`behaviour`, `question` or `movement` (change since before)"),
        Column("key", "string", "The behaviour's or question's key"),
        Column("title", "string", "The behaviour's short title"),
        Column("lower_quartile", "number", "The cohort's lower quartile"),
        Column("median", "number", "The cohort's median"),
        Column("upper_quartile", "number", "The cohort's upper quartile"),
        Column("own", "number", "The partnership's own figure"),
        Column("where", "string", "Where it sits, in words: by quarter, never a rank"),
    ),
    benchmark_rows,
    frozenset({"benchmark"}),
)

TABLES = {
    t.key: t
    for t in (ROUNDS, ORGANISATIONS, SCORES, ANSWERS, QUESTIONS, AGREED, ACTIONS, BENCHMARK)
}


def records(table: Table, token: ApiToken) -> list[dict]:
    """The table's rows for this token, each a dict of its columns."""
    names = table.names
    return [dict(zip(names, row, strict=True)) for row in table.rows(Scope(token))]


# --- What a table is worked out from ----------------------------------------------------------


def validator(table: Table, token: ApiToken, representation: str) -> str:
    """A hash of everything the table is built from, for its ETag: a few aggregate queries,
    each one row a round or less, however many responses there are.

    The rounds as they stand today (status, dates, closing, deleted answers, titles, names);
    for figures, the kept tally (results/queries.py reads nothing else of the answers) and the
    names of the organisations in it; for agreed answers, the responses kept alongside, as
    `layers.layers_stamp`; for actions, `review.stamp`; for the benchmark, `benchmark.stamp`
    and the day. Anything that changes a figure changes one of these.
    """
    parts: list = [VERSION, table.format, representation, settings.MIN_GROUP_SIZE]
    rounds = list(
        Round.objects.filter(partnership__in=Partnership.objects.for_api_token(token))
        .exclude(status=Status.DRAFT)
        .order_by("pk")
        .values_list(
            "pk",
            "status",
            "closed_at",
            "title",
            "mode",
            "opens_on",
            "closes_on",
            "instrument_id",
            "retention__answers_deleted_at",
            "partnership_id",
            "partnership__name",
            "partnership__level",
        )
    )
    today = timezone.localdate()
    # A round's status follows its closing date before `close_rounds` records it.
    parts.append([(*r, r[1] == Status.OPEN and r[6] < today) for r in rounds])
    ids = [r[0] for r in rounds]
    # A closed round's answers cannot change until it reopens or they are deleted, both in
    # the rows above: the results cache relies on the same (results/cache.py). So only the
    # other rounds' tallies are read, and a refresh costs the same however many answers the
    # closed rounds hold.
    live = [r[0] for r in rounds if r[1] != Status.CLOSED or r[2] is None]
    if "figures" in table.reads and live:
        tallies = Tally.objects.filter(round_id__in=live)
        parts.append(
            list(
                tallies.values("round")
                .annotate(
                    rows=Count("*"),
                    answers=Sum("count"),
                    options=Sum(F("count") * F("option_id")),
                    questions=Sum(F("count") * F("question_id")),
                    organisations=Sum(F("count") * Coalesce("organisation_id", 0)),
                )
                .order_by("round")
                .values_list("round", "rows", "answers", "options", "questions", "organisations")
            )
        )
    if "figures" in table.reads:
        # The names beside the figures: the rounds' organisations, and any others that
        # answered a round still open.
        named = Q(rounds__in=ids)
        if live:
            named |= Q(pk__in=Tally.objects.filter(round_id__in=live).values("organisation"))
        parts.append(
            list(
                Organisation.objects.filter(named)
                .distinct()
                .order_by("pk")
                .values_list("pk", "name", "sector", "code")
            )
        )
    if "layers" in table.reads:
        parts.append(
            Response.objects.filter(round_id__in=ids, state=Response.State.ALONGSIDE).aggregate(
                n=Count("id"), version=Sum("version"), last=Max("updated_at"), ids=Sum("id")
            )
        )
    if "actions" in table.reads:
        parts.append(review.stamp(token.partnership_id))
    if "benchmark" in table.reads:
        partnership = token.partnership
        parts.append((partnership.name, benchmark.stamp(partnership), today))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
