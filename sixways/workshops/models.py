"""A live workshop: the people in a meeting vote privately on their phones, see the spread, and
the facilitator records what the room agrees.

Everything a screen or phone shows is worked out from these rows, so any app server can serve
any workshop: there is no state in a process. `Workshop.version` goes up with every change
anyone should see, so a page polling for news can be told "nothing changed" from one row.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from sixways.instruments.models import Option, Question, Section
from sixways.partnerships.models import Organisation
from sixways.rounds.models import Invitation, Round

# Join codes leave out what is easily confused when read off a screen or said aloud:
# 0 and O, 1, I and L, 2 and Z, 5 and S, 8 and B, and U and V.
CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY3467"
CODE_LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """A code as typed, in capitals, without spaces or dashes."""
    return "".join(c for c in typed.upper() if c.isalnum())[: CODE_LENGTH + 4]


class Workshop(models.Model):
    class Pace(models.TextChoices):
        QUESTION = "question", "Question by question"
        SECTION = "section", "A behaviour at a time"

    class Stage(models.TextChoices):
        OPEN_ACTIONS = "open-actions", "Looking back at open actions"
        WAITING = "waiting", "Waiting for the next question"
        VOTING = "voting", "Voting"
        REVEALED = "revealed", "Answers shown"
        ENDED = "ended", "Ended"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="workshops")
    code = models.CharField(max_length=CODE_LENGTH)
    pace = models.CharField(max_length=10, choices=Pace.choices, default=Pace.QUESTION)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.WAITING)
    # What is open: the behaviour, and in question-by-question pace the question.
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Goes up with every change anyone should see (a vote counts); `step` only with what the
    # phones show (a question opened, its answers shown, the end), so a vote does not make
    # every phone in the room fetch its page again.
    version = models.PositiveIntegerField(default=0)
    step = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # A code names one running workshop; an ended one's code may come round again.
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(stage="ended"), name="one_running_per_code"
            ),
            models.UniqueConstraint(
                fields=["round"], condition=~models.Q(stage="ended"), name="one_running_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"Workshop {self.code} for {self.round}"

    @property
    def running(self) -> bool:
        return self.stage != self.Stage.ENDED

    def open_questions(self) -> list[Question]:
        """What phones are asked now: one question, or the open behaviour's questions."""
        if self.stage not in (self.Stage.VOTING, self.Stage.REVEALED) or self.section is None:
            return []
        if self.question is not None:
            return [self.question]
        return list(self.section.questions.order_by("position"))


class Item(models.Model):
    """A question the workshop has opened: when, and when its answers were shown."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    revealed_at = models.DateTimeField(null=True, blank=True)
    # Shown to the room at least once: opening it again clears revealed_at, not what was seen.
    ever_revealed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workshop", "question"], name="one_item_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.question.key} in {self.workshop}"


class Seat(models.Model):
    """One device in the room, seated by a signed cookie (seats.py). No name or email: only
    the organisation, when its holder chose one, or, in a round where people answer for
    themselves, the personal link its holder joined with, so that their votes become their
    own answers (docs/adr/0013)."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="seats")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    secret = models.CharField(max_length=64, default=secrets.token_urlsafe)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "invitation"], name="one_seat_per_link_per_workshop"
            )
        ]

    def __str__(self) -> str:
        return f"Seat {self.pk} in {self.workshop}"


class Vote(models.Model):
    """One seat's answer to one question. Changed freely until the answers are shown; a vote
    first cast after that is kept but left out of the spread shown (`after_reveal`)."""

    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="votes")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+")
    after_reveal = models.BooleanField(default=False)
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seat", "question"], name="one_vote_per_question")
        ]
        indexes = [models.Index(fields=["question", "seat"])]

    def __str__(self) -> str:
        return f"Vote on {self.question_id} by seat {self.seat_id}"
