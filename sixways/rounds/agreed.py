"""A round's agreed response: the one response facilitators write together. It is a collective
round's own answers, and in any other round a second layer kept beside people's answers.

It is made the first time a facilitator opens it (`agreed_response`) and saved whole each time
(`save_agreed`). A version number catches two facilitators saving at once (`Conflict`), and
because an agreed response can be edited after it is marked as agreed, each save recounts the
round's tally.
"""

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from sixways.instruments.models import Option, Question, Section

from .answering import RoundClosed
from .models import Answer, Comment, Invitation, Mode, Response, Round
from .tally import rebuild_tally


class Conflict(Exception):
    """Someone else saved the agreed response after this form was shown."""

    def __init__(self, current: Response):
        super().__init__("the agreed response changed")
        self.current = current


def agreed_response(round_: Round) -> Response:
    """The round's one agreed (collective) response, made the first time it is needed."""
    invitation = Invitation.objects.filter(round=round_, kind=Invitation.Kind.COLLECTIVE).first()
    if invitation is None:
        try:
            with transaction.atomic():
                invitation, _ = Invitation.issue(round_, None, kind=Invitation.Kind.COLLECTIVE)
        except IntegrityError:
            # Another facilitator opened the page at the same moment and made it first.
            invitation = Invitation.objects.get(round=round_, kind=Invitation.Kind.COLLECTIVE)
    response, _ = Response.objects.get_or_create(
        invitation=invitation, defaults={"round": round_, "organisation": None}
    )
    return response


def agreed_state(round_: Round) -> str:
    """A collective round's agreed answers are its own; in any other round they are kept
    alongside people's answers, shown beside them and counted in nothing else
    (docs/adr/0013)."""
    return Response.State.SUBMITTED if round_.mode == Mode.COLLECTIVE else Response.State.ALONGSIDE


def save_agreed(
    response: Response,
    version: int,
    answers: dict[Question, Option],
    comments: dict[Section, str],
    *,
    agree: bool,
) -> list[Question]:
    """Save the partnership's agreed answers and comments, all or nothing.

    `version` is the one the facilitator's form was shown with: if anyone saved since, nothing
    is written and `Conflict` says so. With `agree`, the response is marked as agreed when every
    question has an answer; otherwise the unanswered questions are returned (what was given is
    still saved).
    """
    with transaction.atomic():
        fresh = Response.objects.select_for_update().get(pk=response.pk)
        round_ = Round.objects.select_for_update().get(pk=fresh.round_id)
        if not round_.accepting_answers:
            raise RoundClosed
        if fresh.version != version:
            raise Conflict(fresh)
        for question, option in answers.items():
            Answer.objects.update_or_create(
                response=fresh, question=question, defaults={"option": option}
            )
        for section, text in comments.items():
            if text.strip():
                Comment.objects.update_or_create(
                    response=fresh, section=section, defaults={"text": text.strip()}
                )
            else:
                Comment.objects.filter(response=fresh, section=section).delete()
        missing = []
        changes = {"version": models.F("version") + 1, "updated_at": timezone.now()}
        if agree and fresh.state == Response.State.DRAFT:
            answered = set(fresh.answers.values_list("question_id", flat=True))
            missing = [
                q
                for q in Question.objects.filter(instrument_id=round_.instrument_id)
                if q.pk not in answered
            ]
            if not missing:
                changes.update(state=agreed_state(round_), submitted_at=changes["updated_at"])
        Response.objects.filter(pk=fresh.pk).update(**changes)
        if round_.mode == Mode.COLLECTIVE and (fresh.submitted or "state" in changes):
            # An agreed response can still be edited: count its round again (one response).
            rebuild_tally(round_)
    response.refresh_from_db()
    return missing
