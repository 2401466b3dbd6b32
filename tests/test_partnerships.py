"""Partnerships, their partner organisations and facilitators, through the service's pages."""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from sixways.partnerships.models import (
    Level,
    Membership,
    Organisation,
    Partner,
    Partnership,
    Role,
    Sector,
    add_months,
)
from sixways.rounds.models import Invitation, Response, Status
from tests.conftest import make_round, make_user


def csv_file(text: str, name: str = "partners.csv", encoding: str = "utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_a_signed_in_person_with_no_partnership_sets_one_up(client, django_user_model):
    user = make_user(django_user_model, "new@example.org")
    client.force_login(user)
    home = client.get(reverse("partnerships:home")).content.decode()
    assert "You are not part of any partnership yet" in home
    assert reverse("partnerships:create") in home

    response = client.post(
        reverse("partnerships:create"), {"name": "Riverside Place", "level": "place"}
    )
    partnership = Partnership.objects.get()
    assert response["Location"] == reverse("partnerships:detail", args=[partnership.pk])
    assert Membership.objects.get().role == Role.FACILITATOR
    page = client.get(response["Location"]).content.decode()
    assert "Riverside Place" in page
    assert "new@example.org" in page  # listed as a facilitator


def test_setting_up_needs_a_name_and_a_level(client, facilitator):
    client.force_login(facilitator)
    response = client.post(reverse("partnerships:create"), {"name": " ", "level": "city"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter the name of the partnership" in html
    assert 'href="#level"' in html
    assert Partnership.objects.count() == 1


def test_a_place_can_sit_inside_a_system_but_not_a_neighbourhood(client, facilitator, partnership):
    client.force_login(facilitator)
    system = Partnership.objects.create(name="Eastvale System", level=Level.SYSTEM)
    Membership.objects.create(user=facilitator, partnership=system, role=Role.FACILITATOR)
    response = client.post(
        reverse("partnerships:edit", args=[system.pk]),
        {"name": "Eastvale System", "level": "system", "parent": partnership.pk},
    )
    assert response.status_code == 400
    assert "is not part of another partnership" in response.content.decode()

    response = client.post(
        reverse("partnerships:edit", args=[partnership.pk]),
        {"name": "Eastvale Place", "level": "place", "parent": system.pk},
    )
    assert response.status_code == 302
    partnership.refresh_from_db()
    assert partnership.parent == system
    assert partnership.name == "Eastvale Place"


def test_a_parent_must_be_a_partnership_the_person_works_on(client, facilitator, partnership):
    client.force_login(facilitator)
    elsewhere = Partnership.objects.create(name="Hidden System", level=Level.SYSTEM)
    response = client.post(
        reverse("partnerships:edit", args=[partnership.pk]),
        {"name": partnership.name, "level": "place", "parent": elsewhere.pk},
    )
    assert response.status_code == 400
    assert "Select a partnership you facilitate" in response.content.decode()
    assert "Hidden System" not in response.content.decode()


def test_a_facilitator_adds_changes_and_removes_a_partner(client, facilitator, partnership):
    client.force_login(facilitator)
    response = client.post(
        reverse("partnerships:add-partner", args=[partnership.pk]),
        {"name": "Eastvale Hospice", "sector": "vcse", "code": "1-2345"},
    )
    assert response.status_code == 302
    partner = Partner.objects.get(partnership=partnership)
    assert partner.organisation.code == "1-2345"

    response = client.post(
        reverse("partnerships:edit-partner", args=[partnership.pk, partner.pk]),
        {"name": "Eastvale Hospice Care", "sector": "care-provider", "code": ""},
    )
    assert response.status_code == 302
    partner.organisation.refresh_from_db()
    assert partner.organisation.name == "Eastvale Hospice Care"
    assert partner.organisation.sector == Sector.CARE_PROVIDER

    page = client.get(reverse("partnerships:remove-partner", args=[partnership.pk, partner.pk]))
    assert "Remove Eastvale Hospice Care from" in page.content.decode()
    assert Partner.objects.exists()  # opening the page removes nothing
    client.post(reverse("partnerships:remove-partner", args=[partnership.pk, partner.pk]))
    assert not Partner.objects.exists()
    assert Organisation.objects.filter(name="Eastvale Hospice Care").exists()


def test_an_organisation_with_a_known_code_is_shared_not_copied(client, facilitator, partnership):
    other = Partnership.objects.create(name="Northdale", level=Level.PLACE)
    trust = Organisation.objects.create(name="Vale NHS Trust", sector=Sector.NHS_TRUST, code="RVT")
    Partner.objects.create(partnership=other, organisation=trust)
    client.force_login(facilitator)
    client.post(
        reverse("partnerships:add-partner", args=[partnership.pk]),
        {"name": "The Vale Trust", "sector": "nhs-trust", "code": "rvt"},
    )
    assert Organisation.objects.filter(code="RVT").count() == 1
    partner = Partner.objects.get(partnership=partnership)
    assert partner.organisation == trust

    # Its details are shared, so one partnership cannot rename it for the other.
    response = client.post(
        reverse("partnerships:edit-partner", args=[partnership.pk, partner.pk]),
        {"name": "Renamed", "sector": "nhs-trust", "code": "RVT"},
    )
    assert "is also a partner in another partnership" in response.content.decode()
    trust.refresh_from_db()
    assert trust.name == "Vale NHS Trust"


def test_removing_a_partner_keeps_past_rounds_intact(
    client, facilitator, partnership, instrument, organisations
):
    closed = make_round(partnership, instrument, status=Status.CLOSED, title="Spring")
    closed.organisations.set(organisations)
    invitation, _ = Invitation.issue(closed, organisations[0])
    Response.objects.create(round=closed, invitation=invitation, organisation=organisations[0])
    client.force_login(facilitator)
    partner = Partner.objects.get(organisation=organisations[0])
    client.post(reverse("partnerships:remove-partner", args=[partnership.pk, partner.pk]))

    assert list(closed.organisations.all()) == sorted(organisations, key=lambda o: o.name)
    assert Response.objects.get().organisation == organisations[0]
    page = client.get(reverse("rounds:detail", args=[closed.pk])).content.decode()
    assert "Eastvale Council" in page


GOOD_CSV = """name,sector,code
Eastvale Integrated Care Board,Integrated care board,QEV
Eastvale Hospitals NHS Trust,nhs-trust,REV
Cyngor Gwynedd – Llanelli ŵ,Local authority,W06000002
Eastvale Voluntary Action,VOLUNTARY AND COMMUNITY SECTOR,
"Healthwatch Eastvale, North",Healthwatch,
"""


def test_importing_a_csv_adds_every_organisation(client, facilitator, partnership):
    client.force_login(facilitator)
    response = client.post(
        reverse("partnerships:import-partners", args=[partnership.pk]),
        {"file": csv_file("\ufeff" + GOOD_CSV)},  # with Excel's byte order mark
    )
    assert response.status_code == 302
    names = set(partnership.partners.values_list("organisation__name", flat=True))
    assert names == {
        "Eastvale Integrated Care Board",
        "Eastvale Hospitals NHS Trust",
        "Cyngor Gwynedd – Llanelli ŵ",
        "Eastvale Voluntary Action",
        "Healthwatch Eastvale, North",
    }
    assert Organisation.objects.get(code="W06000002").sector == Sector.LOCAL_AUTHORITY
    page = client.get(response["Location"]).content.decode()
    assert "5 partner organisations added." in page

    # Importing the same file again adds nothing twice.
    response = client.post(
        reverse("partnerships:import-partners", args=[partnership.pk]),
        {"file": csv_file(GOOD_CSV)},
    )
    assert partnership.partners.count() == 5
    assert Organisation.objects.count() == 5
    assert "5 were already partners" in client.get(response["Location"]).content.decode()


def test_a_csv_with_mistakes_imports_nothing_and_lists_every_problem(
    client, facilitator, partnership
):
    client.force_login(facilitator)
    text = (
        "name,sector,code\n"
        "Good Trust,NHS trust,RGT\n"
        ",NHS trust,\n"
        "Eastvale Surgery,Hospital,\n"
        "Good Trust,NHS trust,\n"
        "Another,Other,RGT\n"
        "Bad Code,Other,A B!\n"
        "Too,Other,X,extra\n"
    )
    response = client.post(
        reverse("partnerships:import-partners", args=[partnership.pk]), {"file": csv_file(text)}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    for expected in [
        "Row 3, column name: enter the organisation",
        "Row 4, column sector: ‘Hospital’ is not a sector",
        "Row 5, column name: ‘Good Trust’ is already on row 2",
        "Row 6, column code: RGT is already on row 2",
        "Row 7, column code: the code can only contain letters, numbers and hyphens",
        "Row 8: there are more values than headings",
    ]:
        assert expected.replace("’", "&#8217;") in html or expected in html, expected
    assert not Partner.objects.exists()
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("organisation,type\nA,B\n", "the file needs a column headed ‘name’"),
        ("name,sector,ods\nA,Other,X\n", "‘ods’ is not a column we know"),
        ("name,sector,code\n", "The file has headings but no organisations"),
        ("\n\n", "The file has no rows"),
    ],
)
def test_a_csv_with_wrong_columns_gets_a_clear_message(
    client, facilitator, partnership, content, message
):
    client.force_login(facilitator)
    response = client.post(
        reverse("partnerships:import-partners", args=[partnership.pk]),
        {"file": csv_file(content)},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Partner.objects.exists()


def test_a_file_that_is_not_utf8_is_refused_clearly(client, facilitator, partnership):
    client.force_login(facilitator)
    response = client.post(
        reverse("partnerships:import-partners", args=[partnership.pk]),
        {"file": SimpleUploadedFile("p.csv", b"name,sector\n\xff\xfe\x00bad,Other\n")},
    )
    assert response.status_code == 400
    assert "save it as ‘CSV UTF-8’" in response.content.decode()


def test_importing_without_a_file_asks_for_one(client, facilitator, partnership):
    client.force_login(facilitator)
    response = client.post(reverse("partnerships:import-partners", args=[partnership.pk]), {})
    assert response.status_code == 400
    assert "Select a CSV file" in response.content.decode()


def test_roles_are_given_only_by_invitation(client, facilitator, partnership):
    """One way to give someone a role: an invitation by email, from the people page. The
    partnership page lists the facilitators and sends people there."""
    client.force_login(facilitator)
    page = client.get(reverse("partnerships:detail", args=[partnership.pk])).content.decode()
    assert reverse("accounts:people", args=[partnership.pk]) in page
    assert "facilitators/add" not in page
    assert client.get(f"/partnerships/{partnership.pk}/facilitators/add/").status_code == 404


def test_the_last_facilitator_cannot_be_removed(
    client, facilitator, partnership, django_user_model
):
    other = make_user(django_user_model, "two@eastvale.example", partnership)
    mine = Membership.objects.get(user=facilitator)
    theirs = Membership.objects.get(user=other)
    client.force_login(facilitator)
    # Nobody changes their own role, so whoever acts stays a facilitator.
    url = reverse("accounts:remove", args=[partnership.pk, mine.pk])
    assert client.post(url).status_code == 404
    response = client.post(reverse("accounts:remove", args=[partnership.pk, theirs.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=theirs.pk).exists()
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_removing_a_role_never_leaves_no_facilitator(facilitator, partnership, django_user_model):
    """Two facilitators removing each other at the same moment: the partnership's row is locked
    and the count checked again, so the second removal is refused."""
    from sixways.accounts.views import _leaves_a_facilitator

    other = make_user(django_user_model, "two@eastvale.example", partnership)
    theirs = Membership.objects.get(user=other)
    assert _leaves_a_facilitator(partnership, theirs, None)
    Membership.objects.filter(user=facilitator).delete()  # the other removal won the race
    assert not _leaves_a_facilitator(partnership, theirs, None)
    assert not _leaves_a_facilitator(partnership, theirs, Role.OBSERVER)
    assert _leaves_a_facilitator(partnership, theirs, Role.FACILITATOR)


def test_the_partnership_page_says_when_the_next_round_is_due(
    client, facilitator, partnership, instrument
):
    client.force_login(facilitator)
    page = client.get(reverse("partnerships:detail", args=[partnership.pk])).content.decode()
    assert "next round is due" not in page
    spring = make_round(partnership, instrument, status=Status.CLOSED, title="Spring")
    spring.closed_at = timezone.make_aware(datetime.datetime(2026, 8, 31, 12))
    spring.save()
    page = client.get(reverse("partnerships:detail", args=[partnership.pk])).content.decode()
    assert "The next round is due" in page
    assert "28 February 2027" in page
    assert "six months after ‘Spring’ closed" in page

    make_round(partnership, instrument, status=Status.DRAFT, title="Autumn")
    page = client.get(reverse("partnerships:detail", args=[partnership.pk])).content.decode()
    assert "next round is due" not in page


def test_six_months_on_keeps_to_the_end_of_a_short_month():
    assert add_months(datetime.date(2026, 8, 31), 6) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2027, 8, 31), 6) == datetime.date(2028, 2, 29)
    assert add_months(datetime.date(2026, 11, 15), 6) == datetime.date(2027, 5, 15)


def test_typed_names_are_escaped(client, facilitator, partnership):
    client.force_login(facilitator)
    client.post(
        reverse("partnerships:add-partner", args=[partnership.pk]),
        {"name": "<script>alert(1)</script>", "sector": "other"},
    )
    html = client.get(reverse("partnerships:detail", args=[partnership.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def _urls(partnership, partner, membership):
    p = partnership.pk
    return {
        "read": [reverse("partnerships:detail", args=[p])],
        "change": [
            reverse("partnerships:edit", args=[p]),
            reverse("partnerships:add-partner", args=[p]),
            reverse("partnerships:import-partners", args=[p]),
            reverse("partnerships:edit-partner", args=[p, partner.pk]),
            reverse("partnerships:remove-partner", args=[p, partner.pk]),
            reverse("rounds:create", args=[p]),
            # Roles are given and taken away on the people page (sixways/accounts).
            reverse("accounts:people", args=[p]),
            reverse("accounts:invite", args=[p]),
            reverse("accounts:remove", args=[p, membership.pk]),
            reverse("accounts:activity", args=[p]),
        ],
    }


def test_an_outsider_gets_404_on_every_page_and_action(
    client, outsider, facilitator, partnership, organisations
):
    urls = _urls(
        partnership, partnership.partners.first(), Membership.objects.get(user=facilitator)
    )
    client.force_login(outsider)
    for url in urls["read"] + urls["change"]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "Taken", "level": "place"}).status_code == 404, url
    assert Partner.objects.filter(partnership=partnership).count() == 2
    assert Membership.objects.filter(partnership=partnership).count() == 1
    assert Partnership.objects.get(pk=partnership.pk).name == "Eastvale Place Partnership"


def test_an_observer_reads_but_gets_404_on_every_change(
    client, observer, facilitator, partnership, organisations
):
    urls = _urls(
        partnership, partnership.partners.first(), Membership.objects.get(user=facilitator)
    )
    client.force_login(observer)
    page = client.get(urls["read"][0])
    assert page.status_code == 200
    assert "Add a partner" not in page.content.decode()
    for url in urls["change"]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"email": observer.email}).status_code == 404, url
    assert Membership.objects.get(user=observer).role == Role.OBSERVER
    assert Partner.objects.filter(partnership=partnership).count() == 2


def test_signed_out_people_are_sent_to_sign_in(client, partnership):
    response = client.get(reverse("partnerships:detail", args=[partnership.pk]))
    assert response.status_code == 302
    assert "sign-in" in response["Location"] or "login" in response["Location"]


# --- A partnership sits only inside one its facilitator facilitates -------------------------


@pytest.fixture
def system_read_only(partnership, django_user_model):
    """A system with its own facilitator, and the people who can only read it."""
    system = Partnership.objects.create(name="Northdale System", level=Level.SYSTEM)
    make_user(django_user_model, "fac@northdale.example", system)
    return system


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.PARTNER_LEAD, None])
def test_a_new_partnership_sits_only_inside_one_you_facilitate(
    client, django_user_model, system_read_only, role
):
    user = make_user(django_user_model, "reader@example.org")
    if role:
        organisation = Organisation.objects.create(name="Northdale Council", sector="icb")
        Membership.objects.create(
            user=user,
            partnership=system_read_only,
            role=role,
            organisation=organisation if role == Role.PARTNER_LEAD else None,
        )
    client.force_login(user)
    form = client.get(reverse("partnerships:create")).content.decode()
    assert "Northdale System" not in form
    response = client.post(
        reverse("partnerships:create"),
        {"name": "Riverside Place", "level": "place", "parent": system_read_only.pk},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Select a partnership you facilitate" in page
    assert "Northdale System" not in page
    assert not Partnership.objects.filter(name="Riverside Place").exists()


def test_only_partnerships_you_facilitate_are_offered_as_parents(
    client, facilitator, partnership, system_read_only
):
    mine = Partnership.objects.create(name="Eastvale System", level=Level.SYSTEM)
    Membership.objects.create(user=facilitator, partnership=mine, role=Role.FACILITATOR)
    Membership.objects.create(user=facilitator, partnership=system_read_only, role=Role.OBSERVER)
    client.force_login(facilitator)
    form = client.get(reverse("partnerships:create")).content.decode()
    assert "Eastvale System" in form
    assert "Northdale System" not in form
    response = client.post(
        reverse("partnerships:create"),
        {"name": "Riverside Place", "level": "place", "parent": mine.pk},
    )
    assert response.status_code == 302
    assert Partnership.objects.get(name="Riverside Place").parent == mine


@pytest.mark.parametrize("posted", ["not-a-number", "99999999999999999999", "-1", "1.5"])
def test_a_made_up_parent_gets_a_clear_message(client, facilitator, posted):
    client.force_login(facilitator)
    response = client.post(
        reverse("partnerships:create"),
        {"name": "Riverside Place", "level": "place", "parent": posted},
    )
    assert response.status_code == 400
    assert "Select a partnership you facilitate" in response.content.decode()


def test_a_partnership_moves_only_inside_one_you_facilitate(
    client, facilitator, partnership, system_read_only
):
    Membership.objects.create(user=facilitator, partnership=system_read_only, role=Role.OBSERVER)
    client.force_login(facilitator)
    url = reverse("partnerships:edit", args=[partnership.pk])
    response = client.post(
        url, {"name": partnership.name, "level": "place", "parent": system_read_only.pk}
    )
    assert response.status_code == 400
    assert "Select a partnership you facilitate" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.parent is None


def test_a_parent_set_before_stays_when_the_details_change(
    client, facilitator, partnership, system_read_only
):
    """Someone who facilitated both set the parent; today's facilitator may rename the place
    without being made to leave the system."""
    partnership.parent = system_read_only
    partnership.save()
    client.force_login(facilitator)
    url = reverse("partnerships:edit", args=[partnership.pk])
    assert "Northdale System" in client.get(url).content.decode()
    response = client.post(
        url, {"name": "Eastvale Place", "level": "place", "parent": system_read_only.pk}
    )
    assert response.status_code == 302
    partnership.refresh_from_db()
    assert (partnership.name, partnership.parent) == ("Eastvale Place", system_read_only)


def test_a_new_partnership_shows_the_steps_to_its_first_results(client, facilitator, partnership):
    client.force_login(facilitator)
    page = client.get(reverse("partnerships:detail", args=[partnership.pk])).content.decode()
    steps = page[page.index('id="setup-tasks"') :]
    assert "0 of 5 steps done" in page
    assert "Add the partner organisations" in steps and "Not started" in steps
    assert reverse("partnerships:import-partners", args=[partnership.pk]) in steps

    client.post(
        reverse("partnerships:import-partners", args=[partnership.pk]),
        {"file": csv_file("name,sector,code\nEastvale Council,Local authority,\n")},
    )
    page = client.get(reverse("partnerships:detail", args=[partnership.pk])).content.decode()
    assert "1 of 5 steps done" in page and "1 organisation added" in page
    assert "Add the partner organisations first" not in page


def test_the_import_page_offers_a_blank_file_with_the_headings(client, facilitator, partnership):
    client.force_login(facilitator)
    page = client.get(reverse("partnerships:import-partners", args=[partnership.pk]))
    assert re.search(
        r'<a href="[^"]*partner-organisations[^"]*\.csv" download>', page.content.decode()
    )
    # The blank file has exactly the headings that the import reads.
    with open(finders.find("sixways/partner-organisations.csv"), encoding="utf-8") as blank:
        assert blank.read() == "name,sector,code\n"
