"""The key journeys in a real browser with JavaScript on, checked for accessibility."""

from django.urls import reverse

from sixways.rounds import demo
from sixways.rounds.models import Invitation, Response
from tests.browser.conftest import assert_accessible

SECTION_SIZES = [4, 5, 4, 4, 3, 4]


def test_a_participant_completes_the_questionnaire(live_server, page, open_round, organisations):
    _, token = Invitation.issue(open_round, organisations[0])

    page.goto(live_server.url + reverse("rounds:start", args=[token]))
    assert page.locator("h1").inner_text() == "How well does your partnership work together?"
    assert page.evaluate("document.body.classList.contains('js-enabled')")
    assert_accessible(page, "start page")
    page.get_by_role("button", name="Start now").click()

    # Moving on with nothing answered shows the error summary, focused and linked.
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".nhsuk-error-summary")
    assert "Select an answer for question 1.1" in summary.inner_text()
    assert_accessible(page, "section with errors")

    answers = ["Yes", "Sometimes", "Not always", "No"]
    for number, size in enumerate(SECTION_SIZES, start=1):
        assert page.locator(".nhsuk-caption-l").inner_text() == f"Way {number} of 6"
        for position in range(1, size + 1):
            group = page.get_by_role("group", name=f"{number}.{position} ")
            group.get_by_label(answers[(number + position) % 4], exact=True).check()
        if number == 3:
            page.get_by_label("Comments on").fill("Decisions feel shared — mostly 👍")
        if number == 1:
            assert_accessible(page, "section 1 filled in")
        page.get_by_role("button", name="Save and continue").click()

    assert page.locator("h1").inner_text() == "Check your answers before sending them"
    assert "Decisions feel shared — mostly 👍" in page.content()
    assert_accessible(page, "check answers")
    page.get_by_role("button", name="Send your answers").click()

    assert "Your answers have been sent" in page.locator(".nhsuk-panel").inner_text()
    assert_accessible(page, "sent page")
    assert Response.objects.get().answers.count() == 24


def test_a_facilitator_signs_in_and_reads_results(live_server, page, db):
    demo.create_demo()
    page.goto(live_server.url + reverse("accounts:sign-in"))
    assert_accessible(page, "sign-in page")
    page.get_by_label("Email address").fill(demo.FACILITATOR_EMAIL)
    page.get_by_label("Password").fill(demo.FACILITATOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    assert page.locator("h1").inner_text() == "Your partnerships"
    assert_accessible(page, "partnerships page")
    page.get_by_role("link", name="Results of Spring 2026").click()
    assert page.locator("#response-count").inner_text().startswith("20 responses sent")
    assert_accessible(page, "results page")
