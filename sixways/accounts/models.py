"""Invitations to a role, the audit log, and what the retention rules keep.

Roles themselves are `partnerships.Membership`; this app decides how a person gets one (an
invitation sent to their email address) and records who did what.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from sixways.core.models import EmailState
from sixways.partnerships.models import Organisation, Partnership, Role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RoleInvitationQuerySet(models.QuerySet):
    def from_token(self, token: str) -> "RoleInvitation | None":
        """The open invitation a token belongs to, or None: wrong, used and expired alike."""
        if not token or len(token) > 100:
            return None
        return (
            self.select_related("partnership", "organisation")
            .filter(token_hash=hash_token(token), accepted_at__isnull=True)
            .filter(expires_at__gt=timezone.now())
            .first()
        )


class RoleInvitation(models.Model):
    """An email inviting one person to one role in one partnership. The token is sent once
    and only its hash is kept; the address is the only thing known about them until they
    accept."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="role_invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = RoleInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="partner-lead", organisation__isnull=False)
                | (~models.Q(role="partner-lead") & models.Q(organisation__isnull=True)),
                name="partner_lead_invitation_has_organisation",
            ),
            # One link waiting per address and partnership: a second one, forgotten, could be
            # used later to raise or lower the person behind the facilitators' backs. Expired
            # ones count too (inviting again clears them); issue() keeps addresses in lower
            # case, so the comparison is without case.
            models.UniqueConstraint(
                fields=["partnership", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="one_open_role_invitation",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation to be {self.get_role_display().lower()} of {self.partnership}"

    @classmethod
    def issue(
        cls, partnership, email: str, role: str, organisation=None, invited_by=None
    ) -> tuple["RoleInvitation", str]:
        """32 random bytes: 256 bits, far past guessing."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            partnership=partnership,
            email=email.strip().lower(),
            role=role,
            organisation=organisation,
            token_hash=hash_token(token),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.ROLE_INVITATION_DAYS),
        )
        return invitation, token

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()

    def new_token(self) -> str | None:
        """A fresh token for the email about to be sent; any earlier link stops working.
        None if the invitation has just been accepted or withdrawn."""
        token = secrets.token_urlsafe(32)
        changed = (
            type(self)
            .objects.filter(pk=self.pk, accepted_at__isnull=True)
            .update(token_hash=hash_token(token))
        )
        return token if changed else None


class QueuedEmail(models.Model):
    """One email the background worker sends: an invitation to a role, or one of allauth's
    (a sign-in code, a password reset link). Pages only record it and queue a task
    (accounts/emails.py), so a slow or failing mail server never breaks the page.

    An invitation's text is written when it is sent, with a fresh link, so the link is never
    stored. allauth's emails carry a code or link that exists only now, so their text is kept
    until it is sent and then emptied.
    """

    State = EmailState

    to = models.EmailField()
    role_invitation = models.ForeignKey(
        RoleInvitation, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # What the mail server said, for the facilitator to act on. Never the email's text.
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Email to {self.to} ({self.get_state_display().lower()})"


class AccessRequest(models.Model):
    """Someone asking, from the public start page, for their partnership to use the service.

    It goes to the service administrators by email and is listed in the admin; the retention
    run deletes it INVITATION_EMAIL_RETENTION_DAYS after it was made, as it holds a name and an
    address that nothing else needs.
    """

    name = models.CharField(max_length=200)
    email = models.EmailField()
    organisation = models.CharField(max_length=200)
    partnership = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.partnership} ({self.email})"
