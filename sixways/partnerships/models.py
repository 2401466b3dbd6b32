"""Partnerships, their partner organisations, and who may work on them.

Every query for partnership data starts from `Partnership.objects.for_user(user)`: it is the one
place that decides what a signed-in person may see (docs/adr/0003-one-scoping-mechanism.md).
"""

import calendar
import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone


class Level(models.TextChoices):
    SYSTEM = "system", "Integrated care system"
    ICP = "icp", "Integrated care partnership"
    PLACE = "place", "Place"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"


class Sector(models.TextChoices):
    ICB = "icb", "Integrated care board"
    NHS_TRUST = "nhs-trust", "NHS trust"
    PRIMARY_CARE = "primary-care", "Primary care"
    LOCAL_AUTHORITY = "local-authority", "Local authority"
    CARE_PROVIDER = "care-provider", "Social care provider"
    VCSE = "vcse", "Voluntary and community sector"
    HEALTHWATCH = "healthwatch", "Healthwatch"
    OTHER = "other", "Other"


# The broad groups whose scores are compared for spread between sectors.
SECTOR_GROUPS = {
    Sector.ICB: "NHS",
    Sector.NHS_TRUST: "NHS",
    Sector.PRIMARY_CARE: "NHS",
    Sector.LOCAL_AUTHORITY: "Local authority",
    Sector.CARE_PROVIDER: "Care providers",
    Sector.VCSE: "Voluntary sector",
    Sector.HEALTHWATCH: "Voluntary sector",
    Sector.OTHER: "Other",
}


# Which level of partnership each level may sit inside: a place inside a system, a
# neighbourhood inside a place. A system stands on its own.
PARENT_LEVELS = {
    Level.SYSTEM: (),
    Level.ICP: (Level.SYSTEM,),
    Level.PLACE: (Level.SYSTEM, Level.ICP),
    Level.NEIGHBOURHOOD: (Level.PLACE,),
}

# Rounds are repeated every six months: the next one is due this long after the last closed.
ROUND_INTERVAL_MONTHS = 6


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month `months` later, or the month's last day if it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


class PartnershipQuerySet(models.QuerySet):
    def for_user(self, user, roles: "Iterable[str] | None" = None) -> "PartnershipQuerySet":
        """The partnerships this person works on, in one of `roles` if given (any role if not).

        Anyone else's are simply not there, so views answer 404 rather than revealing them.
        Pass `roles=CHANGERS` (from `roles`) for anything that changes data: observers only read.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        memberships = Membership.objects.filter(user=user)
        if roles is not None:
            memberships = memberships.filter(role__in=list(roles))
        return self.filter(pk__in=memberships.values("partnership"))

    def for_api_token(self, token) -> "PartnershipQuerySet":
        """The partnerships an API token reads (sixways/sharing, docs/adr/0017): its own, and,
        if it was made to include them, its direct children that let their parent read their
        figures (`figures_to_parent`, the rule of the side-by-side page, results/rollup.py).
        A revoked or expired token reads nothing.

        This is the API's one scoping rule, beside `for_user`: every table starts from it.
        """
        if token is None or token.revoked_at is not None or token.expires_at <= timezone.now():
            return self.none()
        scope = models.Q(pk=token.partnership_id)
        if token.include_children:
            scope |= models.Q(parent_id=token.partnership_id, figures_to_parent=True)
        return self.filter(scope)


class Partnership(models.Model):
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # What the parent (the system above a place, the place above a neighbourhood) may read of
    # this partnership's closed rounds, side by side with its other children: the figures,
    # unless this partnership's facilitators turn them off, and the comments only if they turn
    # them on. Parents read, never change; each change is in the activity log.
    figures_to_parent = models.BooleanField(default=True)
    comments_to_parent = models.BooleanField(default=False)
    # Since when this partnership takes part in the benchmark across partnerships (None: it
    # does not), as its facilitators chose; leaving stops its future contributions.
    benchmark_joined_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def facilitators(self):
        return self.memberships.filter(role=Role.FACILITATOR).select_related("user")

    def next_round_due(self) -> "tuple[datetime.date, models.Model] | None":
        """When the next round is due, and the closed round that sets the date.

        None when there is no closed round yet, or a later round is already set up.
        """
        rounds = self.rounds.all()
        last_closed = rounds.filter(status="closed").order_by("-closed_at", "-id").first()
        if last_closed is None or rounds.filter(status__in=["draft", "open"]).exists():
            return None
        closed_on = timezone.localdate(last_closed.closed_at)
        return add_months(closed_on, ROUND_INTERVAL_MONTHS), last_closed


class Organisation(models.Model):
    """A partner organisation. One organisation can be a partner in several partnerships."""

    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    # An ODS code, a local authority GSS code or a CQC ID, when known.
    code = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # A code names one organisation, so two partnerships that list it share one record.
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="organisation_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def find_or_create(cls, name: str, sector: str, code: str) -> tuple["Organisation", bool]:
        """The organisation with this code if the service knows it, otherwise a new one.

        Without a code, an organisation of the same name and sector that has no code either is
        taken to be the same one. Returns (organisation, created).
        """
        if code:
            existing = cls.objects.filter(code__iexact=code).first()
        else:
            existing = cls.objects.filter(name__iexact=name, sector=sector, code="").first()
        if existing:
            return existing, False
        try:
            with transaction.atomic():
                return cls.objects.create(name=name, sector=sector, code=code), True
        except IntegrityError:
            # Someone else added the same code at this moment: theirs is the one.
            return cls.objects.get(code__iexact=code), False

    @property
    def sector_group(self) -> str:
        return SECTOR_GROUPS[self.sector]


class Partner(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="partnerships"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organisation"], name="partner_once_per_partnership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.partnership}"


class Role(models.TextChoices):
    FACILITATOR = "facilitator", "Facilitator"
    PARTNER_LEAD = "partner-lead", "Partner lead"
    OBSERVER = "observer", "Observer"


class Membership(models.Model):
    """A person's role in one partnership."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="For a partner lead: the organisation they lead for.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "partnership"], name="one_role_per_partnership")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.partnership}"
