"""What each role may do, in one place beside the scoping rule.

`Partnership.objects.for_user` decides which partnerships a person reaches at all (ADR 0003);
this module decides what their role there lets them do once inside. Every page, download and
middleware asks here rather than comparing roles itself.
"""

from dataclasses import dataclass

from .models import Membership, Role

# Who may change a partnership's data (rounds, partners, links, people). Everyone else reads.
CHANGERS = (Role.FACILITATOR,)


@dataclass(frozen=True)
class Viewer:
    """A person's role in one partnership, and so what they may see there."""

    role: str | None = None
    organisation_id: int | None = None

    @property
    def partner_lead(self) -> bool:
        return self.role == Role.PARTNER_LEAD

    @property
    def may_change(self) -> bool:
        return self.role in CHANGERS

    @property
    def sees_every_organisation(self) -> bool:
        # A partner lead sees the partnership as a whole and their own organisation, no other:
        # partners write candidly about each other.
        return not self.partner_lead

    def sees_organisation(self, organisation_id: int | None) -> bool:
        return self.sees_every_organisation or (
            organisation_id is not None and organisation_id == self.organisation_id
        )

    @property
    def may_add_actions(self) -> bool:
        # A partner lead proposes actions for the organisation they lead, so needs one.
        return self.may_change or (self.partner_lead and self.organisation_id is not None)

    @property
    def may_download_responses(self) -> bool:
        return self.role in (Role.FACILITATOR, Role.OBSERVER)

    @property
    def view(self) -> str:
        """What this viewer is shown, as a key: two viewers with the same key see the same
        pages and downloads, so a built page or file can be kept for all of them."""
        return f"lead-{self.organisation_id}" if self.partner_lead else "all"


def viewer_for(user, partnership_id: int) -> Viewer:
    """The person's role in the partnership; a Viewer with no role if they have none."""
    membership = (
        Membership.objects.filter(user=user, partnership_id=partnership_id)
        .values("role", "organisation")
        .first()
    )
    if membership is None:
        return Viewer()
    return Viewer(role=membership["role"], organisation_id=membership["organisation"])


def needs_two_factor(user) -> bool:
    """Service administrators and anyone who can change a partnership's data must sign in with
    a second factor: they can see every answer's figures and invite people."""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role__in=CHANGERS).exists()
