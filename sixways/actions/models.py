"""An action a partnership agrees on a behaviour, and its history of updates.

The history is written once and never changed: each change of status or note is a new
`ActionUpdate`, so a plan reviewed at the next round shows what was said at the time.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from sixways.core.models import EmailState
from sixways.instruments.models import Question, Section
from sixways.partnerships.models import Organisation, Partnership
from sixways.rounds.models import Round


class Status(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    AGREED = "agreed", "Agreed"
    IN_PROGRESS = "in-progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


# An action still to deliver; a reason is asked for when one ends.
OPEN = (Status.PROPOSED, Status.AGREED, Status.IN_PROGRESS)
ENDED = (Status.DONE, Status.DROPPED)
# What the partnership has taken on, for the soft limits on how many a plan holds.
COMMITTED = (Status.AGREED, Status.IN_PROGRESS, Status.DONE)


class ActionQuerySet(models.QuerySet):
    def for_user(self, user, roles=None) -> "ActionQuerySet":
        return self.filter(partnership__in=Partnership.objects.for_user(user, roles))


class Action(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="actions")
    # The round whose priorities it answers.
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="actions")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="+")
    questions = models.ManyToManyField(Question, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    done_looks_like = models.CharField(max_length=300)
    owner_name = models.CharField(max_length=200)
    # Optionally the owner's account in the partnership: they get the reminders (reminders.py).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_actions",
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["section__position", "due_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class ActionUpdate(models.Model):
    """One change to an action, as it was made: never edited or deleted on its own."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=Status.choices)
    note = models.TextField(blank=True)
    due_on = models.DateField(null=True, blank=True)  # a new date, when it changed
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.get_status_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An action's history is never rewritten: add an update instead")
        super().save(*args, **kwargs)


class Reminder(models.Model):
    """One reminder email to an action's owner, recorded before the worker sends it: a week
    before the due date, and once when it has passed. One of each kind per due date, so a
    date that moves brings new ones; reminders.py also keeps to one per action per day."""

    class Kind(models.TextChoices):
        DUE_SOON = "due-soon", "Due soon"
        OVERDUE = "overdue", "Overdue"

    State = EmailState

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due_on = models.DateField()  # the due date it reminds of
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    error = models.CharField(max_length=300, blank=True)  # what the mail server said
    created_on = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["action", "kind", "due_on"], name="one_reminder_of_a_kind_per_due_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.action}"
