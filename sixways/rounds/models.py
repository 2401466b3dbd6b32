"""Rounds, participant links and the responses people give."""

import base64
import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from sixways.instruments.models import Instrument, Option, Question, Section
from sixways.partnerships.models import Organisation, Partnership

from .signals import round_closed


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def derive_token(salt: str) -> str:
    """A link's token, worked out again from its random salt and the secret key.

    The database keeps the salt and the token's hash, never the token: someone who reads the
    database cannot make a working link without the secret key, yet the service can put the
    same link in a reminder or show a shareable link to its facilitator again.
    """
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"sixways-invitation:{salt}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


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
                    | models.Q(state="submitted", submitted_at__isnull=False)
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


def _tally_sql(where: str, conflict: str = "") -> str:
    """INSERT … SELECT the sent answers matching `where`, counted by round, organisation,
    question and option, in a fixed order (so concurrent writers take row locks alike)."""
    q = connection.ops.quote_name
    tally, answer, response = (q(m._meta.db_table) for m in (Tally, Answer, Response))
    # Only table names and fixed clauses are put in the text; values are parameters.
    sql = (
        f"INSERT INTO {tally} (round_id, organisation_id, question_id, option_id, count) "  # noqa: S608 # nosec B608
        f"SELECT r.round_id, r.organisation_id, a.question_id, a.option_id, COUNT(*) "
        f"FROM {answer} a JOIN {response} r ON r.id = a.response_id "
        f"WHERE {where} "
        f"GROUP BY r.round_id, r.organisation_id, a.question_id, a.option_id "
        f"ORDER BY r.round_id, r.organisation_id, a.question_id, a.option_id"
    )
    if conflict:
        sql += f" ON CONFLICT {conflict} DO UPDATE SET count = {tally}.count + excluded.count"  # nosec B608
    return sql


def _add_to_tally(response: Response) -> None:
    """Add one just-sent response's answers to its round's tally: one statement."""
    if response.organisation_id is None:
        conflict = "(round_id, question_id, option_id) WHERE organisation_id IS NULL"
    else:
        conflict = (
            "(round_id, organisation_id, question_id, option_id) WHERE organisation_id IS NOT NULL"
        )
    with connection.cursor() as cursor:
        cursor.execute(_tally_sql("a.response_id = %s", conflict), [response.pk])


def rebuild_tally(rounds) -> None:
    """Count the tally of these rounds (Round objects or ids) afresh from their sent answers:
    one DELETE and one INSERT … SELECT … GROUP BY. For anything that writes sent answers in
    bulk or changes them after sending."""
    if isinstance(rounds, Round | int):
        rounds = [rounds]
    ids = sorted({r.pk if isinstance(r, Round) else int(r) for r in rounds})
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    with transaction.atomic(), connection.cursor() as cursor:
        Tally.objects.filter(round_id__in=ids).delete()
        cursor.execute(
            _tally_sql(f"r.round_id IN ({marks}) AND r.state = %s"),
            [*ids, Response.State.SUBMITTED],
        )


@receiver(pre_delete, sender=Response)
def _take_out_of_tally(sender, instance: Response, origin=None, **kwargs) -> None:
    """A sent response being deleted (its link deleted, say) leaves its round's tally.

    Runs before anything is deleted, while its answers are still there: one UPDATE and one
    DELETE. When the round itself (or its partnership) is what is being deleted, the tally
    goes with it and there is nothing to do.
    """
    if instance.state != Response.State.SUBMITTED:
        return
    whole = origin.model if isinstance(origin, models.QuerySet) else type(origin)
    if whole in (Round, Partnership):
        return
    q = connection.ops.quote_name
    tally, answer = q(Tally._meta.db_table), q(Answer._meta.db_table)
    organisation = (
        "organisation_id IS NULL" if instance.organisation_id is None else ("organisation_id = %s")
    )
    params = [instance.round_id] + (
        [] if instance.organisation_id is None else [instance.organisation_id]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {tally} SET count = count - 1 "  # noqa: S608 # nosec B608 - names, not values
            f"WHERE round_id = %s AND {organisation} AND (question_id, option_id) IN "
            f"(SELECT question_id, option_id FROM {answer} WHERE response_id = %s)",
            [*params, instance.pk],
        )
        cursor.execute(
            f"DELETE FROM {tally} WHERE round_id = %s AND {organisation} AND count = 0",  # noqa: S608 # nosec B608
            params,
        )


class RoundClosed(Exception):
    """The round is no longer taking answers."""


class AlreadySubmitted(Exception):
    """The response was sent already; it can no longer change."""


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


class InstrumentParts:
    """An instrument's sections, questions (each with its section) and answer options.

    Instruments are never edited once a round uses them, so each worker reads them once. The
    key includes when the instrument was loaded, so a new instrument that reuses an id (after
    a rolled-back test, say) is read afresh.
    """

    def __init__(self, instrument: Instrument):
        self.sections = list(Section.objects.filter(instrument=instrument))
        by_id = {section.pk: section for section in self.sections}
        self.questions = list(Question.objects.filter(instrument=instrument))
        for question in self.questions:
            question.section = by_id[question.section_id]
        self.options = list(Option.objects.filter(instrument=instrument))
        self.options_by_id = {option.pk: option for option in self.options}

    def questions_in(self, section: Section) -> list[Question]:
        return [q for q in self.questions if q.section_id == section.pk]


_parts: dict[tuple, InstrumentParts] = {}


def instrument_parts(instrument: Instrument) -> InstrumentParts:
    key = (instrument.pk, instrument.loaded_at, instrument.content_hash)
    parts = _parts.get(key)
    if parts is None:
        parts = _parts[key] = InstrumentParts(instrument)
    return parts


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


def submit(response: Response) -> None:
    """Send a response: every question must be answered. One transaction."""
    with transaction.atomic():
        fresh = _lock(response)
        answered = set(fresh.answers.values_list("question_id", flat=True))
        missing = [
            q for q in instrument_parts(response.round.instrument).questions if q.pk not in answered
        ]
        if missing:
            raise Incomplete(missing)
        now = timezone.now()
        Response.objects.filter(pk=fresh.pk).update(
            state=Response.State.SUBMITTED, submitted_at=now, updated_at=now
        )
        _add_to_tally(fresh)
    response.refresh_from_db()


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
        if agree and not fresh.submitted:
            answered = set(fresh.answers.values_list("question_id", flat=True))
            missing = [
                q
                for q in Question.objects.filter(instrument_id=round_.instrument_id)
                if q.pk not in answered
            ]
            if not missing:
                changes.update(state=Response.State.SUBMITTED, submitted_at=changes["updated_at"])
        Response.objects.filter(pk=fresh.pk).update(**changes)
        if fresh.submitted or "state" in changes:
            # An agreed response can still be edited: count its round again (one response).
            rebuild_tally(round_)
    response.refresh_from_db()
    return missing


class Delivery(models.Model):
    """One email to one invited person: the invitation or a reminder, and whether it went."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        REMINDER = "reminder", "Reminder"

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Could not be sent"
        NOT_NEEDED = "not-needed", "Not sent: no longer needed"

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


# The same person is reminded at most once in this time (QUALITY.md: not more than once a day).
REMINDER_GAP = datetime.timedelta(days=1)
EMAILED_KINDS = (Invitation.Kind.PERSONAL, Invitation.Kind.ORGANISATIONAL)


def organisation_link(round_: Round, organisation: Organisation) -> Invitation:
    """The organisation's link for this round: its one response in organisational mode, or the
    shareable link in individual mode. Made the first time it is asked for."""
    kind = (
        Invitation.Kind.ORGANISATIONAL
        if round_.mode == Mode.ORGANISATIONAL
        else Invitation.Kind.SHARED
    )
    invitation = Invitation.objects.filter(
        round=round_, organisation=organisation, kind=kind
    ).first()
    if invitation is None:
        try:
            with transaction.atomic():
                invitation, _ = Invitation.issue(round_, organisation, kind=kind)
        except IntegrityError:
            invitation = Invitation.objects.get(round=round_, organisation=organisation, kind=kind)
    return invitation


def invite(round_: Round, organisation: Organisation, emails: list[str]) -> tuple[list, list]:
    """Queue invitation emails: a personal link for each new address in individual mode, or the
    organisation's one link to one address in organisational mode.

    Returns (deliveries to send, addresses not sent to because they were invited already). One
    transaction, with the round locked, so a second press of the button invites nobody twice.
    """
    with transaction.atomic():
        Round.objects.select_for_update().get(pk=round_.pk)
        taken = set(
            Invitation.objects.filter(round=round_, email__in=emails).values_list(
                "email", flat=True
            )
        )
        deliveries, already = [], []
        for email in emails:
            if email in taken:
                already.append(email)
                continue
            if round_.mode == Mode.ORGANISATIONAL:
                invitation = organisation_link(round_, organisation)
                if invitation.email:
                    already.append(email)
                    continue
                invitation.email = email
                invitation.save(update_fields=["email"])
            else:
                invitation, _ = Invitation.issue(round_, organisation, email=email)
            deliveries.append(
                Delivery.objects.create(invitation=invitation, kind=Delivery.Kind.INVITATION)
            )
    return deliveries, already


def awaiting_reminder(round_: Round):
    """Invited people who have not sent their answers and have not been reminded in the last
    day (a reminder that could not be sent does not count)."""
    since = timezone.now() - REMINDER_GAP
    return (
        Invitation.objects.filter(round=round_, kind__in=EMAILED_KINDS)
        .exclude(email="")
        .filter(deliveries__kind=Delivery.Kind.INVITATION, deliveries__state=Delivery.State.SENT)
        .exclude(response__state=Response.State.SUBMITTED)
        .exclude(
            pk__in=Delivery.objects.filter(
                invitation__round=round_, kind=Delivery.Kind.REMINDER, created_at__gte=since
            )
            .exclude(state=Delivery.State.FAILED)
            .values("invitation")
        )
        .distinct()
    )


def queue_reminders(round_: Round) -> list[Delivery]:
    """Queue a reminder for everyone `awaiting_reminder`. The round is locked while choosing, so
    two presses at once cannot remind anyone twice."""
    with transaction.atomic():
        Round.objects.select_for_update().get(pk=round_.pk)
        return [
            Delivery.objects.create(invitation=invitation, kind=Delivery.Kind.REMINDER)
            for invitation in awaiting_reminder(round_)
        ]


def failed_deliveries(round_: Round):
    """Emails whose latest try failed: the ones a facilitator needs to know about."""
    latest = (
        Delivery.objects.filter(invitation=models.OuterRef("invitation"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    return (
        Delivery.objects.filter(invitation__round=round_, state=Delivery.State.FAILED)
        .filter(pk=models.Subquery(latest))
        .select_related("invitation__organisation")
        .order_by("invitation__organisation__name", "invitation__email")
    )
