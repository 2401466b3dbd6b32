"""The activity log: every change a facilitator makes leaves an entry, which the partnership's
facilitators can read on its activity page and nobody else can."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sixways.core import audit
from sixways.core.models import AuditEntry
from sixways.partnerships.models import Membership, Partnership, Role
from sixways.rounds.models import Delivery, Mode, Round, Status
from tests.conftest import ALL_YES, date_data, make_round, make_user

SECRET_EMAIL = "private.person@council.example"


def actions(partnership) -> list[str]:
    return list(
        AuditEntry.objects.filter(partnership=partnership)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


def check(response, status: int = 302):
    assert response.status_code == status, response.content.decode()[:2000]
    return response


@pytest.fixture
def signed_in(client, facilitator):
    client.force_login(facilitator)
    return client


def test_each_partnership_action_leaves_an_entry(signed_in, facilitator, partnership):
    client = signed_in
    check(client.post(reverse("partnerships:create"), {"name": "Northfield", "level": "place"}))
    northfield = Partnership.objects.get(name="Northfield")
    assert actions(northfield) == ["partnership.created"]

    p = partnership.pk
    check(
        client.post(reverse("partnerships:edit", args=[p]), {"name": "Eastvale", "level": "place"})
    )
    check(
        client.post(
            reverse("partnerships:add-partner", args=[p]),
            {"name": "Eastvale Council", "sector": "local-authority"},
        )
    )
    partner = partnership.partners.get()
    check(
        client.post(
            reverse("partnerships:edit-partner", args=[p, partner.pk]),
            {"name": "Eastvale Borough Council", "sector": "local-authority"},
        )
    )
    csv = "name,sector,code\nEastvale Hospitals NHS Trust,nhs-trust,REV\n"
    check(
        client.post(
            reverse("partnerships:import-partners", args=[p]),
            {"file": SimpleUploadedFile("partners.csv", csv.encode(), "text/csv")},
        )
    )
    check(client.post(reverse("partnerships:remove-partner", args=[p, partner.pk])))
    assert actions(partnership) == [
        "partnership.changed",
        "partner.added",
        "organisation.changed",
        "partners.imported",
        "partner.removed",
    ]
    entry = AuditEntry.objects.get(action="partners.imported")
    assert entry.actor == facilitator
    assert entry.detail == "1 added, 0 already partners"


def test_each_round_action_leaves_an_entry(
    signed_in, facilitator, partnership, instrument, organisations, settings
):
    client = signed_in
    council, trust = organisations
    today = timezone.localdate()
    data = {
        "title": "Spring 2027",
        "instrument": instrument.pk,
        "mode": "individual",
        **date_data("opens_on", today),
        **date_data("closes_on", today + datetime.timedelta(days=14)),
        "organisations": [council.pk, trust.pk],
    }
    check(client.post(reverse("rounds:create", args=[partnership.pk]), data))
    round_ = Round.objects.get()
    r = round_.pk
    check(client.post(reverse("rounds:edit", args=[r]), {**data, "title": "Spring 2027 (B)"}))
    check(client.post(reverse("rounds:open", args=[r])))
    check(
        client.post(
            reverse("rounds:invite", args=[r]),
            {"organisation": council.pk, "emails": f"{SECRET_EMAIL}\nother@council.example"},
        )
    )
    check(client.post(reverse("rounds:reminders", args=[r])))
    Delivery.objects.update(state=Delivery.State.FAILED, error="Mailbox full")
    check(client.post(reverse("rounds:emails", args=[r])))
    check(client.post(reverse("rounds:links", args=[r]), {"organisation": trust.pk}))
    check(
        client.post(
            reverse("rounds:links", args=[r]), {"organisation": trust.pk, "action": "replace"}
        )
    )
    check(client.post(reverse("rounds:close", args=[r]), {"reason": "Board meets on Monday"}))
    closes_on = today + datetime.timedelta(days=7)
    check(
        client.post(
            reverse("rounds:reopen", args=[r]),
            {**date_data("closes_on", closes_on), "reason": "More time"},
        )
    )
    assert actions(partnership) == [
        "round.created",
        "round.changed",
        "round.opened",
        "round.invited",
        "round.reminded",
        "round.emails-retried",
        "link.created",
        "link.replaced",
        "round.closed",
        "round.reopened",
    ]
    invited = AuditEntry.objects.get(action="round.invited")
    assert invited.detail == "2 invited from Eastvale Council"
    assert invited.target == "Spring 2027 (B)"
    # Participants' addresses are deleted after the round: they never go into the log.
    assert not AuditEntry.objects.filter(detail__contains="council.example").exists()
    assert not AuditEntry.objects.filter(target__contains="council.example").exists()
    assert AuditEntry.objects.get(action="link.replaced").detail == "Eastvale NHS Trust"
    assert AuditEntry.objects.get(action="round.reopened").detail.startswith("Open until ")


def test_showing_a_link_again_adds_nothing(signed_in, open_round, organisations):
    open_round.organisations.set(organisations)
    for _ in range(2):
        check(
            signed_in.post(
                reverse("rounds:links", args=[open_round.pk]),
                {"organisation": organisations[0].pk},
            )
        )
    assert actions(open_round.partnership) == ["link.created"]


def test_saving_and_agreeing_collective_answers_leave_entries(signed_in, partnership, instrument):
    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE)

    def behaviour(number):
        return reverse("rounds:agreed-behaviour", args=[round_.pk, number])

    for number in range(1, 7):
        check(
            signed_in.post(behaviour(number), {**ALL_YES, "version": number - 1, "action": "save"})
        )
    check(signed_in.post(reverse("rounds:agreed", args=[round_.pk]), {"version": 6}))
    check(signed_in.post(behaviour(1), {**ALL_YES, "version": 7, "action": "save"}))
    assert actions(partnership) == ["agreed.saved"] * 6 + ["agreed.agreed", "agreed.saved"]


def test_nothing_is_logged_when_nothing_changes(signed_in, partnership, instrument):
    """Opening pages, and changes refused, leave no entry."""
    round_ = make_round(partnership, instrument, status=Status.DRAFT)
    for name in ("rounds:open", "rounds:edit", "rounds:detail"):
        assert signed_in.get(reverse(name, args=[round_.pk])).status_code == 200
    check(signed_in.post(reverse("rounds:close", args=[round_.pk]), {"reason": "x"}))
    assert actions(partnership) == []


def test_role_actions_leave_entries(signed_in, partnership, django_user_model):
    colleague = make_user(django_user_model, "colleague@eastvale.example", partnership)
    membership = Membership.objects.get(user=colleague)
    p = partnership.pk
    check(
        signed_in.post(
            reverse("accounts:invite", args=[p]),
            {"email": "new@eastvale.example", "role": "observer"},
        )
    )
    invitation = partnership.role_invitations.get()
    check(signed_in.post(reverse("accounts:withdraw", args=[p, invitation.pk])))
    check(
        signed_in.post(
            reverse("accounts:change-role", args=[p, membership.pk]), {"role": Role.OBSERVER}
        )
    )
    check(signed_in.post(reverse("accounts:remove", args=[p, membership.pk])))
    assert actions(partnership) == [
        "invitation.sent",
        "invitation.withdrawn",
        "role.changed",
        "role.removed",
    ]


def test_the_activity_page_is_for_the_partnerships_facilitators_only(
    client, facilitator, observer, partner_lead, outsider, partnership, open_round
):
    audit.record(facilitator, "round.closed", partnership, open_round)
    url = reverse("accounts:activity", args=[partnership.pk])

    client.force_login(facilitator)
    page = check(client.get(url), 200).content.decode()
    assert "Closed a round" in page
    assert open_round.title in page
    assert facilitator.email in page

    for person in (observer, partner_lead, outsider):
        other = Client()
        other.force_login(person)
        assert other.get(url).status_code == 404, person.email
    assert Client().get(url).status_code == 302  # signed out: to the sign-in page


def test_another_partnerships_entries_are_not_shown(client, facilitator, outsider, partnership):
    theirs = Partnership.objects.for_user(outsider).get()
    audit.record(outsider, "partnership.changed", theirs, theirs, detail="Their secret change")
    client.force_login(facilitator)
    page = client.get(reverse("accounts:activity", args=[partnership.pk])).content.decode()
    assert "Their secret change" not in page
    assert "Nothing has been recorded yet" in page


def test_the_partnership_page_links_to_people_activity_and_trend(
    client, facilitator, observer, partnership, instrument
):
    client.force_login(facilitator)
    url = reverse("partnerships:detail", args=[partnership.pk])
    trend = reverse("results:trend", args=[partnership.pk])
    page = client.get(url).content.decode()
    assert reverse("accounts:people", args=[partnership.pk]) in page
    assert reverse("accounts:activity", args=[partnership.pk]) in page
    assert trend not in page  # no closed round yet
    make_round(partnership, instrument, status=Status.CLOSED)
    assert trend in client.get(url).content.decode()

    client.force_login(observer)
    page = client.get(url).content.decode()
    assert trend in page
    assert reverse("accounts:activity", args=[partnership.pk]) not in page
