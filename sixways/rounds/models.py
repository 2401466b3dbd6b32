"""Rounds, participant links and the responses people give."""

import datetime
import secrets

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from sixways.core.models import EmailState
from sixways.instruments.models import Instrument, Option, Question, Section
from sixways.partnerships.models import Organisation, Partnership

from .signals import round_closed
from .tokens import derive_token, hash_token


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

    def close_due(self) -> int:
        """Close every open round whose closing date has passed. Returns how many closed."""
        closed = 0
        for round_ in self.filter(status=Status.OPEN, closes_on__lt=timezone.localdate()):
            closed += round_.close_if_due()
        return closed


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
    # The partner organisations taking part in this round. Kept per round, so removing a partner
    # from the partnership later leaves past rounds as they were, and the next round starts
    # from this list.
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="rounds")
    # A collective round's record of who agreed its answers: the partners represented in the
    # meeting, and a note of who was there (roles, say), kept with the answers.
    represented = models.ManyToManyField(Organisation, blank=True, related_name="+")
    represented_note = models.TextField(blank=True)

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
    def current_status(self) -> str:
        """The status as it stands today. A round closes at the end of its closing date: that
        is recorded (status, closing time, event) by `manage.py close_rounds` or the next change
        a facilitator makes, but the pages, answering and the results follow the date from the
        moment it passes, so that reading a page never writes."""
        if self.status == Status.OPEN and timezone.localdate() > self.closes_on:
            return Status.CLOSED
        return self.status

    def get_current_status_display(self) -> str:
        return Status(self.current_status).label

    @property
    def is_open(self) -> bool:
        return self.current_status == Status.OPEN

    @property
    def is_closed(self) -> bool:
        return self.current_status == Status.CLOSED

    @property
    def individual(self) -> bool:
        return self.mode == Mode.INDIVIDUAL

    @property
    def accepting_answers(self) -> bool:
        """Open, and its closing date has not passed (rounds close at the end of that day)."""
        return self.is_open

    def _closing_day_end(self) -> datetime.datetime:
        end = datetime.datetime.combine(self.closes_on, datetime.time(23, 59, 59))
        return timezone.make_aware(end)

    def _change_status(self, allowed_from: str, event: "RoundEvent", **fields) -> None:
        """Change status under a lock on the round, so a submit racing this change sees either
        the old status or the new one, never half of each."""
        with transaction.atomic():
            locked = Round.objects.select_for_update().get(pk=self.pk)
            if locked.status != allowed_from:
                raise StatusChanged(locked.status)
            # Times are taken once the lock is held, so a submit that won the lock is
            # always recorded as before the close.
            fields = {k: v() if callable(v) else v for k, v in fields.items()}
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.save(update_fields=list(fields))
            event.round = locked
            event.at = timezone.now()
            event.save()
        for name, value in fields.items():
            setattr(self, name, value)
        if self.status == Status.CLOSED:
            # Its results cannot change now: tell whoever keeps anything built from them.
            transaction.on_commit(lambda: round_closed.send(sender=Round, round_=self))

    def open(self, user=None) -> None:
        """Start taking answers. A round opened before its planned date opens today."""
        today = timezone.localdate()
        self._change_status(
            Status.DRAFT,
            RoundEvent(action=RoundEvent.Action.OPENED, user=user),
            status=Status.OPEN,
            opens_on=min(self.opens_on, today),
        )

    def close(self, user=None, reason: str = "") -> None:
        """Stop taking answers now. Drafts are kept but not counted."""
        self._change_status(
            Status.OPEN,
            RoundEvent(action=RoundEvent.Action.CLOSED, user=user, reason=reason),
            status=Status.CLOSED,
            closed_at=timezone.now,
        )

    def reopen(self, user, closes_on: datetime.date, reason: str) -> None:
        """Take answers again until a new closing date."""
        self._change_status(
            Status.CLOSED,
            RoundEvent(
                action=RoundEvent.Action.REOPENED, user=user, reason=reason, closes_on=closes_on
            ),
            status=Status.OPEN,
            closes_on=closes_on,
            closed_at=None,
        )

    def close_if_due(self) -> bool:
        """Close the round at the end of its closing date, if that has passed."""
        if self.status != Status.OPEN or timezone.localdate() <= self.closes_on:
            return False
        try:
            self._change_status(
                Status.OPEN,
                RoundEvent(action=RoundEvent.Action.CLOSED_ON_DATE),
                status=Status.CLOSED,
                closed_at=self._closing_day_end(),
            )
        except StatusChanged:
            self.refresh_from_db()
            return False
        return True


class StatusChanged(Exception):
    """The round was not in the status the action expected (someone else changed it)."""

    def __init__(self, status: str):
        super().__init__(f"round is {status}")
        self.status = status


class RoundEvent(models.Model):
    """What a facilitator did to a round and why: the record of opening, closing and reopening."""

    class Action(models.TextChoices):
        OPENED = "opened", "Opened"
        CLOSED = "closed", "Closed early"
        CLOSED_ON_DATE = "closed-on-date", "Closed on its closing date"
        REOPENED = "reopened", "Reopened"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    # For a reopening: the new closing date.
    closes_on = models.DateField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.round}"


class InvitationQuerySet(models.QuerySet):
    def from_token(self, token: str) -> "Invitation | None":
        """The invitation a link's token opens, or None. Only the token's hash is stored."""
        if not token or len(token) > 100:
            return None
        return self.select_related("round__instrument").filter(token_hash=hash_token(token)).first()


class Invitation(models.Model):
    """A participant link. Only the token's SHA-256 hash is kept, and the salt it is worked out
    from with the secret key (`derive_token`)."""

    class Kind(models.TextChoices):
        # One person's link, usually emailed to them; one response.
        PERSONAL = "personal", "Personal link"
        # Individual mode: an organisation's link to pass round; every use is a new response.
        SHARED = "shared", "Shareable link"
        # Organisational mode: the link for an organisation's one response.
        ORGANISATIONAL = "organisational", "Organisation's link"
        # Collective mode: the partnership's agreed response, entered by a facilitator.
        COLLECTIVE = "collective", "Agreed response"
        # A workshop seat's votes, kept beside a collective round's agreed answers. Its token
        # is never shown, and never opens the questions.
        WORKSHOP = "workshop", "Workshop votes"
        # A return answered on paper or in a spreadsheet, entered or imported by a
        # facilitator. Its token is never shown either.
        PAPER = "paper", "Paper or spreadsheet return"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSONAL)
    token_hash = models.CharField(max_length=64, unique=True)
    token_salt = models.CharField(max_length=64, blank=True)
    # A personal link made when someone pressed start on a shareable link.
    shared_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="uses"
    )
    # Only for personal links, to send the invitation and reminders; removed after the round
    # closes (the retention settings say when). Never shown beside answers.
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "email"], condition=~models.Q(email=""), name="invite_email_once"
            ),
            models.UniqueConstraint(
                fields=["round", "organisation", "kind"],
                condition=models.Q(kind__in=["shared", "organisational"]),
                name="one_organisation_link_per_round",
            ),
            models.UniqueConstraint(
                fields=["round"], condition=models.Q(kind="collective"), name="one_agreed_response"
            ),
        ]

    def __str__(self) -> str:
        return f"Link for {self.organisation or 'the partnership'} in {self.round}"

    @classmethod
    def issue(
        cls,
        round: Round,
        organisation: Organisation | None,
        *,
        kind: str = Kind.PERSONAL,
        email: str = "",
        shared_from: "Invitation | None" = None,
    ) -> tuple["Invitation", str]:
        """Create a link. Its token is an HMAC of 32 random bytes: 256 bits, far past guessing."""
        salt = secrets.token_urlsafe(32)
        token = derive_token(salt)
        invitation = cls.objects.create(
            round=round,
            organisation=organisation,
            kind=kind,
            email=email,
            shared_from=shared_from,
            token_salt=salt,
            token_hash=hash_token(token),
        )
        return invitation, token

    def token(self) -> str:
        """The link's token, or "" for a link made before tokens could be worked out again."""
        return derive_token(self.token_salt) if self.token_salt else ""

    def link(self) -> str:
        token = self.token()
        return settings.SITE_URL + reverse("rounds:start", args=[token]) if token else ""

    def replace_token(self) -> None:
        """Stop the current link working and make a new one, for a link shared too widely."""
        self.token_salt = secrets.token_urlsafe(32)
        self.token_hash = hash_token(derive_token(self.token_salt))
        self.save(update_fields=["token_salt", "token_hash"])


class Response(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        # The round's other layer of answers, kept beside its own (docs/adr/0013): each
        # person's workshop votes in a collective round, or the agreed answers recorded in an
        # individual round. Never counted in the round's results, tally or downloads, which
        # read SUBMITTED only; shown beside them, where group sizes allow.
        ALONGSIDE = "alongside", "Kept alongside the round's own answers"

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
    # Counts saves of an agreed (collective) response, so two facilitators editing it at once
    # find out rather than overwrite each other.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(state="draft", submitted_at__isnull=True)
                    | models.Q(state__in=["submitted", "alongside"], submitted_at__isnull=False)
                ),
                name="response_submitted_has_time",
            )
        ]
        # The results count sent responses per organisation from this index alone.
        indexes = [models.Index(fields=["round", "state", "organisation"], name="response_groups")]

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
        # The results count answers by question and option for a round's responses: with the
        # option in the index the database never reads the answers table itself.
        indexes = [models.Index(fields=["response", "question", "option"], name="answer_counts")]

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


class Tally(models.Model):
    """How many sent answers a round has for each organisation, question and option.

    Kept as responses are sent (`submit`), so the results read a few hundred rows instead of
    counting every answer. Whatever changes a sent response's answers keeps it right too:
    `save_agreed` and the bulk loaders call `rebuild_tally`, and the retention rules delete it
    with the answers. A response without an organisation (the agreed response, or someone who
    gave none) counts under a NULL organisation: NULLs never clash in a unique index, so that
    case has its own one.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="+", db_index=False)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation", "question", "option"],
                condition=models.Q(organisation__isnull=False),
                name="tally_once",
            ),
            models.UniqueConstraint(
                fields=["round", "question", "option"],
                condition=models.Q(organisation__isnull=True),
                name="tally_once_no_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} × option {self.option_id} for question {self.question_id}"


class Delivery(models.Model):
    """One email to one invited person: the invitation or a reminder, and whether it went."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        REMINDER = "reminder", "Reminder"

    State = EmailState

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # What the mail server said, for the facilitator to act on. Never the email's text.
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["invitation", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to invitation {self.invitation_id}"


class RoundRetention(models.Model):
    """What the retention rules have done to a round, so each step happens once."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="retention")
    emails_removed_at = models.DateTimeField(null=True, blank=True)
    answers_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_roundretention"  # made by the accounts app, before rounds held it

    def __str__(self) -> str:
        return f"Retention of {self.round}"


class RoundAggregate(models.Model):
    """A round's answer totals per organisation and behaviour, kept when its answers go.

    Enough to work out every behaviour score, each organisation's score, the spread between
    organisations and the change between rounds (the mean of a submitted response's answers in
    a behaviour is score_sum / answer_count within one organisation, because every submitted
    response answers every question). Per-question counts and comments are not kept.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="aggregates")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="+")
    respondents = models.PositiveIntegerField()
    answer_count = models.PositiveIntegerField()
    score_sum = models.PositiveIntegerField()

    class Meta:
        db_table = "accounts_roundaggregate"
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation", "section"],
                name="one_aggregate_per_round_organisation_section",
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} / {self.organisation or 'partnership'} / {self.section}"
