from django.conf import settings
from django.db import models
from django.utils import timezone


class EmailState(models.TextChoices):
    """Where an email the worker sends stands: every kind of email records one."""

    QUEUED = "queued", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"
    NOT_NEEDED = "not-needed", "Not sent: no longer needed"


class AuditEntry(models.Model):
    """One thing a facilitator or administrator did: who, what, when, and on what.

    `target` is the thing's description when it happened, so the entry still reads after the
    thing is gone. Never put what a participant wrote here.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=100)
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit",
    )
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target = models.CharField(max_length=300, blank=True)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "accounts_auditentry"  # where it was made, before the core app held it
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["partnership", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"
