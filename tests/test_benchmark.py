"""The benchmark across partnerships: its cohort and fold rules, the snapshot rule, taking part
and leaving, and who sees what."""

import datetime
import html
from fractions import Fraction

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from sixways.core.models import AuditEntry
from sixways.partnerships.models import Level, Organisation, Partnership, Role, Sector
from sixways.results import benchmark, cohorts
from sixways.results.models import BenchmarkSnapshot
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Status

from .conftest import make_round, make_user

# --- The rules, pure ------------------------------------------------------------------------


@given(
    st.dictionaries(st.integers(0, 60), st.sampled_from(["place", "system", "neighbourhood"])),
    st.integers(5, 12),
)
def test_every_cohort_shown_reaches_the_minimum_and_short_levels_fold_into_every_level(
    levels, minimum
):
    shown = cohorts.cohorts(levels, minimum)
    assert all(len(members) >= minimum for members in shown.values())
    for contributor, level in levels.items():
        cohort = cohorts.cohort_for(level, shown)
        if cohort is not None:
            assert contributor in shown[cohort]
    short = any(
        sum(1 for v in levels.values() if v == level) < minimum for level in set(levels.values())
    )
    assert (cohorts.EVERY_LEVEL in shown) == (short and len(levels) >= minimum)


def test_a_snapshot_one_partnership_away_from_the_last_is_withheld_in_a_small_cohort():
    last = set(range(10))
    assert cohorts.withheld_because(last | {10}, last, 10) == (
        "differs from the last one shown by a single partnership"
    )
    assert cohorts.withheld_because(last - {0}, last, 10) == "fewer than 10 partnerships"
    assert cohorts.withheld_because(last | {10, 11}, last, 10) == ""
    big = set(range(20))
    assert cohorts.withheld_because(big | {20}, big, 10) == ""
    assert cohorts.withheld_because(last, None, 10) == ""


def test_a_position_is_a_quarter_never_a_rank():
    one, two, three = Fraction(1), Fraction(2), Fraction(3)
    assert cohorts.position(Fraction(1, 2), one, two, three).startswith("Below the lower")
    assert cohorts.position(two, one, two, three) == "At the median"
    assert cohorts.position(Fraction(5, 2), one, two, three).startswith("Between the median")
    assert cohorts.position(Fraction(7, 2), one, two, three).startswith("Above the upper")


# --- Snapshots ------------------------------------------------------------------------------


def participant(
    name: str,
    instrument,
    pattern: str,
    *,
    level=Level.PLACE,
    days_ago=30,
    earlier: str | None = None,
    joined=True,
    responses=5,
) -> Partnership:
    partnership = Partnership.objects.create(
        name=name, level=level, benchmark_joined_at=timezone.now() if joined else None
    )
    organisation = Organisation.objects.create(name=f"{name} partner", sector=Sector.OTHER)
    for title, ago, answers in [
        ("Earlier", days_ago + 180, earlier),
        ("Latest", days_ago, pattern),
    ]:
        if answers is None:
            continue
        round_ = make_round(partnership, instrument, status=Status.CLOSED, title=title)
        round_.closed_at = timezone.now() - datetime.timedelta(days=ago)
        round_.opens_on = timezone.localdate() - datetime.timedelta(days=ago + 28)
        round_.closes_on = timezone.localdate() - datetime.timedelta(days=ago)
        round_.save()
        round_.organisations.add(organisation)
        for _ in range(responses):
            respond(round_, organisation, answers)
    return partnership


@pytest.fixture
def places(db, instrument, settings):
    settings.BENCHMARK_MIN_PARTNERSHIPS = 5
    return [
        participant(f"Place {n}", instrument, str(n % 4) * 6, earlier="111111") for n in range(6)
    ]


def test_a_cohort_of_enough_places_is_shown_with_its_quartiles_and_movement(places):
    taken = benchmark.take()
    assert [(s.level, s.partnerships, s.shown) for s in taken] == [("place", 6, True)]
    figures = taken[0].figures
    # Scores 0, 1, 2, 3, 0, 1: quartiles over each place once.
    assert figures["behaviours"]["1"]["median"] == "1"
    assert figures["behaviours"]["1"]["lower_quartile"] == "1/4"
    assert figures["movement_partnerships"] == 6
    assert figures["movement"]["1"]["median"] == "0"
    assert set(figures["questions"]) >= {"1.1", "6.4"}
    # Nothing names anyone.
    assert "Place" not in str(figures)


def test_a_level_too_small_is_folded_into_every_level(places, instrument):
    for n in range(2):
        participant(f"Neighbourhood {n}", instrument, "222222", level=Level.NEIGHBOURHOOD)
    taken = {s.level: s for s in benchmark.take()}
    assert taken["place"].partnerships == 6
    assert taken[cohorts.EVERY_LEVEL].partnerships == 8
    assert "neighbourhood" not in taken
    neighbourhood = Partnership.objects.get(name="Neighbourhood 0")
    assert benchmark.standing(neighbourhood).snapshot.level == cohorts.EVERY_LEVEL


def test_too_few_taking_part_shows_nothing(db, instrument, settings):
    settings.BENCHMARK_MIN_PARTNERSHIPS = 5
    for n in range(4):
        participant(f"Place {n}", instrument, "222222")
    participant("Not taking part", instrument, "222222", joined=False)
    assert benchmark.take() == []


def test_only_a_round_of_the_last_six_months_that_shows_figures_counts(places, instrument):
    participant("Old", instrument, "333333", days_ago=400)
    participant("Too few", instrument, "333333", responses=2)
    taken = benchmark.take()
    assert taken[0].partnerships == 6


def test_a_new_snapshot_one_partnership_from_the_last_is_kept_but_not_shown(places, instrument):
    first = benchmark.take()[0]
    participant("One more", instrument, "333333")
    second = benchmark.take()[0]
    assert not second.shown
    assert second.withheld_because == "differs from the last one shown by a single partnership"
    # What partnerships see is still the first.
    assert benchmark.standing(places[0]).snapshot == first


def test_leaving_stops_future_contributions(places):
    benchmark.take()
    places[0].benchmark_joined_at = None
    places[0].save()
    places[1].benchmark_joined_at = None
    places[1].save()
    # Four left: under the minimum, so nothing new is shown.
    assert benchmark.take() == []
    assert places[0].pk in BenchmarkSnapshot.objects.first().contributors


def test_the_daily_run_takes_one_snapshot_a_half_year(places):
    from sixways.accounts.retention import apply_retention

    assert apply_retention()["benchmark_snapshots_taken"] == 1
    assert apply_retention()["benchmark_snapshots_taken"] == 0
    call_command("take_benchmark", stdout=__import__("io").StringIO())
    assert BenchmarkSnapshot.objects.count() == 2


# --- Pages ----------------------------------------------------------------------------------


def test_a_partnership_taking_part_sees_where_it_sits_and_one_not_taking_part_does_not(
    client, django_user_model, places, instrument
):
    benchmark.take()
    taking_part = make_user(django_user_model, "fac@place3.example", places[3])
    client.force_login(taking_part)
    text = html.unescape(
        client.get(reverse("results:benchmark", args=[places[3].pk])).content.decode()
    )
    assert "6 partnerships at place level" in text
    assert "Above the upper quartile: in the highest quarter" in text
    assert "Place 1" not in text and "Place 0" not in text  # no other partnership is named
    outside = participant("Outside", instrument, "222222", joined=False)
    not_taking_part = make_user(django_user_model, "fac@outside.example", outside)
    client.force_login(not_taking_part)
    text = html.unescape(
        client.get(reverse("results:benchmark", args=[outside.pk])).content.decode()
    )
    assert "does not take part in the benchmark, so it does not see it" in text
    assert "quartile" not in text.lower().split("take part in the benchmark")[0]


def test_outsiders_and_partner_leads_get_404(client, django_user_model, places, outsider):
    url = reverse("results:benchmark", args=[places[0].pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    lead = make_user(django_user_model, "lead@place0.example", places[0], Role.PARTNER_LEAD)
    client.force_login(lead)
    assert client.get(url).status_code == 404
    assert client.get(reverse("partnerships:benchmark", args=[places[0].pk])).status_code == 404


def test_a_facilitator_takes_part_after_reading_what_is_shared_and_it_is_logged(
    client, facilitator, partnership
):
    client.force_login(facilitator)
    url = reverse("partnerships:benchmark", args=[partnership.pk])
    text = html.unescape(client.get(url).content.decode())
    assert "Never shared: comments, the names of your partnership or its organisations" in text
    client.post(url, {"take_part": "yes"})
    partnership.refresh_from_db()
    assert partnership.benchmark_joined_at is not None
    client.post(url, {"take_part": "no"})
    partnership.refresh_from_db()
    assert partnership.benchmark_joined_at is None
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("pk")) == [
        "partnership.benchmark-joined",
        "partnership.benchmark-left",
    ]


def test_service_administrators_see_the_picture_across_partnerships_and_nothing_else_does(
    client, django_user_model, places, facilitator
):
    benchmark.take()
    url = reverse("results:benchmark-overview")
    client.force_login(facilitator)
    assert client.get(url).status_code == 404
    admin = django_user_model.objects.create_user(username="admin@x.example", is_staff=True)
    client.force_login(admin)
    text = html.unescape(client.get(url).content.decode())
    assert "Partnerships, rounds and responses by level" in text
    assert "Place 0" not in text


def test_the_board_report_shows_where_the_partnership_sits(client, django_user_model, places):
    import io

    from pypdf import PdfReader

    benchmark.take()
    user = make_user(django_user_model, "fac@place2.example", places[2])
    client.force_login(user)
    latest = places[2].rounds.get(title="Latest")
    report = client.get(reverse("results:pdf", args=[latest.pk]))
    text = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(report.content)).pages
    )
    assert "Where we sit among other partnerships" in text
    assert "Among 6 partnerships at place level" in text
    assert "Above the upper quartile: in the highest quarter" in text
