"""Sharing results with people who have no account: read-only board links to a round's results,
and API tokens for analysts' tools (Excel, Power BI, scripts).

Both are keys. Neither is stored: a board link keeps a random salt and its token's SHA-256
hash, and its token is an HMAC of the salt under the secret key, as participant links do
(docs/adr/0005), so its facilitators can copy it again; an API token keeps only its hash, as
it is shown once (docs/adr/0017).
"""

import secrets

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.urls import reverse
from django.utils import timezone

from sixways.partnerships.models import Partnership
from sixways.rounds.models import Round
from sixways.rounds.tokens import derive_token, hash_token

# What a board link can show, in the order its page shows them.
SECTIONS = {
    "overview": "Overview: key points and the six scores",
    "priorities": "Priorities: what to work on first",
    "behaviours": "Each behaviour in detail",
    "organisations": "Organisations and sectors compared",
    "trend": "Trend across rounds",
    "actions": "Action plan, where there is one",
}


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class KeyQuerySet(models.QuerySet):
    def usable(self):
        """Keys that open something now: not revoked and not past their expiry."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class BoardLinkQuerySet(KeyQuerySet):
    def usable(self):
        return super().usable().filter(paused_at__isnull=True)

    def from_token(self, token: str) -> "BoardLink | None":
        """The link a token opens, whatever its state, or None. Only the hash is stored."""
        if not token or len(token) > 100:
            return None
        return (
            self.select_related("round__partnership", "round__instrument")
            .filter(token_hash=hash_token(token))
            .first()
        )


class BoardLink(models.Model):
    """A read-only link to one round's results, for a board or anyone without an account."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=100)
    sections = models.JSONField(default=list)  # keys of SECTIONS, in that order
    comments = models.BooleanField(default=False)
    downloads = models.BooleanField(default=False)  # the link's own board report (PDF)
    # A snapshot keeps its page as it was made, so a board paper never changes afterwards; a
    # live link shows the figures as they are now.
    snapshot = models.BooleanField(default=False)
    snapshot_html = models.TextField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    token_salt = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    # The PDF of the page, kept while the page it was made from is unchanged (its hash).
    pdf = models.FileField(upload_to="board-links/", blank=True)
    pdf_built_from = models.CharField(max_length=64, blank=True)

    objects = BoardLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def issue(cls, round: Round, **fields) -> tuple["BoardLink", str]:
        salt = secrets.token_urlsafe(32)
        token = derive_token(salt, "board-link")
        link = cls.objects.create(
            round=round, token_salt=salt, token_hash=hash_token(token), **fields
        )
        return link, token

    def token(self) -> str:
        return derive_token(self.token_salt, "board-link")

    def url(self) -> str:
        return settings.SITE_URL + reverse("sharing:board", args=[self.token()])

    @property
    def status(self) -> str:
        if self.revoked_at:
            return Status.REVOKED
        if self.expires_at <= timezone.now():
            return Status.EXPIRED
        if self.paused_at:
            return Status.PAUSED
        return Status.ACTIVE

    def get_status_display(self) -> str:
        return Status(self.status).label


def delete_pdf(sender, instance: BoardLink, **kwargs) -> None:
    if instance.pdf:
        default_storage.delete(instance.pdf.name)


class ApiTokenQuerySet(KeyQuerySet):
    def from_secret(self, secret: str) -> "ApiToken | None":
        if not secret or len(secret) > 100:
            return None
        return self.select_related("partnership").filter(token_hash=hash_token(secret)).first()


class ApiToken(models.Model):
    """A read-only key to one partnership's tables in the API (and, if chosen, those of the
    partnerships within it). Shown once when made; only its hash is kept."""

    PREFIX = "sw_"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    include_children = models.BooleanField(default=False)
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the token, so people can tell which one a tool holds.
    hint = models.CharField(max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, partnership: Partnership, **fields) -> tuple["ApiToken", str]:
        """Make a token: 32 random bytes (256 bits) after a prefix that says what it is."""
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            partnership=partnership,
            token_hash=hash_token(secret),
            hint=secret[:9],
            **fields,
        )
        return token, secret

    @property
    def status(self) -> str:
        if self.revoked_at:
            return Status.REVOKED
        if self.expires_at <= timezone.now():
            return Status.EXPIRED
        return Status.ACTIVE

    def get_status_display(self) -> str:
        return Status(self.status).label
