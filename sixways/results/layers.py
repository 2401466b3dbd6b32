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
from sixways.rounds.models import Answer, Invitation, Mode, Response, Round, Tally

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
