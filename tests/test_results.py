"""The results page: figures checked against hand-worked numbers for the demo data."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sixways.instruments.shape import shapes
from sixways.partnerships.models import Membership, Partnership, Role, Sector
from sixways.results import privacy
from sixways.results.scoring import organisation_spread, round_figures
from sixways.rounds import demo
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Invitation, Mode, Response, Round, Status
from tests.conftest import add_organisation, behaviour_pages, make_round, section_data


@pytest.fixture
def demo_partnership(db):
    return demo.create_demo()


@pytest.fixture
def demo_client(client, demo_partnership):
    client.login(username=demo.FACILITATOR_EMAIL, password=demo.FACILITATOR_PASSWORD)
    return client


def row(html: str, behaviour: str) -> list[str]:
    """The cells of one behaviour's row in the scores table, as text."""
    match = re.search(
        rf'<tr class="nhsuk-table__row" data-behaviour="{behaviour}">(.*?)</tr>', html, re.S
    )
    assert match, f"no row for behaviour {behaviour}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def test_spring_scores_match_the_hand_worked_figures(demo_client):
    spring = Round.objects.get(title="Spring 2026")
    html = demo_client.get(reverse("results:round", args=[spring.pk])).content.decode()
    assert "20 responses sent, from 7 organisations" in html

    # Only the trust (6) and council (5) have 5 or more respondents; the other five
    # organisations (9 people) are pooled and scored by the pool's mean, counted as five
    # organisations.
    # Behaviour 1. Trust 2, council 1, pool (6+4+2+6+1)/9 = 19/9. Each organisation equal:
    # (2 + 1 + 5 x 19/9) / 7 = 122/63 = 1.937 (64.6%, a total of 122/63 x 4 = 7.7 of 12). Each
    # person equal: (6+12+4+5+2+6+1)/20 = 36/20 = 1.80. Range over the trust, the council and
    # the pool: 19/9 - 1 = 10/9, over a full answer step, so partners see this differently.
    assert row(html, "1")[1:6] == [
        "1.94",
        "65%",
        "7.7 of 12",
        "1.80",
        "1.11 Partners see this differently",
    ]
    # Behaviour 2. Trust 11/6, council 6/5, pool (5+3+0+3+0)/9 = 11/9:
    # (11/6 + 6/5 + 55/9) / 7 = 823/630 = 1.306 (43.5%, x 5 questions = 6.5 of 15).
    # Each person equal: 28/20 = 1.40. Range: 11/6 - 6/5 = 19/30.
    assert row(html, "2")[1:6] == ["1.31", "44%", "6.5 of 15", "1.40", "0.63"]
    # Behaviour 6. Trust 2, council 1/5, pool (6+2+0+1+0)/9 = 1: (2 + 1/5 + 5) / 7 = 36/35
    # = 1.029. Each person equal: 22/20 = 1.10. Range 2 - 1/5 = 9/5.
    assert row(html, "6")[1:6] == [
        "1.03",
        "34%",
        "4.1 of 12",
        "1.10",
        "1.80 Partners see this differently",
    ]
    # No earlier round to compare with.
    assert row(html, "1")[6] == "No earlier round"

    # Priorities, lowest first: 6 (36/35), 5 (143/126), 4 (163/126).
    priorities = re.search(r'<ol[^>]*id="priorities">(.*?)</ol>', html, re.S).group(1)
    order = re.findall(r'href="/rounds/\d+/results/behaviours/(\d)/"', priorities)
    assert order == ["6", "5", "4"]

    html += behaviour_pages(demo_client, spring)
    # Question 1.1: Yes from the ICB (2); Sometimes from the trust, primary care, care
    # provider and voluntary sector (6+2+1+3 = 12); Not always from council and Healthwatch (6).
    q11 = re.search(r'data-question="1.1">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'numeric">(\d+)</td>', q11) == ["2", "12", "6", "0"]

    assert "the voluntary sector often gets the last five minutes" in html
    assert "Useful resources" in html  # someone answered No


def test_an_open_individual_round_shows_no_figures_until_it_closes(demo_client):
    autumn = Round.objects.get(title="Autumn 2026")
    url = reverse("results:round", args=[autumn.pk])
    html = demo_client.get(url).content.decode()
    assert "6 responses sent, from 4 organisations" in html  # drafts are not counted
    assert "Results appear when the round closes" in html
    assert 'id="scores"' not in html


def test_autumn_shows_change_since_spring_once_closed(demo_client):
    autumn = Round.objects.get(title="Autumn 2026")
    autumn.close()
    html = demo_client.get(reverse("results:round", args=[autumn.pk])).content.decode()
    assert "6 responses sent, from 4 organisations" in html
    # No organisation has 5 respondents, so all four are pooled (6 people): the partnership's
    # score is the pool's mean. Behaviour 1: (3+2+3+2+2+2)/6 = 7/3 = 2.33.
    # Change: 7/3 - 122/63 = 25/63 = 0.40 up.
    cells = row(html, "1")
    assert cells[1] == "2.33"
    assert cells[6] == "Up 0.40"
    # One group only, so there is no range between organisations to show.
    assert cells[5] == "Not shown"


def test_too_few_individual_responses_show_only_the_count(
    client, facilitator, open_round, organisations
):
    for _ in range(4):
        submit_all_yes(open_round, organisations[0])
    client.force_login(facilitator)
    html = client.get(reverse("results:round", args=[open_round.pk])).content.decode()
    assert "4 responses sent" in html
    assert "at least 5 are needed for results to be shown" in html
    assert 'id="scores"' not in html
    assert "Partners see" not in html


def test_organisational_rounds_are_never_suppressed(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL, title="Orgs")
    for org in organisations:
        submit_all_yes(round_, org)
    client.force_login(facilitator)
    html = client.get(reverse("results:round", args=[round_.pk])).content.decode()
    assert row(html, "1")[1:4] == ["3.00", "100%", "12.0 of 12"]


def submit_all_yes(round_, organisation):
    from django.test import Client

    _, token = Invitation.issue(round_, organisation)
    participant = Client()
    participant.post(reverse("rounds:start", args=[token]))
    for number in range(1, 7):
        participant.post(reverse("rounds:section", args=[number]), section_data(number))
    participant.post(reverse("rounds:check"))


def test_the_number_of_queries_does_not_grow_with_responses(
    client, facilitator, open_round, organisations
):
    client.force_login(facilitator)
    url = reverse("results:round", args=[open_round.pk])
    for _ in range(5):
        submit_all_yes(open_round, organisations[0])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(20):
        submit_all_yes(open_round, organisations[index % 2])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert Response.objects.filter(state="submitted").count() == 25
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_outsider_gets_404_not_data(client, outsider, demo_partnership):
    client.force_login(outsider)
    for round_ in Round.objects.all():
        response = client.get(reverse("results:round", args=[round_.pk]))
        assert response.status_code == 404
        assert round_.title not in response.content.decode()
    home = client.get(reverse("partnerships:home")).content.decode()
    assert "Northdale" not in home


def test_signed_out_people_are_sent_to_sign_in(client, demo_partnership):
    spring = Round.objects.get(title="Spring 2026")
    response = client.get(reverse("results:round", args=[spring.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_the_home_page_lists_the_partnerships_rounds(demo_client):
    html = demo_client.get(reverse("partnerships:home")).content.decode()
    assert "Northdale Place Partnership" in html
    assert "Spring 2026" in html and "Autumn 2026" in html
    # A round's name leads to the round, as on the partnership's page; its results are a
    # link of their own.
    spring = Round.objects.get(title="Spring 2026")
    assert f'<a href="{reverse("rounds:detail", args=[spring.pk])}">Spring 2026</a>' in html
    assert reverse("results:round", args=[spring.pk]) in html


def test_a_closed_round_link_still_shows_when_it_closed(client, demo_partnership):
    # The printed demo link works, and a closed round's links say so.
    token = demo.participant_token()
    assert client.get(reverse("rounds:start", args=[token])).status_code == 200
    spring = Round.objects.get(title="Spring 2026")
    assert spring.status == Status.CLOSED


# --- The pages show what the scoring module computes ------------------------------------------


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.text("0123", min_size=6, max_size=6), min_size=1, max_size=7),
        min_size=1,
        max_size=4,
    )
)
def test_the_results_are_what_the_scoring_module_computes(client, facilitator, instrument, people):
    """For a generated round, the JSON download's figures equal scoring.round_figures' run on
    a tally made here from the answers, with the organisations privacy.plan pools."""
    partnership = Partnership.objects.create(name=f"Generated {Partnership.objects.count()}")
    Membership.objects.create(user=facilitator, partnership=partnership, role=Role.FACILITATOR)
    round_ = make_round(partnership, instrument, status=Status.CLOSED)
    shape = shapes({instrument.pk})[instrument.pk]
    option = {o.score: o.pk for o in shape.options}
    counts, groups = {}, {}
    for index, patterns in enumerate(people):
        org = add_organisation(partnership, f"Organisation {index}", Sector.NHS_TRUST)
        groups[org.pk] = privacy.Group(len(patterns), None, org.name)
        for pattern in patterns:
            respond(round_, org, pattern)
            for q in shape.questions:
                score = int(pattern[[s.pk for s in shape.sections].index(q.section_id)])
                cell = counts.setdefault((org.pk, q.pk), {})
                cell[option[score]] = cell.get(option[score], 0) + 1
    decided = privacy.plan(groups, 5)
    client.force_login(facilitator)
    data = client.get(reverse("results:json", args=[round_.pk])).json()
    if sum(len(p) for p in people) < 5 or decided.withheld:
        assert data["figures_shown"] is False
        return
    expected = round_figures(counts, {}, shape, decided.pooled)
    scores = expected.partnership_scores()
    for behaviour in data["behaviours"]:
        key = behaviour["key"]
        assert behaviour["score"] == round(float(scores[key]), 4)
        assert behaviour["respondent_weighted"] == round(float(expected.people_equal[key]), 4)
        spread = organisation_spread(expected.behaviour_units(key))
        assert (behaviour["spread"] or {}).get("range") == (
            round(float(spread.range), 4) if spread else None
        )
