"""Results pages in a real browser: accessible, charts named for screen readers, and printable."""

from django.urls import reverse

from sixways.rounds import demo
from sixways.rounds.models import Round
from tests.browser.conftest import assert_accessible


def sign_in(page, live_server):
    page.goto(live_server.url + reverse("accounts:sign-in"))
    page.get_by_label("Email address").fill(demo.FACILITATOR_EMAIL)
    page.get_by_label("Password").fill(demo.FACILITATOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_facilitator_reads_the_results_comparison_and_trend(live_server, page, db):
    partnership = demo.create_demo()
    spring = Round.objects.get(title="Spring 2026")
    sign_in(page, live_server)

    page.goto(live_server.url + reverse("results:round", args=[spring.pk]))
    assert page.locator("h1").inner_text() == "Results: Spring 2026"
    chart = page.get_by_role("img", name="Answers for each behaviour")
    assert chart.is_visible()
    assert page.locator("#scores").is_visible()
    assert_accessible(page, "results overview")

    page.get_by_role("link", name="Compare organisations and sectors").click()
    assert page.locator("h1").inner_text() == "Compare organisations"
    assert page.get_by_role("img", name="Score for each behaviour, by organisation").is_visible()
    assert_accessible(page, "organisation comparison")

    page.goto(live_server.url + reverse("results:trend", args=[partnership.pk]))
    assert page.get_by_role(
        "img", name="1. Be prepared to experiment and learn together: score in each round"
    ).is_visible()
    assert_accessible(page, "trend")


def test_results_print_without_navigation_and_with_every_chart(live_server, page, db):
    demo.create_demo()
    spring = Round.objects.get(title="Spring 2026")
    sign_in(page, live_server)
    page.goto(live_server.url + reverse("results:round", args=[spring.pk]))
    page.emulate_media(media="print")
    assert not page.locator(".nhsuk-header").is_visible()
    assert not page.locator("#download-links").is_visible()
    assert not page.locator(".sixways-contents").is_visible()
    assert page.locator("svg.sixways-chart").first.is_visible()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(255, 255, 255)"
    # Charts fit the printed page's width.
    widths = page.evaluate(
        "[...document.querySelectorAll('svg.sixways-chart')].map(s => s.getBoundingClientRect().width)"
    )
    assert widths and max(widths) <= page.evaluate("document.body.clientWidth")
