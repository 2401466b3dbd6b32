"""Participant links, invitation emails and reminders for a round.

Makes an organisation's link when first asked for, records invitations and reminders as
`Delivery` rows under a lock on the round (so a second press of a button emails nobody twice),
chooses who is due a reminder, and finds the emails that could not be sent. The emails
themselves go out in the background (sixways/rounds/tasks.py).
"""

import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from sixways.partnerships.models import Organisation

from .models import Delivery, Invitation, Mode, Response, Round

# The same person is reminded at most once in this time: never more than once a day.
REMINDER_GAP = datetime.timedelta(days=1)
# The worker takes each email within seconds, so one still waiting after this long means the
# worker is not running or cannot reach the mail server: the round page says so.
EMAILS_LATE_AFTER = datetime.timedelta(minutes=2)
WAITING = (Delivery.State.QUEUED, Delivery.State.SENDING)
EMAILED_KINDS = (Invitation.Kind.PERSONAL, Invitation.Kind.ORGANISATIONAL)


def email_summary(round_: Round) -> dict:
    """How many of the round's emails were sent, are waiting or failed, and whether any has
    waited for longer than it should. One query."""
    rows = (
        Delivery.objects.filter(invitation__round=round_)
        .values_list("state")
        .annotate(n=models.Count("id"), oldest=models.Min("created_at"))
    )
    counts, waiting_since = {}, None
    for state, n, oldest in rows:
        counts[state] = n
        if state in WAITING:
            waiting_since = min(oldest, waiting_since or oldest)
    return {
        "any": bool(counts),
        "sent": counts.get(Delivery.State.SENT, 0),
        "waiting": sum(counts.get(state, 0) for state in WAITING),
        "failed": counts.get(Delivery.State.FAILED, 0),
        "late": waiting_since is not None and waiting_since < timezone.now() - EMAILS_LATE_AFTER,
    }


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


def reminder_summary(round_: Round) -> dict:
    """Where everyone invited by email stands, for the reminders page: how many can be reminded
    now (the same people `awaiting_reminder` chooses), how many were reminded in the last day
    and when the first of them can be again, how many invitations have not gone yet, and how
    many have sent their answers. One query."""
    since = timezone.now() - REMINDER_GAP
    mine = models.OuterRef("pk")
    rows = (
        Invitation.objects.filter(round=round_, kind__in=EMAILED_KINDS)
        .exclude(email="")
        .annotate(
            answered=models.Exists(
                Response.objects.filter(invitation=mine, state=Response.State.SUBMITTED)
            ),
            invited=models.Exists(
                Delivery.objects.filter(
                    invitation=mine, kind=Delivery.Kind.INVITATION, state=Delivery.State.SENT
                )
            ),
            reminded_at=models.Max(
                "deliveries__created_at",
                filter=models.Q(deliveries__kind=Delivery.Kind.REMINDER)
                & ~models.Q(deliveries__state=Delivery.State.FAILED),
            ),
        )
        .values_list("answered", "invited", "reminded_at")
    )
    summary = {"invited": 0, "answered": 0, "not_yet_emailed": 0, "due": 0, "reminded": 0}
    again_from = None
    for answered, invited, reminded_at in rows:
        summary["invited"] += 1
        if answered:
            summary["answered"] += 1
        elif not invited:
            summary["not_yet_emailed"] += 1
        elif reminded_at is not None and reminded_at >= since:
            summary["reminded"] += 1
            again_from = min(reminded_at + REMINDER_GAP, again_from or reminded_at + REMINDER_GAP)
        else:
            summary["due"] += 1
    summary["again_from"] = again_from
    return summary


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
