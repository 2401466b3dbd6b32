"""A system's places side by side: who may see them, what each child shares, that a child's
hidden figures stay hidden across its siblings, and the downloads."""

import csv
import html
import io
import json
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sixways.core.models import AuditEntry
from sixways.partnerships.models import Level, Membership, Organisation, Partnership, Role, Sector
from sixways.results.rollup import rollup
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Mode, Status

from .conftest import make_round, make_user


def closed_round(partnership, instrument, title, patterns, mode=Mode.INDIVIDUAL, days_ago=10):
    round_ = make_round(partnership, instrument, mode=mode, title=title, status=Status.CLOSED)
    round_.closed_at = timezone.now() - timezone.timedelta(days=days_ago)
    round_.opens_on = timezone.localdate() - timezone.timedelta(days=days_ago + 30)
    round_.closes_on = timezone.localdate() - timezone.timedelta(days=days_ago)
    round_.save()
    organisation = Organisation.objects.create(
        name=f"{partnership.name} {title} partner", sector=Sector.OTHER
    )
    round_.organisations.add(organisation)
    for pattern in patterns:
        respond(round_, organisation, pattern, comments={"1": f"Said in {partnership.name}"})
    return round_


@pytest.fixture
def system(db, instrument):
    system = Partnership.objects.create(name="Riverside System", level=Level.SYSTEM)
    places = {}
    for name in ["Alder Place", "Birch Place", "Cedar Place", "Damson Place"]:
        places[name] = Partnership.objects.create(name=name, level=Level.PLACE, parent=system)
    # Alder: two closed rounds, both shown. Birch: one shown. Cedar: too few to show.
    closed_round(places["Alder Place"], instrument, "Spring", ["111111"] * 5, days_ago=200)
    closed_round(places["Alder Place"], instrument, "Autumn", ["222222"] * 5)
    closed_round(places["Birch Place"], instrument, "Autumn", ["333333"] * 10)
    closed_round(places["Cedar Place"], instrument, "Autumn", ["000000"] * 2)
    # Damson keeps its figures to itself.
    places["Damson Place"].figures_to_parent = False
    places["Damson Place"].save()
    closed_round(places["Damson Place"], instrument, "Autumn", ["000000"] * 6)
    system.places = places
    return system


@pytest.fixture
def system_facilitator(django_user_model, system):
    return make_user(django_user_model, "fac@riverside.example", system)


def page_text(reply) -> str:
    return html.unescape(reply.content.decode())


def test_the_system_sees_each_place_its_change_and_the_spread_not_a_mean_of_means(
    client, system, system_facilitator
):
    client.force_login(system_facilitator)
    reply = client.get(reverse("results:rollup", args=[system.pk]))
    assert reply.status_code == 200
    text = page_text(reply)
    assert "Alder Place" in text and "Birch Place" in text
    assert "+1.00 since Spring" in text
    # Cedar's round had too few responses: no figure, and the reason.
    assert "Not shown: too few responses to show figures (at least 5 are needed)" in text
    # Damson keeps its figures: named as not sharing, and nothing of its round.
    assert "1 partnership within Riverside System keeps its figures to itself: Damson Place" in text
    assert "0.00" not in text
    found = rollup(system)
    across = found.across[0]
    assert across.distribution.count == 2  # Alder and Birch; never Cedar or Damson
    assert across.distribution.median == Fraction(5, 2)
    assert across.mean_of_partnerships == Fraction(5, 2)
    # Each response once: Birch's ten at 3 and Alder's five at 2.
    assert across.all_responses == Fraction(8, 3)
    assert "Mean of partnerships" in text and "All responses" in text


def test_comments_are_shown_only_where_a_child_shares_them(client, system, system_facilitator):
    client.force_login(system_facilitator)
    url = reverse("results:rollup", args=[system.pk])
    assert "Said in Birch Place" not in page_text(client.get(url))
    birch = system.places["Birch Place"]
    birch.comments_to_parent = True
    birch.save()
    text = page_text(client.get(url))
    assert "Said in Birch Place" in text
    assert "Said in Alder Place" not in text


def test_outsiders_children_and_partner_leads_get_404(client, django_user_model, system, outsider):
    url = reverse("results:rollup", args=[system.pk])
    child = make_user(django_user_model, "fac@alder.example", system.places["Alder Place"])
    lead = make_user(django_user_model, "lead@riverside.example", system, Role.PARTNER_LEAD)
    for user in (outsider, child, lead):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(reverse("results:rollup-csv", args=[system.pk])).status_code == 404
    # A child's people cannot reach a sibling's pages either.
    birch = system.places["Birch Place"]
    assert client.get(reverse("partnerships:detail", args=[birch.pk])).status_code == 404


def test_an_observer_reads_the_roll_up_and_the_system_cannot_change_a_child(
    client, django_user_model, system, system_facilitator
):
    observer = make_user(django_user_model, "obs@riverside.example", system, Role.OBSERVER)
    client.force_login(observer)
    assert client.get(reverse("results:rollup", args=[system.pk])).status_code == 200
    client.force_login(system_facilitator)
    alder = system.places["Alder Place"]
    assert client.get(reverse("partnerships:sharing", args=[alder.pk])).status_code == 404
    assert (
        client.post(
            reverse("partnerships:sharing", args=[alder.pk]),
            {"figures_to_parent": "no", "comments_to_parent": "no"},
        ).status_code
        == 404
    )
    alder.refresh_from_db()
    assert alder.figures_to_parent


def test_a_child_decides_what_its_parent_sees_and_the_change_is_logged(
    client, django_user_model, system, system_facilitator
):
    alder = system.places["Alder Place"]
    child = make_user(django_user_model, "fac@alder.example", alder)
    client.force_login(child)
    page = page_text(client.get(reverse("partnerships:detail", args=[alder.pk])))
    assert "What Riverside System can see" in page
    reply = client.post(
        reverse("partnerships:sharing", args=[alder.pk]),
        {"figures_to_parent": "no", "comments_to_parent": "yes"},
    )
    assert reply.status_code == 400
    assert "Comments can only be shared with the figures they go with" in page_text(reply)
    client.post(
        reverse("partnerships:sharing", args=[alder.pk]),
        {"figures_to_parent": "no", "comments_to_parent": "no"},
    )
    entry = AuditEntry.objects.get(action="partnership.sharing-changed")
    assert entry.detail == "Shares nothing with Riverside System"
    client.force_login(system_facilitator)
    text = page_text(client.get(reverse("results:rollup", args=[system.pk])))
    assert "Alder Place" in text.split("keep their figures to themselves")[1]
    assert rollup(system).across[0].distribution.count == 1


def test_the_downloads_carry_the_same_figures(client, system, system_facilitator):
    client.force_login(system_facilitator)
    reply = client.get(reverse("results:rollup-csv", args=[system.pk]))
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    alder = [r for r in rows if r["partnership"] == "Alder Place"]
    assert [r["round"] for r in alder] == ["Autumn", "Spring"]
    assert alder[0]["behaviour_1"] == "2.0" and alder[0]["change_1"] == "1.0"
    cedar = next(r for r in rows if r["partnership"] == "Cedar Place")
    assert cedar["shown"] == "no" and cedar["behaviour_1"] == "" and cedar["responses"] == ""
    assert not any(r["partnership"] == "Damson Place" for r in rows)
    data = json.loads(client.get(reverse("results:rollup-json", args=[system.pk])).content)
    assert data["format"] == "sixways-rollup/1"
    assert data["across"][0]["distribution"]["median"] == 2.5
    assert data["not_sharing_figures"] == ["Damson Place"]


def test_the_roll_up_takes_the_same_queries_however_many_places_and_responses(system, instrument):
    with CaptureQueriesContext(connection) as few:
        rollup(system)
    for n in range(3):
        place = Partnership.objects.create(name=f"Extra {n}", level=Level.PLACE, parent=system)
        closed_round(place, instrument, "Autumn", ["212121"] * 12)
    with CaptureQueriesContext(connection) as many:
        rollup(system)
    assert len(many) == len(few)


def test_a_partnership_without_children_says_so(client, facilitator, partnership):
    client.force_login(facilitator)
    text = page_text(client.get(reverse("results:rollup", args=[partnership.pk])))
    assert "No partnership sits within Eastvale Place Partnership yet" in text
    assert not Membership.objects.filter(partnership__parent=partnership).exists()


def test_the_systems_board_report_and_workbook_carry_the_places_side_by_side(
    client, system, system_facilitator, instrument, django_user_model
):
    import openpyxl
    from pypdf import PdfReader

    own = closed_round(system, instrument, "System round", ["212121"] * 6)
    client.force_login(system_facilitator)
    report = client.get(reverse("results:pdf", args=[own.pk]))
    text = " ".join(
        " ".join((page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(report.content)).pages
    )
    assert "Partnerships within Riverside System" in text
    assert "Alder Place" in text and "Birch Place" in text
    assert "Damson Place" not in text
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("results:xlsx", args=[own.pk])).content)
    )
    sheet = book["Side by side"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("format", "parent", "partnership")
    assert {r[2] for r in rows[1:]} == {"Alder Place", "Birch Place", "Cedar Place"}
    # A child's change of what it shares makes the kept files again.
    birch = system.places["Birch Place"]
    birch.figures_to_parent = False
    birch.save()
    report = client.get(reverse("results:pdf", args=[own.pk]))
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(report.content)).pages)
    assert "Birch Place" not in text
    # A partner lead's files leave the places out.
    lead = make_user(django_user_model, "lead@riverside.example", system, Role.PARTNER_LEAD)
    client.force_login(lead)
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("results:xlsx", args=[own.pk])).content)
    )
    assert "Side by side" not in book.sheetnames


def test_a_childs_agreed_answers_beside_peoples_own_are_shown_with_it(
    client, system, system_facilitator
):
    from sixways.rounds.models import Answer, Invitation, Response

    birch = system.places["Birch Place"].rounds.get()
    invitation, _ = Invitation.issue(birch, None, kind=Invitation.Kind.COLLECTIVE)
    agreed = Response.objects.create(
        round=birch,
        invitation=invitation,
        state=Response.State.ALONGSIDE,
        submitted_at=timezone.now(),
    )
    sometimes = birch.instrument.options.get(key="sometimes")
    Answer.objects.bulk_create(
        Answer(response=agreed, question=q, option=sometimes)
        for q in birch.instrument.questions.all()
    )
    client.force_login(system_facilitator)
    text = page_text(client.get(reverse("results:rollup", args=[system.pk])))
    assert "with agreed answers beside people's own" in text
    assert "Birch Place: the partnership's agreed answers" in text
    child = next(c for c in rollup(system).children if c.partnership.name == "Birch Place")
    assert child.agreed["1"] == 2


def test_kept_files_of_a_partnership_without_children_or_benchmark_are_not_rebuilt_daily(
    partnership, system
):
    from sixways.results import benchmark
    from sixways.results import rollup as rollup_module

    assert rollup_module.stamp(partnership) == ""
    assert benchmark.stamp(partnership) == ""
    # A parent's stamp names its children's rounds, not the day.
    assert "Alder Place" in rollup_module.stamp(system)
