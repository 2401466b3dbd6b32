"""Background work: sending invitation and reminder emails.

The page that asks for emails only records them (a `Delivery` each) and queues one task per
email, so a slow or failing mail server never holds up the facilitator's page. Run the worker
beside the web server: `manage.py db_worker`.
"""

import logging
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Delivery, Mode, Response

logger = logging.getLogger(__name__)

SUBJECTS = {
    Delivery.Kind.INVITATION: "{partnership}: how well does your partnership work together?",
    Delivery.Kind.REMINDER: "Reminder: {partnership} would like your answers by {closes_on}",
}


def _message(delivery: Delivery) -> EmailMessage:
    invitation = delivery.invitation
    round_ = invitation.round
    context = {
        "round": round_,
        "invitation": invitation,
        "link": invitation.link(),
        "organisational": invitation.kind == invitation.Kind.ORGANISATIONAL,
    }
    return EmailMessage(
        subject=_subject(delivery.kind, round_),
        body=render_to_string(f"emails/{delivery.kind}.txt", context),
        from_email=sender(round_.partnership.name),
        to=[invitation.email],
        reply_to=[settings.PARTICIPANT_REPLY_TO] if settings.PARTICIPANT_REPLY_TO else None,
    )


def _subject(kind: str, round_) -> str:
    closes_on = f"{round_.closes_on.day} {round_.closes_on:%B %Y}"
    subject = SUBJECTS[kind].format(partnership=round_.partnership.name, closes_on=closes_on)
    return " ".join(subject.split())  # one line, whatever was typed into the partnership's name


def invitation_preview(round_) -> dict[str, str]:
    """The invitation email as people will get it, for the invite page, with the organisation
    and the link shown as what will go there."""
    context = {
        "round": round_,
        "invitation": {"organisation": {"name": "[the organisation you choose]"}},
        "link": f"{settings.SITE_URL}/p/[their own link]/",
        "organisational": round_.mode == Mode.ORGANISATIONAL,
    }
    return {
        "sender": sender(round_.partnership.name),
        "subject": _subject(Delivery.Kind.INVITATION, round_),
        "body": render_to_string("emails/invitation.txt", context),
    }


def sender(partnership_name: str) -> str:
    """The From of a participant's email: the partnership's name, so people see who is asking,
    at the service's own address ("Eastvale Place Partnership via Six Ways")."""
    service, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = " ".join(partnership_name.split())[:60]
    return formataddr((f"{name} via {service or 'Six Ways'}", address))


def _give_up(delivery: Delivery, reason: str, state=Delivery.State.FAILED) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(state=state, error=reason[:300])


@task()
def send_delivery(delivery_id: int) -> str:
    """Send one queued email and record whether it went. Safe to run twice: an email is
    claimed before it is sent, and a claimed one is never sent again."""
    # Claim it with one conditional update rather than a lock held while the mail server
    # answers: on SQLite a transaction that long would hold up everyone's submissions.
    if not Delivery.objects.filter(pk=delivery_id, state=Delivery.State.QUEUED).update(
        state=Delivery.State.SENDING
    ):
        return "skipped"
    delivery = Delivery.objects.select_related(
        "invitation__round__partnership", "invitation__organisation"
    ).get(pk=delivery_id)
    invitation = delivery.invitation
    if not invitation.round.is_open:
        _give_up(
            delivery,
            "The round had closed before this email could be sent",
            Delivery.State.NOT_NEEDED,
        )
        return "not sent"
    if not invitation.email:
        _give_up(delivery, "The email address was removed", Delivery.State.NOT_NEEDED)
        return "not sent"
    if (
        delivery.kind == Delivery.Kind.REMINDER
        and Response.objects.filter(invitation=invitation, state=Response.State.SUBMITTED).exists()
    ):
        _give_up(delivery, "Not needed: the answers had been sent", Delivery.State.NOT_NEEDED)
        return "not sent"
    try:
        _message(delivery).send()
    except Exception as error:
        # Recorded for the facilitator to see: the kind of failure and what the mail server
        # said, never the link.
        logger.warning("Email %s could not be sent: %s", delivery.pk, type(error).__name__)
        _give_up(delivery, f"{type(error).__name__}: {error}")
        return "failed"
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.SENT, sent_at=timezone.now(), error=""
    )
    return "sent"


def queue(deliveries: list[Delivery]) -> None:
    """Hand the emails to the worker. Call after the deliveries are committed."""
    for delivery in deliveries:
        send_delivery.enqueue(delivery.pk)
