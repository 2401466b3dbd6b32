"""What a workshop does: start, open a question or a behaviour, take votes, show the answers,
record what the room agreed, and end.

Each change happens in one transaction and raises `Workshop.version`, which screens and phones
poll. Votes on a question are taken one at a time under a lock on its `Item` row, so a vote and
the reveal can never cross: a vote either counts in the spread shown or is recorded as cast
after it. The agreed answers are written through the collective round's own code
(rounds/agreed.py), with its check that nobody else saved in between.
"""

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from sixways.instruments.models import Option, Question, Section
from sixways.rounds.agreed import agreed_response, save_agreed
from sixways.rounds.models import Answer, Invitation, Mode, Response, Round

from .models import Item, Seat, Vote, Workshop, new_code

Stage = Workshop.Stage


class NotNow(Exception):
    """The workshop is not at a stage where this can be done; the message says why."""


class TooFewVoted(NotNow):
    def __init__(self, voted: int, needed: int):
        super().__init__(
            f"The answers can be shown once {needed} people have voted: {voted} "
            f"{'has' if voted == 1 else 'have'} so far. Showing fewer could let the room work "
            f"out how one person voted. You can still record what the room agrees."
        )
        self.voted, self.needed = voted, needed


def may_run(round_: Round) -> str | None:
    """Why a workshop cannot be run for this round, or None when it can."""
    if round_.mode == Mode.ORGANISATIONAL:
        # One response an organisation: people voting as themselves do not fit it.
        return (
            "In this round each organisation sends one response, so a workshop, where people "
            "vote as themselves, cannot run in it. Run it in a collective or individual round."
        )
    if not round_.accepting_answers:
        return "A workshop can only run while its round is open."
    return None


def running(round_: Round) -> Workshop | None:
    return (
        Workshop.objects.filter(round=round_)
        .exclude(stage=Stage.ENDED)
        .select_related("section", "question")
        .first()
    )


def _bump(workshop: Workshop, *, step: bool = False, **changes) -> None:
    if step:
        changes["step"] = F("step") + 1
    Workshop.objects.filter(pk=workshop.pk).update(version=F("version") + 1, **changes)
    workshop.refresh_from_db()


def start(round_: Round, user, pace: str, *, open_actions: bool) -> Workshop:
    """A workshop for the round, with a fresh code; it starts by looking back at the open
    actions when there are any."""
    stage = Stage.OPEN_ACTIONS if open_actions else Stage.WAITING
    for _ in range(10):
        try:
            with transaction.atomic():
                return Workshop.objects.create(
                    round=round_, code=new_code(), pace=pace, stage=stage, started_by=user
                )
        except IntegrityError:
            if running(round_) is not None:
                raise NotNow("A workshop is already running for this round.") from None
            # Otherwise the code was taken by a running workshop: try another.
    raise NotNow("No join code was free. Try again.")


def _locked(workshop: Workshop) -> Workshop:
    fresh = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if fresh.stage == Stage.ENDED:
        raise NotNow("This workshop has ended.")
    return fresh


def to_questions(workshop: Workshop) -> None:
    """From the look back at open actions to the questions."""
    with transaction.atomic():
        fresh = _locked(workshop)
        if fresh.stage == Stage.OPEN_ACTIONS:
            _bump(fresh, step=True, stage=Stage.WAITING)
    workshop.refresh_from_db()


def open_item(workshop: Workshop, section: Section, question: Question | None) -> None:
    """Open a behaviour's questions (or one question) for voting; open again one already shown,
    in which case votes cast after the showing count from now on."""
    with transaction.atomic():
        fresh = _locked(workshop)
        questions = [question] if question else list(section.questions.order_by("position"))
        for q in questions:
            item, made = Item.objects.select_for_update().get_or_create(workshop=fresh, question=q)
            if not made and item.revealed_at is not None:
                Item.objects.filter(pk=item.pk).update(revealed_at=None)
                Vote.objects.filter(seat__workshop=fresh, question=q).update(after_reveal=False)
        _bump(fresh, step=True, stage=Stage.VOTING, section=section, question=question)
    workshop.refresh_from_db()


def seated(workshop: Workshop) -> int:
    return Seat.objects.filter(workshop=workshop).count()


def voted(workshop: Workshop, questions: list[Question] | None = None) -> int:
    """Seats that have voted on every open question (before any showing): one query."""
    questions = workshop.open_questions() if questions is None else questions
    if not questions:
        return 0
    return (
        Vote.objects.filter(seat__workshop=workshop, question__in=questions, after_reveal=False)
        .values("seat")
        .annotate(n=Count("id"))
        .filter(n=len(questions))
        .count()
    )


def reveal(workshop: Workshop) -> None:
    """Show the open questions' answers, if enough people have voted on them."""
    with transaction.atomic():
        fresh = _locked(workshop)
        if fresh.stage != Stage.VOTING:
            raise NotNow("Nothing is being voted on.")
        questions = fresh.open_questions()
        items = list(
            Item.objects.select_for_update().filter(workshop=fresh, question__in=questions)
        )
        count = voted(fresh, questions)
        if count < settings.MIN_GROUP_SIZE:
            raise TooFewVoted(count, settings.MIN_GROUP_SIZE)
        Item.objects.filter(pk__in=[i.pk for i in items]).update(
            revealed_at=timezone.now(), ever_revealed=True
        )
        _bump(fresh, step=True, stage=Stage.REVEALED)
    workshop.refresh_from_db()


@dataclass
class VoteResult:
    changed: list[Question]
    kept: list[Question]  # already voted on before the answers were shown: left as it was


def vote(seat: Seat, answers: dict[Question, Option]) -> VoteResult:
    """Record a seat's answers to the open questions. Sending the same again changes nothing."""
    result = VoteResult([], [])
    with transaction.atomic():
        workshop = Workshop.objects.get(pk=seat.workshop_id)
        open_now = {q.pk for q in workshop.open_questions()}
        if workshop.stage not in (Stage.VOTING, Stage.REVEALED):
            raise NotNow("There is no question to vote on just now.")
        for question, option in sorted(answers.items(), key=lambda pair: pair[0].pk):
            if question.pk not in open_now:
                raise NotNow("That question is not open for voting any more.")
            item = Item.objects.select_for_update().get(workshop=workshop, question=question)
            current = Vote.objects.filter(seat=seat, question=question).first()
            if current is not None and current.option_id == option.pk:
                continue  # a double tap or a retried request
            if item.revealed_at is not None:
                if current is not None:
                    result.kept.append(question)
                    continue
                Vote.objects.create(seat=seat, question=question, option=option, after_reveal=True)
            elif current is not None:
                Vote.objects.filter(pk=current.pk).update(option=option, cast_at=timezone.now())
            else:
                Vote.objects.create(seat=seat, question=question, option=option)
            result.changed.append(question)
        if result.changed:
            _bump(workshop)
    return result


def spread(workshop: Workshop, questions: list[Question]) -> dict[int, Counter]:
    """Counts of each option per question, votes cast after the showing left out."""
    found: dict[int, Counter] = {q.pk: Counter() for q in questions}
    rows = (
        Vote.objects.filter(seat__workshop=workshop, question__in=questions, after_reveal=False)
        .values_list("question", "option__key")
        .annotate(n=Count("id"))
    )
    for question, option, n in rows:
        found[question][option] = n
    return found


def most_divided_first(questions: list[Question], counts: dict[int, Counter], options) -> list:
    """The questions in the order to discuss them: the widest spread of scores first."""
    score = {o.key: o.score for o in options}

    def variance(question: Question) -> Fraction:
        votes = counts.get(question.pk, Counter())
        n = sum(votes.values())
        if n == 0:
            return Fraction(0)
        mean = Fraction(sum(score[k] * c for k, c in votes.items()), n)
        return sum((score[k] - mean) ** 2 * c for k, c in votes.items()) / n

    return sorted(questions, key=lambda q: (-variance(q), q.section.position, q.position))


def agreed_version(round_: Round) -> int:
    """The version of the round's agreed answers now, to save against."""
    return agreed_response(round_).version


def agree(workshop: Workshop, question: Question, option: Option, version: int) -> None:
    """Record the room's agreed answer to one question (rounds.agreed.Conflict if someone else
    saved the agreed answers since `version` was shown)."""
    if not workshop.running:
        raise NotNow("This workshop has ended.")
    response = agreed_response(workshop.round)
    save_agreed(response, version, {question: option}, {}, agree=False)
    _bump(workshop)


def comment(workshop: Workshop, section: Section, text: str, version: int) -> None:
    if not workshop.running:
        raise NotNow("This workshop has ended.")
    response = agreed_response(workshop.round)
    save_agreed(response, version, {}, {section: text}, agree=False)
    _bump(workshop)


def end(workshop: Workshop) -> list[Question]:
    """End the workshop. Each seat's votes are kept as its own response beside the round's
    agreed answers (`keep_votes`), and the agreed answers are marked as agreed when every
    question has one; otherwise the questions still without one are returned, for the agreed
    answers page."""
    with transaction.atomic():
        fresh = _locked(workshop)
        keep_votes(fresh)
        _bump(
            fresh,
            step=True,
            stage=Stage.ENDED,
            ended_at=timezone.now(),
            section=None,
            question=None,
        )
    workshop.refresh_from_db()
    response = Response.objects.filter(
        round=workshop.round, invitation__kind=Invitation.Kind.COLLECTIVE
    ).first()
    if response is None:  # nothing agreed: no agreed answers to make
        return list(Question.objects.filter(instrument_id=workshop.round.instrument_id))
    return save_agreed(response, response.version, {}, {}, agree=True)


def keep_votes(workshop: Workshop) -> int:
    """Keep each seat's votes, as the workshop ends (once). Returns how many seats' were kept.

    In a collective round, each seat's votes become a response alongside the round's agreed
    answers (Response.State.ALONGSIDE, docs/adr/0013), by organisation where the seat gave one.
    A seat counts with the questions it voted on, however few, so that the spread beside each
    agreed answer is everyone who voted on it; a vote cast after the answers were shown is
    left out, as it was from the spread, having been cast knowing the room's.

    In an individual round the votes of a seat that joined with its holder's personal link
    become that person's answers, in their draft, for them to finish and send as anyone does
    online; until they send, nothing of theirs counts. Other seats' votes served the room's
    discussion and are not kept: nobody can tell whether their holders also answered online,
    so counting them could count one person twice.
    """
    votes: dict[int, list[Vote]] = {}
    for vote in Vote.objects.filter(seat__workshop=workshop, after_reveal=False).order_by("id"):
        votes.setdefault(vote.seat_id, []).append(vote)
    if workshop.round.mode == Mode.INDIVIDUAL:
        return _votes_into_drafts(workshop, votes)
    now = timezone.now()
    for seat in Seat.objects.filter(pk__in=votes).order_by("pk"):
        invitation, _ = Invitation.issue(
            workshop.round, seat.organisation, kind=Invitation.Kind.WORKSHOP
        )
        response = Response.objects.create(
            round=workshop.round,
            invitation=invitation,
            organisation=seat.organisation,
            state=Response.State.ALONGSIDE,
            submitted_at=now,
        )
        Answer.objects.bulk_create(
            Answer(response=response, question_id=v.question_id, option_id=v.option_id)
            for v in votes[seat.pk]
        )
    return len(votes)


def _votes_into_drafts(workshop: Workshop, votes: dict[int, list[Vote]]) -> int:
    kept = 0
    seated = Seat.objects.filter(pk__in=votes, invitation__isnull=False).select_related(
        "invitation"
    )
    for seat in seated.order_by("pk"):
        response, _ = Response.objects.get_or_create(
            invitation=seat.invitation,
            defaults={
                "round": workshop.round,
                "organisation_id": seat.invitation.organisation_id,
            },
        )
        if response.state != Response.State.DRAFT:  # sent before the workshop: left as sent
            continue
        for vote in votes[seat.pk]:
            Answer.objects.update_or_create(
                response=response, question_id=vote.question_id, defaults={"option": vote.option}
            )
        kept += 1
    return kept
