"""Rounds, participant links and the responses people give."""

import hashlib
import secrets

from django.db import models, transaction
from django.utils import timezone

from sixways.instruments.models import Instrument, Option, Question, Section
from sixways.partnerships.models import Organisation, Partnership


class Mode(models.TextChoices):
    COLLECTIVE = "collective", "Collective: one agreed response for the partnership"
    ORGANISATIONAL = "organisational", "Organisational: one response from each partner"
    INDIVIDUAL = "individual", "Individual: any number of people from each partner"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class RoundQuerySet(models.QuerySet):
    def for_user(self, user, roles=None) -> "RoundQuerySet":
        return self.filter(partnership__in=Partnership.objects.for_user(user, roles))


class Round(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="rounds")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField(max_length=200)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    opens_on = models.DateField()
    closes_on = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="round_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def individual(self) -> bool:
        return self.mode == Mode.INDIVIDUAL

    def close(self) -> None:
        self.status = Status.CLOSED
        self.closed_at = timezone.now()
        self.save(update_fields=["status", "closed_at"])


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def from_token(self, token: str) -> "Invitation | None":
        """The invitation a link's token opens, or None. Only the token's hash is stored."""
        if not token or len(token) > 100:
            return None
        return self.select_related("round").filter(token_hash=hash_token(token)).first()


class Invitation(models.Model):
    """A participant link. The token is shown once; only its SHA-256 hash is kept."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # Only for personal links, to send the invitation and reminders; removed after the round
    # closes (the retention settings say when). Never shown beside answers.
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvitationQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Link for {self.organisation or 'the partnership'} in {self.round}"

    @classmethod
    def issue(cls, round: Round, organisation: Organisation | None) -> tuple["Invitation", str]:
        """Create a link. 32 random bytes: 256 bits, far past guessing."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            round=round, organisation=organisation, token_hash=hash_token(token)
        )
        return invitation, token


class Response(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="responses")
    # One response per link, enforced by the database: the link is required and unique.
    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(state="draft", submitted_at__isnull=True)
                    | models.Q(state="submitted", submitted_at__isnull=False)
                ),
                name="response_submitted_has_time",
            )
        ]
        indexes = [models.Index(fields=["round", "state"])]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.round}"

    @property
    def submitted(self) -> bool:
        return self.state == self.State.SUBMITTED


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.question.key}: {self.option.label}"


class Comment(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="comments")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "section"], name="one_comment_per_section")
        ]

    def __str__(self) -> str:
        return f"Comment on {self.section.key} in response {self.response_id}"


class RoundClosed(Exception):
    """The round is no longer taking answers."""


class AlreadySubmitted(Exception):
    """The response was sent already; it can no longer change."""


class Incomplete(Exception):
    def __init__(self, missing: list[Question]):
        super().__init__(f"{len(missing)} questions unanswered")
        self.missing = missing


def _lock(response: Response) -> Response:
    """Re-read the response and its round inside the current transaction, locked for writing.

    The round's status and the response's state are checked on this fresh copy, so a submit
    racing the round's close, or a second tab, sees the truth rather than what the page saw.
    """
    fresh = Response.objects.select_for_update().select_related("round").get(pk=response.pk)
    round_ = Round.objects.select_for_update().get(pk=fresh.round_id)
    if round_.status != Status.OPEN:
        raise RoundClosed
    if fresh.submitted:
        raise AlreadySubmitted
    return fresh


def save_section(
    response: Response, section: Section, answers: dict[Question, Option], comment: str
) -> None:
    """Save one page of a draft: its answers and its comment, all or nothing."""
    with transaction.atomic():
        _lock(response)
        for question, option in answers.items():
            Answer.objects.update_or_create(
                response=response, question=question, defaults={"option": option}
            )
        if comment.strip():
            Comment.objects.update_or_create(
                response=response, section=section, defaults={"text": comment.strip()}
            )
        else:
            Comment.objects.filter(response=response, section=section).delete()
        Response.objects.filter(pk=response.pk).update(updated_at=timezone.now())


def submit(response: Response) -> None:
    """Send a response: every question must be answered. One transaction."""
    with transaction.atomic():
        fresh = _lock(response)
        answered = set(fresh.answers.values_list("question_id", flat=True))
        missing = [
            q
            for q in Question.objects.filter(instrument_id=fresh.round.instrument_id)
            if q.pk not in answered
        ]
        if missing:
            raise Incomplete(missing)
        now = timezone.now()
        Response.objects.filter(pk=fresh.pk).update(
            state=Response.State.SUBMITTED, submitted_at=now, updated_at=now
        )
    response.refresh_from_db()
