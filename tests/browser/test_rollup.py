"""The demo's system in a real browser: its places side by side, then one place choosing to
keep its figures to itself, and the system seeing that."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from sixways.results import demo as results_demo
from sixways.rounds import demo
from tests.browser.conftest import assert_accessible
from tests.browser.test_cycle import shot, sign_in


def test_a_system_sees_its_places_and_a_place_decides_what_it_shares(
    live_server, page, transactional_db
):
    system = results_demo.create_system()
    facilitator = get_user_model().objects.get(username=demo.FACILITATOR_EMAIL)
    sign_in(page, live_server, facilitator)

    page.goto(live_server.url + reverse("partnerships:detail", args=[system.pk]))
    page.get_by_role("link", name="The partnerships within it, side by side").click()
    assert page.locator("h1").inner_text() == "Partnerships within it, side by side"
    children = page.locator("#children")
    for name in [
        "Eastbrook Place Partnership",
        "Northdale Place Partnership",
        "Wyke Place Partnership",
    ]:
        assert children.get_by_role("rowheader", name=name).count() == 1
    wyke = children.locator("tr", has=page.get_by_role("rowheader", name="Wyke Place Partnership"))
    assert "since Autumn 2025" in wyke.inner_text()
    across = page.locator("#across")
    assert "Mean of partnerships" in across.inner_text()
    assert "We still argue about whose budget pays for discharge." in page.inner_text("main")
    assert_accessible(page, "a system's places side by side")
    shot(page, "rollup-system")

    # Northdale's place, which the demo facilitator runs, keeps its figures to itself.
    page.goto(
        live_server.url
        + reverse(
            "partnerships:detail",
            args=[facilitator.memberships.get(partnership__name=demo.PARTNERSHIP).partnership_id],
        )
    )
    page.get_by_role("link", name="What Northdale and Wyke Integrated Care System can see").click()
    assert_accessible(page, "what the system can see")
    page.get_by_label("No, keep them to ourselves").check()
    page.get_by_role("button", name="Save").click()
    assert "has been saved" in page.inner_text("main")

    page.goto(live_server.url + reverse("results:rollup", args=[system.pk]))
    assert (
        page.locator("#children")
        .get_by_role("rowheader", name="Northdale Place Partnership")
        .count()
        == 0
    )
    assert "keep their figures to themselves" not in page.inner_text("main")
    assert "Northdale Place Partnership" in page.locator("#not-sharing").inner_text()


def test_a_place_that_takes_part_sees_where_it_sits_in_the_benchmark(
    live_server, page, transactional_db
):
    results_demo.create_system()
    facilitator = get_user_model().objects.get(username=demo.FACILITATOR_EMAIL)
    place = facilitator.memberships.get(partnership__name=demo.PARTNERSHIP).partnership
    sign_in(page, live_server, facilitator)
    page.goto(live_server.url + reverse("partnerships:detail", args=[place.pk]))
    page.get_by_role("link", name="Where you sit among other partnerships").click()
    assert "13 partnerships at place level" in page.locator("#cohort").inner_text()
    table = page.locator("#benchmark-behaviours")
    assert table.get_by_role("row").count() == 7  # a header and six behaviours
    assert "quartile" in table.inner_text().lower()
    for word in ("rank", "best", "worst"):
        assert word not in page.inner_text("main").lower().replace("no ranking", "")
    assert_accessible(page, "the benchmark")
    shot(page, "benchmark")
    page.get_by_role("link", name="Stop taking part, or read what is shared").click()
    assert "Exactly what is shared" in page.inner_text("main")
    assert_accessible(page, "taking part in the benchmark")
