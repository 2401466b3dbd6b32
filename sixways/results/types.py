"""What the results pages and downloads read: a round's figures fitted to one viewer
(RoundResults) and a partnership's trend. Built by queries.py and trend.py; every page and
file reads these, so they all show the same figures and hide the same groups."""

from dataclasses import dataclass, field
from fractions import Fraction

from sixways.design.text import plural
from sixways.instruments.models import Option, Question, Resource, Section
from sixways.partnerships.roles import Viewer
from sixways.rounds.models import Mode, Round

from . import privacy, scoring

# Questions 1.3 and 1.4 ask the same thing of "you" and of "your partners".
SELF_QUESTION, PARTNERS_QUESTION = "1.3", "1.4"


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
                f"This round closed with {plural(self.responses, 'response')}, and results are "
                f"shown only when at least {k} people have answered, so that nobody's answers "
                "can be picked out. To see its results, reopen the round and invite more people."
            )
        if self.withheld and self.visibility.room_question is not None:
            key = next(
                (
                    q.key
                    for b in self.behaviours
                    for q in b.questions
                    if q.pk == self.visibility.room_question
                ),
                "",
            )
            return (
                f"Results are not shown: a workshop showed the room its answers to question "
                f"{key}, and between 1 and {k - 1} people answered it outside the room, changed "
                "the answer they gave in it, or voted in the room without sending their answers. "
                "Taking the room's answers from the results would show theirs. To see the "
                "results, reopen the round, so that those who voted in the room can send their "
                f"answers and more people can answer, until each of those groups is none or at "
                f"least {k}."
            )
        if self.withheld:
            return (
                f"Results are not shown: fewer than {k} people answered through their own "
                "link. Answers through an organisation's shareable link count in the figures, "
                f"but not towards the {k}, because anyone with the link could answer more than "
                "once. To see its results, reopen the round and invite people by email, which "
                "gives each their own link."
            )
        return ""

    @property
    def individual(self) -> bool:
        return self.round.mode == Mode.INDIVIDUAL

    @property
    def pool(self) -> GroupResult | None:
        return next((o for o in self.organisation_results if o.pool), None)

    @property
    def organisations_shown(self) -> int:
        return sum(1 for o in self.organisation_results if o.shown and not o.pool)

    @property
    def mostly_pooled(self) -> bool:
        """More organisations counted together than shown on their own: the partnership's
        organisations are small for individual answers, and organisational mode would show
        every one."""
        pool = self.pool
        return pool is not None and pool.organisations > self.organisations_shown

    @property
    def behaviour_scores(self) -> dict[str, Fraction]:
        return {b.section.key: b.score for b in self.behaviours if b.score is not None}

    def option_label(self, key: str) -> str:
        return next((o.label for o in self.options if o.key == key), key)


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
