"""The results pages: organisation comparison, sectors, comments, the self-versus-partners gap,
a partner lead's view, suppression in every view, access and the number of queries."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sixways.partnerships.models import Membership, Organisation, Role, Sector
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Answer, Mode, Round, Status
from sixways.rounds.tally import rebuild_tally
from tests.conftest import add_organisation, behaviour_pages, make_round, make_user

# The demo's spring round: organisations with fewer than 5 respondents.
SMALL_IN_SPRING = [
    "Northdale and Wyke Integrated Care Board",
    "Northdale Primary Care Networks",
    "Brookside Home Care",
    "Northdale Voluntary Action",
    "Healthwatch Northdale",
]
TRUST = "Northdale Hospitals NHS Foundation Trust"


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def table_row(html: str, attribute: str, value: str) -> list[str]:
    match = re.search(rf'<tr class="nhsuk-table__row" {attribute}="{value}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]


@pytest.fixture
def spring(demo_partnership):
    return Round.objects.get(title="Spring 2026")


def pages(client, round_) -> dict[str, str]:
    found = {
        name: client.get(reverse(f"results:{name}", args=[round_.pk])).content.decode()
        for name in ("round", "organisations")
    }
    found["behaviours"] = behaviour_pages(client, round_)
    return found


def test_the_comparison_shows_large_organisations_and_pools_the_small_ones(demo_client, spring):
    html = pages(demo_client, spring)["organisations"]
    # Council: every answer Not always in behaviour 1 (1.00); trust: (2+2+2+2+2+2)/6 = 2.00.
    assert table_row(html, "data-organisation", "Northdale Council")[2].startswith("1.00")
    assert table_row(html, "data-organisation", TRUST)[2].startswith("2.00")
    # The other five (9 people) together: behaviour 1 (6+4+2+6+1)/9 = 19/9 = 2.11.
    pool = table_row(html, "data-organisation", "pool")
    assert pool[0] == "Other organisations 5 organisations counted together"
    assert pool[1] == "9"
    assert pool[2].startswith("2.11")


def test_no_page_names_a_small_organisation_in_individual_mode(demo_client, spring):
    for name, html in pages(demo_client, spring).items():
        for organisation in SMALL_IN_SPRING:
            assert organisation not in html, f"{organisation} named on the {name} page"


def test_a_sector_holding_pooled_organisations_is_not_shown(demo_client, spring):
    html = pages(demo_client, spring)["organisations"]
    # The NHS has 10 respondents, but its ICB (2) and primary care (2) are pooled: the NHS
    # figure minus the trust's would separate them from the rest of the pool.
    pooled = "some of its organisations are counted with the other organisations"
    assert pooled in table_row(html, "data-sector", "NHS")[0]
    assert table_row(html, "data-sector", "Local authority")[2].startswith("1.00")
    assert pooled in table_row(html, "data-sector", "Care providers")[0]
    # Its size would give away a pooled organisation's: only shown sectors have one.
    assert table_row(html, "data-sector", "NHS")[1] == "3"  # organisations, which are known


def test_each_behaviour_shows_its_sectors(demo_client, spring):
    html = pages(demo_client, spring)["behaviours"]
    sectors = re.search(r'data-sectors="1">(.*?)</table>', html, re.S).group(1)
    assert "Local authority" in sectors and "1.00" in sectors
    assert "counted with the other organisations" in sectors


def test_comments_name_only_organisations_that_are_shown(demo_client, spring):
    html = text(pages(demo_client, spring)["behaviours"])
    assert "the last five minutes. From Northdale Hospitals NHS Foundation Trust" in html
    assert "hard to get a shared picture. From Northdale Council" in html
    # The ICB had 2 respondents: its comment appears as the pool's, without its name.
    assert "The shared vision was agreed at the away day" in html
    assert "used in every business case. From Other organisations" in html


def test_the_overview_has_key_points_resources_and_no_answers(demo_client, spring):
    html = text(pages(demo_client, spring)["round"])
    assert "The lowest score is for 6. Share your challenges and strengths: 1.03 out of 3." in html
    assert "5 of 7 organisations are counted together as other organisations" in html
    # Brookside and Healthwatch answered No to every question of behaviour 2.
    assert "2. Have a clear shared vision : 2.1 (2), 2.2 (2)" in html
    assert "Useful resources" in html


def test_it_shows_how_partners_see_themselves_against_their_partners(
    client, facilitator, partnership, instrument
):
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL)
    orgs = [
        add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST),
        add_organisation(partnership, "Beta Council", Sector.LOCAL_AUTHORITY),
    ]
    for org in orgs:
        response = respond(round_, org, "111111")  # everything Not always
        # Each says Yes about itself (1.3) and Not always about its partners (1.4).
        Answer.objects.filter(response=response, question__key="1.3").update(
            option=instrument.options.get(key="yes")
        )
    rebuild_tally(round_)  # answers changed behind submit()'s back
    client.force_login(facilitator)
    html = client.get(reverse("results:round", args=[round_.pk])).content.decode()
    assert "Partners rate their own organisation 2.00 higher than their partners" in html
    assert table_row(html, "data-gap", "1.3")[1:3] == ["3.00", "2"]
    assert table_row(html, "data-gap", "1.4")[1:6] == ["1.00", "0", "0", "2", "0"]
    assert "Alpha Trust" in html  # organisational responses are shown by name


def test_a_pool_under_the_group_size_takes_in_the_smallest_shown_organisation(
    client, facilitator, partnership, instrument
):
    round_ = make_round(partnership, instrument, status=Status.CLOSED)
    sizes = [
        ("Alpha Trust", Sector.NHS_TRUST, 10, "333333"),
        ("Beta Council", Sector.LOCAL_AUTHORITY, 7, "222222"),
        ("Gamma Care", Sector.CARE_PROVIDER, 6, "111111"),
        ("Delta Voluntary", Sector.VCSE, 2, "000000"),
    ]
    for name, sector, count, pattern in sizes:
        org = add_organisation(partnership, name, sector)
        for _ in range(count):
            respond(round_, org, pattern, {"1": f"A comment from {name}"})
    client.force_login(facilitator)
    html = client.get(reverse("results:organisations", args=[round_.pk])).content.decode()
    # Delta (2) alone would be a pool of fewer than 5, so Gamma, the smallest shown, joins it.
    assert "Alpha Trust" in html and "Beta Council" in html
    for name in ("Gamma Care", "Delta Voluntary"):
        assert name not in html
    pool = table_row(html, "data-organisation", "pool")
    # (6 x 1 + 2 x 0) / 8 = 0.75, each person counted once.
    assert pool[1] == "8" and pool[2].startswith("0.75")
    # Organisations equal, the pool counted twice: (3 + 2 + 2 x 0.75) / 4 = 1.625.
    assert table_row(html, "data-organisation", "partnership")[2].startswith("1.63")
    assert table_row(html, "data-sector", "NHS")[2].startswith("3.00")
    assert table_row(html, "data-sector", "Local authority")[2].startswith("2.00")
    assert "counted with the other" in table_row(html, "data-sector", "Care providers")[0]
    overview = text(
        client.get(reverse("results:behaviour", args=[round_.pk, "1"])).content.decode()
    )
    # A behaviour's page shows its first 10 comments (Alpha's, by name) and links to all.
    assert overview.count("A comment from Alpha Trust") == 10
    assert "Read all 25 comments about behaviour 1 (15 more)" in overview
    page = text(client.get(reverse("results:comments", args=[round_.pk, "1"])).content.decode())
    assert "25 comments" in page
    assert page.count("From Alpha Trust") == 10 and page.count("From Beta Council") == 7
    # The pool's comments come together, after the named ones, without their organisation.
    assert page.count("From Other organisations") == 8
    assert "From Delta Voluntary" not in page and "From Gamma Care" not in page
    assert page.index("From Beta Council") < page.index("From Other organisations")


def test_when_every_organisation_is_pooled_only_the_partnership_is_shown(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, status=Status.CLOSED)
    for _ in range(10):
        respond(round_, organisations[0], "333333")
    for _ in range(3):
        respond(round_, organisations[1], "000000")
    client.force_login(facilitator)
    html = pages(client, round_)
    # The council's 3 are pooled; the pool then takes in the trust, the only other one.
    # Organisations equal over one pool of two: (10 x 3 + 3 x 0) / 13 = 2.31.
    assert "13 responses sent" in html["round"]
    assert table_row(html["round"], "data-behaviour", "1")[1] == "2.31"
    assert "Eastvale Council" not in html["organisations"]
    assert "Eastvale NHS Trust" not in html["organisations"]
    assert "3.00" not in html["organisations"] and "0.00" not in html["organisations"]


def test_answers_through_a_shareable_link_do_not_count_towards_the_group_size(
    client, facilitator, partnership, instrument, organisations
):
    # Padding: one real person answers for the council; someone holding its shareable link
    # sends four more answers they know, to lift it to 5 and read the real person's answers.
    round_ = make_round(partnership, instrument, status=Status.CLOSED)
    council, trust = organisations
    respond(round_, council, "000000", {"1": "The real person's comment."})
    for _ in range(4):
        respond(round_, council, "333333", shared=True)
    for _ in range(6):
        respond(round_, trust, "222222")
    client.force_login(facilitator)
    html = pages(client, round_)
    assert "Eastvale Council" not in html["organisations"]  # 1 counted: pooled
    data = client.get(reverse("results:json", args=[round_.pk])).json()
    assert [o["name"] for o in data["organisation_results"]] == ["Other organisations"]
    # Shareable answers still count in the figures: (0 + 4 x 3 + 6 x 2) / 11.
    assert data["behaviours"][0]["respondent_weighted"] == round(24 / 11, 4)
    assert "The real person's comment." in text(html["behaviours"])
    assert "From Eastvale Council" not in text(html["behaviours"])


def test_a_round_with_too_few_personal_link_answers_shows_only_the_count(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, status=Status.CLOSED)
    for _ in range(2):
        respond(round_, organisations[0], "000000")
    for _ in range(6):
        respond(round_, organisations[1], "333333", shared=True)
    client.force_login(facilitator)
    html = pages(client, round_)
    for name in ("round", "organisations"):
        assert "fewer than 5 people answered through their own link" in html[name]
        assert 'id="scores"' not in html[name] and "3.00" not in html[name]
    assert "Page not found" in html["behaviours"]  # no behaviour's page either


def test_organisational_rounds_name_every_organisation(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL)
    respond(round_, organisations[0], "333333", {"2": "We agreed this as a board."})
    respond(round_, organisations[1], "111111")
    client.force_login(facilitator)
    html = pages(client, round_)
    assert table_row(html["organisations"], "data-organisation", "Eastvale Council")[2].startswith(
        "3.00"
    )
    assert "From Eastvale Council" in text(html["behaviours"])


def test_change_is_not_shown_against_a_round_that_showed_no_figures(
    client, facilitator, partnership, instrument, organisations
):
    earlier = make_round(partnership, instrument, status=Status.CLOSED, title="Spring")
    earlier.opens_on -= datetime.timedelta(days=200)
    earlier.closes_on -= datetime.timedelta(days=170)
    earlier.save()
    for _ in range(3):
        respond(earlier, organisations[0], "000000")
    now = make_round(partnership, instrument, status=Status.CLOSED, title="Autumn")
    for _ in range(5):
        respond(now, organisations[0], "333333")
    client.force_login(facilitator)
    html = client.get(reverse("results:round", args=[now.pk])).content.decode()
    assert table_row(html, "data-behaviour", "1")[6] == "Not shown for that round"
    assert "Down 3.00" not in html and "Up 3.00" not in html


# --- A partner lead --------------------------------------------------------------------------


def partner_lead(django_user_model, partnership, organisation_name):
    user = make_user(django_user_model, f"lead-{organisation_name[:5]}@example.com")
    Membership.objects.create(
        user=user,
        partnership=partnership,
        role=Role.PARTNER_LEAD,
        organisation=Organisation.objects.get(name=organisation_name),
    )
    return user


def test_a_partner_lead_sees_their_organisation_beside_the_partnership(
    client, django_user_model, demo_partnership, spring
):
    client.force_login(partner_lead(django_user_model, demo_partnership, "Northdale Council"))
    html = pages(client, spring)
    # Behaviour 1: the council 1.00 against the partnership's 122/63 = 1.94.
    assert table_row(html["round"], "data-own", "1")[1:4] == ["1.00", "1.94", "0.94 lower"]
    assert "5 people from Northdale Council answered" in html["round"]
    assert "5 of 7 organisations are counted together" in text(html["round"])
    # Other organisations are neither listed nor named beside comments.
    for name in html.values():
        assert TRUST not in name
    assert "the last five minutes. From" not in text(html["behaviours"])
    assert "hard to get a shared picture. From Northdale Council" in text(html["behaviours"])
    assert table_row(html["organisations"], "data-organisation", "Northdale Council")[0].startswith(
        "Northdale Council (your organisation)"
    )


def test_a_partner_lead_of_a_small_organisation_is_told_why_it_is_hidden(
    client, django_user_model, demo_partnership, spring
):
    client.force_login(partner_lead(django_user_model, demo_partnership, "Brookside Home Care"))
    html = text(pages(client, spring)["round"])
    assert (
        "Counted with the other organisations: fewer than 5 people answered through their own "
        "link. Your organisation's answers still count"
    ) in html
    assert "Other organisations" not in pages(client, spring)["organisations"]


def test_a_partner_lead_cannot_download_responses(
    client, django_user_model, demo_partnership, spring
):
    client.force_login(partner_lead(django_user_model, demo_partnership, "Northdale Council"))
    response = client.get(reverse("results:csv", args=[spring.pk]))
    assert response.status_code == 403
    assert "Only facilitators and observers" in response.content.decode()
    assert "Anonymised responses (CSV)" not in pages(client, spring)["round"]


# --- Access -------------------------------------------------------------------------------


def every_url(round_) -> list[str]:
    names = ["round", "organisations", "pdf", "pptx", "xlsx", "csv", "json"]
    return [reverse(f"results:{n}", args=[round_.pk]) for n in names] + [
        reverse("results:trend", args=[round_.partnership_id])
    ]


def test_an_outsider_gets_404_from_every_results_page_and_download(
    client, outsider, demo_partnership, spring
):
    client.force_login(outsider)
    for url in every_url(spring):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Northdale" not in response.content


def test_signed_out_people_are_sent_to_sign_in_from_every_results_url(client, spring):
    for url in every_url(spring):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_results_pages_are_never_stored_by_browsers(demo_client, spring):
    for url in every_url(spring):
        assert "no-store" in demo_client.get(url)["Cache-Control"], url


def test_results_pages_do_not_change_anything_on_post(demo_client, spring):
    for url in every_url(spring):
        assert demo_client.post(url).status_code == 405, url


# --- Speed ---------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_number_of_queries_does_not_grow_with_responses_or_organisations(
    client, facilitator, partnership, instrument, organisations
):
    client.force_login(facilitator)
    round_ = make_round(partnership, instrument, status=Status.CLOSED)
    urls = [
        reverse(f"results:{name}", args=[round_.pk])
        for name in ("round", "organisations", "json", "csv", "xlsx")
    ]
    for _ in range(5):
        respond(round_, organisations[0], "321032", {"1": "Fine."})
    few = [_queries(client, url) for url in urls]
    for index in range(40):
        respond(round_, organisations[index % 2], "123210", {"2": "Also fine."})
    for index in range(5):
        org = add_organisation(partnership, f"Extra {index}", Sector.VCSE)
        for _ in range(index + 1):
            respond(round_, org, "222222")
    assert [_queries(client, url) for url in urls] == few


def test_the_trend_query_count_does_not_grow_with_rounds(
    client, facilitator, partnership, instrument, organisations
):
    client.force_login(facilitator)
    url = reverse("results:trend", args=[partnership.pk])
    first = make_round(partnership, instrument, status=Status.CLOSED, title="One")
    for _ in range(5):
        respond(first, organisations[0])
    one = _queries(client, url)
    for number in range(4):
        later = make_round(partnership, instrument, status=Status.CLOSED, title=f"Later {number}")
        for _ in range(6):
            respond(later, organisations[number % 2], "121212")
    assert _queries(client, url) == one


# --- After the retention rules delete a round's answers ------------------------------------


def test_scores_change_and_trend_survive_the_answers_being_deleted(
    demo_client, demo_partnership, spring
):
    from sixways.accounts.retention import apply_retention

    apply_retention(now=spring.closed_at + datetime.timedelta(days=4 * 365))
    assert not Answer.objects.filter(response__round=spring).exists()

    html = pages(demo_client, spring)["round"]
    # The same hand-worked figures as tests/test_results.py, from the kept totals.
    assert table_row(html, "data-behaviour", "1")[1:6] == [
        "1.94",
        "65%",
        "7.7 of 12",
        "1.80",
        "1.11 Partners see this differently",
    ]
    assert "answers and comments were deleted under the service" in text(html)
    assert 'data-question="1.1"' not in html
    autumn = Round.objects.get(title="Autumn 2026")
    autumn.close()
    autumn_html = demo_client.get(reverse("results:round", args=[autumn.pk])).content.decode()
    assert table_row(autumn_html, "data-behaviour", "1")[6] == "Up 0.40"
    trend = demo_client.get(reverse("results:trend", args=[demo_partnership.pk])).content.decode()
    assert table_row(trend, "data-round", "Spring 2026")[3] == "1.94"
    assert demo_client.get(reverse("results:csv", args=[spring.pk])).status_code == 409
    for name in ("pdf", "pptx", "xlsx", "json"):
        assert demo_client.get(reverse(f"results:{name}", args=[spring.pk])).status_code == 200


# --- Counts on the round page ----------------------------------------------------------------


def progress_rows(html: str) -> dict[str, list[str]]:
    table = re.search(r'<table class="nhsuk-table" id="progress">(.*?)</table>', html, re.S)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    cells = [
        [text(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows
    ]
    return {row[0]: row[1:] for row in cells[1:]}


def test_the_round_page_gives_small_counts_as_fewer_than_five(demo_client, spring):
    rows = progress_rows(
        demo_client.get(reverse("rounds:detail", args=[spring.pk])).content.decode()
    )
    # Invited, started, sent. The trust's 6 and the council's 5 are given; the others not.
    assert rows[TRUST][1:] == ["6", "6"]
    assert rows["Northdale Council"][1:] == ["5", "5"]
    assert rows["Brookside Home Care"][1:] == ["Fewer than 5", "Fewer than 5"]
    assert rows["Northdale and Wyke Integrated Care Board"][2] == "Fewer than 5"
    assert rows["Total"][2] == "20"


def test_a_partner_lead_sees_only_their_own_organisations_progress(
    client, django_user_model, demo_partnership, spring
):
    client.force_login(partner_lead(django_user_model, demo_partnership, "Northdale Council"))
    html = client.get(reverse("rounds:detail", args=[spring.pk])).content.decode()
    rows = progress_rows(html)
    assert set(rows) == {"Northdale Council", "Total"}
    assert rows["Total"][2] == "20"


def test_the_comparison_says_in_words_how_many_organisations_are_counted_together(
    client, facilitator, partnership, instrument
):
    round_ = make_round(partnership, instrument, status=Status.CLOSED)
    big = add_organisation(partnership, "Big Trust", Sector.NHS_TRUST)
    for _ in range(5):
        respond(round_, big)
    # Five organisations of one person each: together they reach the group size of 5.
    for name in ("Small Care", "Tiny Care", "Little Care", "Wee Care", "Mini Care"):
        respond(round_, add_organisation(partnership, name, Sector.CARE_PROVIDER))
    client.force_login(facilitator)
    page = client.get(reverse("results:organisations", args=[round_.pk])).content.decode()
    summary = page[page.index('id="pooling-summary"') :]
    assert "1 organisation was shown on their own, and 5 smaller organisations are" in summary
    # Most are pooled here, so the page suggests the mode that would show every organisation.
    assert 'id="suggest-organisational"' in page and "<strong>organisational</strong> mode" in page


def test_the_overview_is_short_and_each_behaviour_is_a_click_away(demo_client, spring):
    html = pages(demo_client, spring)
    overview = html["round"]
    links = re.findall(r'<a href="(/rounds/\d+/results/behaviours/\d/)">', overview)
    assert len(set(links)) == 6
    assert 'data-question="1.1"' not in overview  # the questions' answers are on their pages
    page = demo_client.get(reverse("results:behaviour", args=[spring.pk, "1"])).content.decode()
    assert (
        '<h1 class="nhsuk-heading-l" id="behaviour-1">1. Be prepared to experiment and learn together'
        in page
    )
    assert 'data-question="1.1"' in page
    assert reverse("results:behaviour", args=[spring.pk, "2"]) in page  # next
    assert demo_client.get(reverse("results:behaviour", args=[spring.pk, "7"])).status_code == 404
