"""Emails from accounts, sent in the background: invitations to a role and allauth's emails
(sign-in codes, password resets).

A page records each email (`QueuedEmail`) and queues `send_queued_email`, so a slow or failing
mail server never holds up or breaks the page. The worker sends it and records whether it
went, with the mail server's reason when it did not. Run the worker beside the web server:
`manage.py db_worker`.

Kept apart from accounts/tasks.py so that sending an email never imports rounds.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import DatabaseError
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from sixways.jinja2 import date

from .models import QueuedEmail, RoleInvitation

logger = logging.getLogger(__name__)

State = QueuedEmail.State


def invitation_message(invitation: RoleInvitation, token: str) -> EmailMessage:
    link = settings.SITE_URL + reverse("accounts:invitation", args=[token])
    inviter = invitation.invited_by.email if invitation.invited_by else "A facilitator"
    role = invitation.get_role_display().lower()
    body = (
        f"{inviter} has invited you to be {'an' if role[0] in 'aeiou' else 'a'} {role} "
        f"of {invitation.partnership.name} on Six Ways, the service for benchmarking how "
        f"partners work together.\n\n"
        f"To accept, open this link:\n{link}\n\n"
        f"The link works once, and until {date(invitation.expires_at)}. "
        f"If you were not expecting this email, you can ignore it.\n"
    )
    # One line, whatever was typed into the partnership's name.
    subject = " ".join(f"Six Ways: you are invited to {invitation.partnership.name}".split())
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


def record_invitation(invitation: RoleInvitation) -> QueuedEmail:
    """Record an invitation's email, in the transaction that stores the invitation, so that
    an invitation never exists without one. Then `queue` it once committed."""
    return QueuedEmail.objects.create(to=invitation.email, role_invitation=invitation)


def queue(email: QueuedEmail) -> bool:
    """Hand one recorded email to the worker. If that fails the email is marked as not sent,
    with the reason, and False is returned for the page to say so."""
    try:
        send_queued_email.enqueue(email.pk)
    except Exception as error:
        # Whatever the task store raised, the page must still answer: the email is recorded.
        logger.exception("Email %s could not be queued", email.pk)
        _finish(email, State.FAILED, f"Could not be queued: {type(error).__name__}: {error}")
        return False
    return True


def send_later(message: EmailMessage) -> bool:
    """Record an email already written (allauth's) and queue it. False if it could not be."""
    html = next(
        (body for body, kind in getattr(message, "alternatives", []) if kind == "text/html"), ""
    )
    try:
        emails = [
            QueuedEmail.objects.create(
                to=to, subject=message.subject, body=message.body, html_body=html
            )
            for to in message.to
        ]
    except DatabaseError:
        logger.exception("An email could not be recorded")
        return False
    return all([queue(email) for email in emails])


def failed_invitations(partnership):
    """Open invitations whose latest email could not be sent, each with that email as
    `failed_email`."""
    failed = []
    invitations = partnership.role_invitations.filter(
        accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).prefetch_related("emails")
    for invitation in invitations:
        latest = next(iter(invitation.emails.all()), None)
        if latest is not None and latest.state == State.FAILED:
            invitation.failed_email = latest
            failed.append(invitation)
    return failed


def _finish(email: QueuedEmail, state: str, error: str = "") -> None:
    if email.role_invitation_id is None and state != State.QUEUED:
        # A code or a reset link matters only now: once it is sent, or could not be, nothing
        # is kept but the log line.
        QueuedEmail.objects.filter(pk=email.pk).delete()
        return
    QueuedEmail.objects.filter(pk=email.pk).update(
        state=state,
        error=error[:300],
        body="",
        html_body="",
        sent_at=timezone.now() if state == State.SENT else None,
    )


def _message(email: QueuedEmail) -> EmailMessage | None:
    invitation = email.role_invitation
    if invitation is None:
        message = EmailMultiAlternatives(
            email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to]
        )
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        return message
    token = invitation.new_token() if invitation.is_open else None
    return invitation_message(invitation, token) if token else None


@task()
def send_queued_email(email_id: int) -> str:
    """Send one queued email and record whether it went. Safe to run twice: an email is
    claimed before it is sent, and a claimed one is never sent again."""
    # Claimed with one conditional update rather than a lock held while the mail server
    # answers: on SQLite a transaction that long would hold up everyone's submissions.
    if not QueuedEmail.objects.filter(pk=email_id, state=State.QUEUED).update(state=State.SENDING):
        return "skipped"
    email = QueuedEmail.objects.select_related(
        "role_invitation__partnership", "role_invitation__invited_by"
    ).get(pk=email_id)
    message = _message(email)
    if message is None:
        _finish(email, State.NOT_NEEDED, "The invitation had been accepted or had expired")
        return "not sent"
    try:
        message.send()
    except Exception as error:
        # Recorded for the facilitator to see: the kind of failure and what the mail server
        # said, never the email's text, which holds a link or a code.
        logger.warning("Email %s could not be sent: %s: %s", email.pk, type(error).__name__, error)
        _finish(email, State.FAILED, f"{type(error).__name__}: {error}")
        return "failed"
    _finish(email, State.SENT)
    return "sent"
