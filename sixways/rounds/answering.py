"""Answering a round: saving a page of a draft response and sending the response.

Both lock the response and its round first (`_lock`) and check them on that fresh copy, so a
save or send racing the round's close, or another browser tab, is refused rather than
half-done. The exceptions say why a save or send was refused, for the pages to explain.
"""

from django.db import connection, transaction
from django.utils import timezone

from sixways.instruments.models import Option, Question, Section
from sixways.instruments.shape import shape

from .models import Answer, Comment, Invitation, Mode, Response, Round
from .tally import add_to_tally


class RoundClosed(Exception):
    """The round is no longer taking answers."""


class AlreadySubmitted(Exception):
    """The response was sent already; it can no longer change."""


class AnsweredOnPaper(Exception):
    """An organisation's one response (organisational mode) was brought in from paper."""


class Incomplete(Exception):
    def __init__(self, missing: list[Question]):
        super().__init__(f"{len(missing)} questions unanswered")
        self.missing = missing


_ROUND = "SELECT * FROM rounds_round WHERE id = %s"
_ROUND_FOR_SHARE = _ROUND + " FOR SHARE"


def _lock(response: Response) -> Response:
    """Re-read the response and its round inside the current transaction, locked for writing.

    The round's status and the response's state are checked on this fresh copy, so a submit
    racing the round's close, or a second tab, sees the truth rather than what the page saw.
    """
    # Saves share the lock on their round (PostgreSQL's FOR SHARE): hundreds of people can
    # save in one round at once, and closing it (FOR UPDATE) waits for those already saving.
    # On SQLite, BEGIN IMMEDIATE has already made this the only writer.
    sql = _ROUND_FOR_SHARE if connection.vendor == "postgresql" else _ROUND
    round_ = Round.objects.raw(sql, [response.round_id])[0]
    fresh = Response.objects.select_for_update().get(pk=response.pk)
    fresh.round = round_
    if not round_.accepting_answers:
        raise RoundClosed
    if fresh.submitted:
        raise AlreadySubmitted
    return fresh


def save_section(
    response: Response, section: Section, answers: dict[Question, Option], comment: str
) -> None:
    """Save one page of a draft: its answers and its comment, all or nothing.

    Each is one INSERT ... ON CONFLICT DO UPDATE (SQLite and PostgreSQL), made while the
    response and its round are locked, so a page saved from two tabs at once ends as one tab's
    whole page and nothing is saved after the round closes or the response is sent.
    """
    with transaction.atomic():
        _lock(response)
        if answers:
            Answer.objects.bulk_create(
                [
                    Answer(response_id=response.pk, question_id=q.pk, option_id=o.pk)
                    for q, o in answers.items()
                ],
                update_conflicts=True,
                unique_fields=["response", "question"],
                update_fields=["option"],
            )
        if comment.strip():
            Comment.objects.bulk_create(
                [Comment(response_id=response.pk, section_id=section.pk, text=comment.strip())],
                update_conflicts=True,
                unique_fields=["response", "section"],
                update_fields=["text"],
            )
        else:
            Comment.objects.filter(response=response, section=section).delete()
        Response.objects.filter(pk=response.pk).update(updated_at=timezone.now())


def _answered_on_paper(response: Response) -> bool:
    """In an organisational round each organisation sends one response: one already brought
    in from a paper return stops its online link sending another. Checked with the round
    locked, as importing returns locks it too."""
    if response.round.mode != Mode.ORGANISATIONAL or response.organisation_id is None:
        return False
    return (
        Response.objects.filter(
            round_id=response.round_id,
            organisation_id=response.organisation_id,
            state=Response.State.SUBMITTED,
            invitation__kind=Invitation.Kind.PAPER,
        )
        .exclude(pk=response.pk)
        .exists()
    )


def submit(response: Response) -> None:
    """Send a response: every question must be answered. One transaction."""
    with transaction.atomic():
        fresh = _lock(response)
        answered = set(fresh.answers.values_list("question_id", flat=True))
        missing = [q for q in shape(response.round.instrument).questions if q.pk not in answered]
        if missing:
            raise Incomplete(missing)
        if _answered_on_paper(fresh):
            raise AnsweredOnPaper
        now = timezone.now()
        Response.objects.filter(pk=fresh.pk).update(
            state=Response.State.SUBMITTED, submitted_at=now, updated_at=now
        )
        add_to_tally(fresh)
    response.refresh_from_db()
