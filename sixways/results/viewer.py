"""Who is looking at a round's results: their role in the round's partnership, and so what
they may see and download. Reached only through a round that Round.objects.for_user allowed."""

from dataclasses import dataclass

from sixways.partnerships.models import Membership, Role
from sixways.rounds.models import Round


@dataclass(frozen=True)
class Viewer:
    role: str | None = None
    organisation_id: int | None = None

    @property
    def partner_lead(self) -> bool:
        return self.role == Role.PARTNER_LEAD

    @property
    def sees_every_organisation(self) -> bool:
        # A partner lead sees the partnership and their own organisation.
        return not self.partner_lead

    @property
    def may_download_responses(self) -> bool:
        return self.role in (Role.FACILITATOR, Role.OBSERVER)


def viewer_for(user, round_: Round) -> Viewer:
    membership = (
        Membership.objects.filter(user=user, partnership_id=round_.partnership_id)
        .values("role", "organisation")
        .first()
    )
    if membership is None:
        return Viewer()
    return Viewer(role=membership["role"], organisation_id=membership["organisation"])
