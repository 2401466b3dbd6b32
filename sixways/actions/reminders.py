"""Reminders to an action's owner, when the owner has an account in the partnership: an email
`ACTION_REMINDER_DAYS` days before the due date, and one once the date has passed.

The daily command (`manage.py remind_actions`) records each reminder (`Reminder`) and queues
`send_reminder`, so the worker sends it as it sends every other email, and a mail server that
is down holds nothing up. A reminder of each kind is recorded once per due date (a unique
constraint, so two runs on one day cannot double one), and at most one per action per day.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from sixways.partnerships.models import Membership

from .models import Action, Reminder, Status

logger = logging.getLogger(__name__)

# Reminded of: what the partnership has agreed and is still going.
STILL_GOING = (Status.AGREED, Status.IN_PROGRESS)


def due_reminders(today: datetime.date) -> list[Reminder]:
    """Record today's reminders and return them, to queue once committed."""
    soon = today + datetime.timedelta(days=settings.ACTION_REMINDER_DAYS)
    owned = Action.objects.filter(status__in=STILL_GOING, owner__isnull=False).exclude(
        reminders__created_on=today
    )
    recorded = []
    for kind, actions in [
        (Reminder.Kind.OVERDUE, owned.filter(due_on__lt=today)),
        (Reminder.Kind.DUE_SOON, owned.filter(due_on__gte=today, due_on__lte=soon)),
    ]:
        sent_before = Reminder.objects.filter(
            action=OuterRef("pk"), kind=kind, due_on=OuterRef("due_on")
        )
        for action in actions.exclude(Exists(sent_before)).only("id", "due_on"):
            try:
                with transaction.atomic():
                    recorded.append(
                        Reminder.objects.create(
                            action=action, kind=kind, due_on=action.due_on, created_on=today
                        )
                    )
            except IntegrityError:
                continue  # recorded a moment ago by another run
    return recorded


def queue(reminders: list[Reminder]) -> None:
    for reminder in reminders:
        send_reminder.enqueue(reminder.pk)


def message(reminder: Reminder) -> EmailMessage:
    action = reminder.action
    context = {
        "action": action,
        "overdue": reminder.kind == Reminder.Kind.OVERDUE,
        "link": settings.SITE_URL + reverse("actions:detail", args=[action.pk]),
    }
    due = f"{action.due_on.day} {action.due_on:%B %Y}"
    subject = (
        f"{action.partnership.name}: an action you own was due on {due}"
        if context["overdue"]
        else f"{action.partnership.name}: an action you own is due on {due}"
    )
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string("emails/action_reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[action.owner.email],
    )


def _finish(reminder: Reminder, state: str, error: str = "") -> str:
    Reminder.objects.filter(pk=reminder.pk).update(
        state=state,
        error=error[:300],
        sent_at=timezone.now() if state == Reminder.State.SENT else None,
    )
    return state


@task()
def send_reminder(reminder_id: int) -> str:
    """Send one recorded reminder and record whether it went. Safe to run twice: a reminder is
    claimed before it is sent, and a claimed one is never sent again."""
    if not Reminder.objects.filter(pk=reminder_id, state=Reminder.State.QUEUED).update(
        state=Reminder.State.SENDING
    ):
        return "skipped"
    reminder = Reminder.objects.select_related(
        "action__partnership", "action__round", "action__owner"
    ).get(pk=reminder_id)
    action = reminder.action
    # Checked again as it goes: the action may have been done, its date moved or its owner
    # changed or removed from the partnership since the reminder was recorded.
    still_theirs = (
        action.owner is not None
        and action.owner.is_active
        and Membership.objects.filter(user=action.owner, partnership=action.partnership).exists()
    )
    if action.status not in STILL_GOING or action.due_on != reminder.due_on or not still_theirs:
        return _finish(reminder, Reminder.State.NOT_NEEDED, "No longer needed")
    try:
        message(reminder).send()
    except Exception as error:
        logger.warning("Reminder %s could not be sent: %s", reminder.pk, type(error).__name__)
        return _finish(reminder, Reminder.State.FAILED, f"{type(error).__name__}: {error}")
    return _finish(reminder, Reminder.State.SENT)
