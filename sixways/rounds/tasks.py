"""Background work: sending invitation and reminder emails.

The page that asks for emails only records them (a `Delivery` each) and queues one task per
email, so a slow or failing mail server never holds up the facilitator's page. Run the worker
beside the web server: `manage.py db_worker`.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Delivery, Response

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
    template = f"emails/{delivery.kind}.txt"
    closes_on = f"{round_.closes_on.day} {round_.closes_on:%B %Y}"
    subject = SUBJECTS[delivery.kind].format(
        partnership=round_.partnership.name, closes_on=closes_on
    )
    # One line, whatever was typed into the partnership's name.
    subject = " ".join(subject.split())
    return EmailMessage(
        subject=subject,
        body=render_to_string(template, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )


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
