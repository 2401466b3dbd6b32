"""A round's two layers of answers side by side: what the partnership agreed, and what people
answered on their own (docs/adr/0013).

A collective round's own answers are the agreed ones; a workshop keeps each person's votes
alongside them. An individual round's own answers are people's; a facilitator may record the
agreed answers alongside. Either way the round's results, tally and downloads count only its
own layer, and this module puts the other beside it: per question the agreed answer, the
individual answers (from `MIN_GROUP_SIZE` people), the gap, and agreed answers that hide
dissent, listed first. Two queries however many people answered.
"""

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.db.models import Count, Max, Sum

from sixways.instruments.models import Question, Section
from sixways.instruments.shape import shapes
from sixways.partnerships.models import Organisation
from sixways.rounds.models import Answer, Invitation, Mode, Response, Round, Tally

from . import privacy
from .scoring import Beside, behaviour_beside, beside


@dataclass
class QuestionLayers:
    question: Question
    figures: Beside


@dataclass
class BehaviourLayers:
    section: Section
    questions: list[QuestionLayers]
    agreed: Fraction | None
    individual: Fraction | None
    gap: Fraction | None


@dataclass
class Layers:
    behaviours: list[BehaviourLayers]
    masked: list[QuestionLayers]  # agreed answers that hide dissent, the widest first
    people: int  # individuals in the other layer (or the round's own, in an individual round)
    min_group_size: int


def _counts(round_: Round) -> tuple[dict[int, str], dict[int, dict[str, int]], int]:
    """(agreed answer key per question id, individual counts per question id, individuals)."""
    agreed: dict[int, str] = {}
    individual: dict[int, dict[str, int]] = defaultdict(dict)
    if round_.mode == Mode.COLLECTIVE:
        # The agreed answers are the round's own; people's votes are kept alongside.
        rows = (
            Answer.objects.filter(
                response__round=round_,
                response__state__in=[Response.State.SUBMITTED, Response.State.ALONGSIDE],
            )
            .values_list("response__invitation__kind", "question_id", "option__key")
            .annotate(n=Count("id"))
        )
        for kind, question, option, n in rows:
            if kind == Invitation.Kind.COLLECTIVE:
                agreed[question] = option
            else:
                individual[question][option] = n
        people = Response.objects.filter(round=round_, state=Response.State.ALONGSIDE).count()
    else:
        # People's answers are the round's own, counted in its tally; the agreed answers are
        # kept alongside.
        agreed = dict(
            Answer.objects.filter(
                response__round=round_,
                response__state=Response.State.ALONGSIDE,
                response__invitation__kind=Invitation.Kind.COLLECTIVE,
            ).values_list("question_id", "option__key")
        )
        for question, option, n in (
            Tally.objects.filter(round=round_)
            .values_list("question_id", "option__key")
            .annotate(n=Sum("count"))
        ):
            individual[question][option] = n
        people = Response.objects.filter(round=round_, state=Response.State.SUBMITTED).count()
    return agreed, individual, people


def round_layers(round_: Round) -> Layers | None:
    """Both layers of a round, or None when it has only one."""
    agreed, individual, people = _counts(round_)
    if not agreed or not individual:
        return None
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    scores = {o.key: o.score for o in shape.options}
    k = settings.MIN_GROUP_SIZE
    share = Fraction(settings.MASKED_DISSENT_PERCENT, 100)
    behaviours, masked = [], []
    for section in shape.sections:
        questions = [
            QuestionLayers(q, beside(agreed.get(q.pk), individual.get(q.pk, {}), scores, k, share))
            for q in shape.questions_in(section)
        ]
        masked += [q for q in questions if q.figures.masked]
        agreed_score, individual_score, gap = behaviour_beside(
            [q.figures for q in questions], scores
        )
        behaviours.append(BehaviourLayers(section, questions, agreed_score, individual_score, gap))
    masked.sort(key=lambda q: (-Fraction(q.figures.dissent, q.figures.people), q.question.key))
    return Layers(behaviours, masked, people, k)


def layers_stamp(round_: Round) -> str:
    """Changes whenever the answers kept alongside the round's own do, for kept downloads."""
    found = Response.objects.filter(round=round_, state=Response.State.ALONGSIDE).aggregate(
        n=Count("id"), version=Sum("version"), last=Max("updated_at")
    )
    return f"{found['n']}-{found['version']}-{found['last']}"


def wording(options) -> dict:
    """What the pages and the board report name answers by, to word masked dissent: an agreed
    answer in the top half of the scale, and people in the bottom half."""
    return {
        "labels": {o.key: o.label for o in options},
        "low_side": " or ".join(f"‘{o.label}’" for o in options[len(options) // 2 :]),
    }


# --- By organisation ---------------------------------------------------------------------------


@dataclass
class GroupLayers:
    """One organisation's people (or the other organisations') beside the agreed answers."""

    key: object  # the organisation's id, privacy.POOL, or None for people who gave none
    name: str
    pool: bool
    # Question id -> the group's figures; None where, on that question, its people are counted
    # with the other organisations.
    figures: dict[int, Beside | None]


@dataclass
class OrganisationLayers:
    sections: list[tuple[Section, list[Question]]]
    agreed: dict[int, str]
    groups: list[GroupLayers]
    min_group_size: int


NOT_GIVEN = "Organisation not given"


def organisation_layers(round_: Round, results) -> OrganisationLayers | None:
    """Each organisation's people beside the agreed answers, question by question, where the
    round's results show its layers (`results` is its RoundResults for the viewer).

    The pooling rules of docs/adr/0008 hold on every question: in an individual round, the
    organisations its results show on their own and the other organisations together, as on
    every page; in a workshop, where each seat voted on the questions it chose, the rules are
    applied to each question's voters afresh, so every figure is over at least K people. A
    partner lead sees their own organisation only, as everywhere.
    """
    if not results.shows_figures:
        return None
    agreed, _, _ = _counts(round_)
    if not agreed:
        return None
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    scores = {o.key: o.score for o in shape.options}
    k = settings.MIN_GROUP_SIZE
    share = Fraction(settings.MASKED_DISSENT_PERCENT, 100)
    viewer = results.viewer
    by_question: dict[int, dict[object, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    if round_.mode == Mode.COLLECTIVE:
        rows = (
            Answer.objects.filter(
                response__round=round_,
                response__state=Response.State.ALONGSIDE,
                response__invitation__kind=Invitation.Kind.WORKSHOP,
            )
            .values_list("response__organisation", "question_id", "option__key")
            .annotate(n=Count("id"))
        )
    else:
        rows = (
            Tally.objects.filter(round=round_)
            .values_list("organisation", "question_id", "option__key")
            .annotate(n=Sum("count"))
        )
    for organisation, question, option, n in rows:
        by_question[question][organisation][option] = n

    def figures(question: Question, counts: dict[str, int]) -> Beside:
        return beside(agreed.get(question.pk), counts, scores, k, share)

    def total(groups: dict[object, dict[str, int]], keys) -> dict[str, int]:
        summed: dict[str, int] = defaultdict(int)
        for key in keys:
            for option, n in groups.get(key, {}).items():
                summed[option] += n
        return dict(summed)

    groups: list[GroupLayers] = []
    if round_.mode == Mode.COLLECTIVE:
        names = dict(
            Organisation.objects.filter(
                pk__in={o for g in by_question.values() for o in g if o is not None}
            ).values_list("pk", "name")
        )
        rows_for: dict[object, GroupLayers] = {}
        pool = GroupLayers(privacy.POOL, privacy.POOL_NAME, True, {})
        for question in shape.questions:
            voters = by_question.get(question.pk, {})
            plan = privacy.plan(
                {
                    o: privacy.Group(sum(c.values()), None, names.get(o, NOT_GIVEN))
                    for o, c in voters.items()
                },
                k,
            )
            for organisation, counts in voters.items():
                if not viewer.sees_organisation(organisation):
                    continue
                row = rows_for.setdefault(
                    organisation,
                    GroupLayers(organisation, names.get(organisation, NOT_GIVEN), False, {}),
                )
                shown = plan.organisation_shown(organisation)
                row.figures[question.pk] = figures(question, counts) if shown else None
            if viewer.sees_every_organisation:
                # Nobody counted together on this question: the pool's row says no answers.
                others = total(voters, plan.pooled) if plan.has_pool else {}
                pool.figures[question.pk] = figures(question, others)
        groups = sorted(rows_for.values(), key=lambda g: g.name.casefold())
        if any(f.people for f in pool.figures.values()):
            groups.append(pool)
    else:
        pooled = set(results.visibility.pooled)
        for group in results.organisation_results:
            keys = pooled if group.pool else {group.key}
            row = GroupLayers(group.key, group.name, group.pool, {})
            for question in shape.questions:
                counts = total(by_question.get(question.pk, {}), keys)
                row.figures[question.pk] = figures(question, counts) if group.shown else None
            groups.append(row)
    # Only the other organisations together would be the partnership's own figures again.
    if not any(f is not None and f.shown for g in groups if not g.pool for f in g.figures.values()):
        return None
    sections = [(s, shape.questions_in(s)) for s in shape.sections]
    return OrganisationLayers(sections, agreed, groups, k)
