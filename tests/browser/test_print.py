"""A question page printed from the browser: the questions, hints and answers, without the
page's navigation, buttons or session warning."""

from django.urls import reverse

from sixways.rounds.models import Invitation

HIDDEN_IN_PRINT = [
    ".nhsuk-header",
    ".nhsuk-footer",
    ".nhsuk-skip-link",
    ".nhsuk-back-link",
    ".nhsuk-button-group",
    "#session-timeout",
]


def test_a_question_page_prints_its_questions_and_answers(
    live_server, page, open_round, organisations
):
    _, token = Invitation.issue(open_round, organisations[0])
    page.goto(live_server.url + reverse("rounds:start", args=[token]))
    page.get_by_role("button", name="Start now").click()
    for position in range(1, 5):
        page.get_by_role("group", name=f"1.{position} ").get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    # The second behaviour's page, which has a back link; 2.1 has a hint.
    first = page.get_by_role("group", name="2.1 ")
    first.get_by_label("Not always", exact=True).check()
    # The warning before a session ends, shown as if it were time.
    page.evaluate("document.getElementById('session-timeout').show()")
    for selector in HIDDEN_IN_PRINT:
        assert page.locator(selector).is_visible(), selector
    assert page.get_by_role("button").count() == 3  # two below the questions, one in the warning

    page.emulate_media(media="print")
    for selector in HIDDEN_IN_PRINT:
        assert page.locator(selector).is_hidden(), selector
    assert page.get_by_role("button").count() == 0  # roles count only what is shown
    assert page.locator("h1").is_visible()
    legend = first.locator("legend")
    assert legend.is_visible()
    assert legend.inner_text().startswith("2.1 Is there regular opportunity")
    assert first.locator(".nhsuk-hint").is_visible()
    for label in ["Yes", "Sometimes", "Not always", "No"]:
        assert first.get_by_text(label, exact=True).is_visible()
    assert first.locator("input[type=radio]").count() == 4
    assert all(radio.is_visible() for radio in first.locator("input[type=radio]").all())
    assert first.get_by_label("Not always", exact=True).is_checked()

    def weight(label: str) -> str:
        return first.get_by_text(label, exact=True).evaluate("e => getComputedStyle(e).fontWeight")

    # The chosen answer stands out; the others do not.
    assert int(weight("Not always")) >= 600
    assert int(weight("Yes")) < 600
    # No question is split across two pages.
    group = first.locator("xpath=ancestor::div[contains(@class, 'nhsuk-form-group')][1]")
    assert group.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
