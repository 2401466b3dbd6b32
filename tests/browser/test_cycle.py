"""The six-monthly cycle in a real browser, from an empty service, as a first-time facilitator
would go through it: set up a partnership, follow its task list, import the partners from the
blank file, open an individual round, invite 20 people, see the emails go, follow progress,
send a reminder, close the round, read the short results overview and a board report whose
first page stands on its own.

Set SIXWAYS_SCREENSHOTS to a folder to keep a full-page screenshot of every step there, to
look at."""

import io
import os
import re
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from sixways.instruments.loading import load_all
from sixways.rounds.models import Response, Round
from tests.browser.conftest import assert_accessible
from tests.conftest import make_user, section_data

LINK = re.compile(r"http://[^\s]+/p/([\w-]+)/")
PARTNERS_CSV = (
    "name,sector,code\n"
    "Eastvale Council,Local authority,E06000999\n"
    "Eastvale Hospitals NHS Trust,NHS trust,REV\n"
    "Eastvale Voluntary Action,Voluntary and community sector,\n"
)


def shot(page, name: str) -> None:
    folder = os.environ.get("SIXWAYS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in(page, live_server, user) -> None:
    """Sign-in has its own browser tests; here the session comes from Django's test client."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def answer(token: str, value: str) -> None:
    person = Client()
    person.post(reverse("rounds:start", args=[token]))
    for number in range(1, 7):
        person.post(reverse("rounds:section", args=[number]), section_data(number, value))
    assert person.post(reverse("rounds:check"))["Location"] == reverse("rounds:sent")


def test_a_first_time_facilitator_runs_a_whole_round(
    live_server, page, django_user_model, transactional_db
):
    page.set_viewport_size({"width": 1280, "height": 800})
    load_all()
    facilitator = make_user(django_user_model, "lead@eastvale.example")
    sign_in(page, live_server, facilitator)

    # A partnership, from nothing.
    page.goto(live_server.url + reverse("partnerships:home"))
    assert_accessible(page, "empty home page")
    page.get_by_role("button", name="Set up a partnership").click()
    page.get_by_label("Name of the partnership").fill("Eastvale Place Partnership")
    page.get_by_label("Place", exact=True).check()
    assert_accessible(page, "set up a partnership")
    page.get_by_role("button", name="Set up partnership").click()
    assert page.locator("h1").inner_text() == "Eastvale Place Partnership"
    # Its page says what to do next, step by step.
    assert "0 of 5 steps done" in page.inner_text("main")
    shot(page, "01-new-partnership")

    # Partners, from the blank file the import page offers.
    page.locator("#setup-tasks").get_by_role("link", name="Add the partner organisations").click()
    assert_accessible(page, "import page")
    blank = page.get_by_role("link", name=re.compile("Download a blank file"))
    assert (
        page.request.get(live_server.url + blank.get_attribute("href"))
        .text()
        .startswith("name,sector,code")
    )
    shot(page, "02-import")
    page.get_by_label("Upload a CSV file").set_input_files(
        files=[{"name": "partners.csv", "mimeType": "text/csv", "buffer": PARTNERS_CSV.encode()}]
    )
    page.get_by_role("button", name="Import organisations").click()
    assert "3 partner organisations added." in page.locator("main").inner_text()
    assert "Eastvale Hospitals NHS Trust" in page.locator("main").inner_text()
    assert "1 of 5 steps done" in page.inner_text("main")
    assert "Add the partner organisations first" not in page.inner_text("main")
    assert_accessible(page, "partnership page")
    shot(page, "03-partnership-with-partners")

    # An individual round, opened.
    page.get_by_role("button", name="Start a new round").click()
    page.get_by_label("Name of the round").fill("Spring 2027")
    page.get_by_label("Individual: any number of people from each partner").check()
    assert page.get_by_label("Eastvale Council").is_checked()
    assert_accessible(page, "new round form")
    shot(page, "04-new-round")
    page.get_by_role("button", name="Save round").click()
    assert page.locator("h1").inner_text() == "Spring 2027"
    page.get_by_role("button", name="Open the round").click()
    page.get_by_role("button", name="Open the round").click()
    assert "‘Spring 2027’ is open." in page.locator("main").inner_text()
    assert_accessible(page, "open round page")
    shot(page, "05-open-round")

    # Twenty people invited, ten from each of two partners.
    for organisation, domain in [
        ("Eastvale Council", "council"),
        ("Eastvale Hospitals NHS Trust", "trust"),
    ]:
        page.get_by_role("button", name="Invite people").click()
        page.get_by_label("Organisation").select_option(label=organisation)
        page.get_by_label("Email addresses").fill(
            "\n".join(f"person{n}@{domain}.example" for n in range(1, 11))
        )
        if domain == "council":
            page.get_by_text("See the email people will get").click()
            assert "Eastvale Place Partnership via Six Ways" in page.inner_text("#email-preview")
            assert_accessible(page, "invite page")
            shot(page, "06-invite")
        page.get_by_role("button", name="Send invitations").click()
        assert f"10 invitations are being sent to people from {organisation}" in page.inner_text(
            "main"
        )
    assert len(mail.outbox) == 20
    tokens = {m.to[0]: LINK.search(m.body).group(1) for m in mail.outbox}

    # Six people answer; one starts and stops.
    for address in [f"person{n}@council.example" for n in range(1, 5)] + [
        "person1@trust.example",
        "person2@trust.example",
    ]:
        answer(tokens[address], "sometimes")
    Client().post(reverse("rounds:start", args=[tokens["person3@trust.example"]]))

    page.reload()
    # The emails went (the tests send them at once, as the worker would within seconds).
    assert page.locator("#email-summary").inner_text() == "Emails: 20 sent."
    assert page.locator("#total-invited").inner_text() == "20"
    assert page.locator("#total-started").inner_text() == "7"
    assert page.locator("#total-sent").inner_text() == "6"
    assert "person1@council.example" not in page.content()

    # A reminder for the fourteen who have not sent their answers.
    mail.outbox.clear()
    page.get_by_role("button", name="Send reminders").click()
    assert page.locator("#reminder-count").inner_text() == "14 people will get a reminder now."
    assert_accessible(page, "reminders page")
    shot(page, "07-reminders")
    page.get_by_role("button", name="Send reminders").click()
    assert "14 reminders are being sent." in page.inner_text("main")
    assert len(mail.outbox) == 14
    assert {m.to[0] for m in mail.outbox}.isdisjoint(
        {"person1@council.example", "person1@trust.example"}
    )

    # Closed, with a reason.
    page.get_by_role("button", name="Close the round").click()
    page.get_by_role("button", name="Close the round").click()
    assert (
        "Enter why you are closing the round early"
        in page.locator(".nhsuk-error-summary").inner_text()
    )
    assert_accessible(page, "close page with an error")
    page.get_by_label("Why are you closing the round early?").fill("The board meets next week")
    page.get_by_role("button", name="Close the round").click()
    assert "‘Spring 2027’ is closed." in page.inner_text("main")
    assert "The board meets next week" in page.inner_text("main")
    assert Round.objects.get().status == "closed"
    assert Response.objects.filter(state="draft").count() == 1

    # And its results.
    page.get_by_role("button", name="See the results").click()
    assert page.url.endswith(reverse("results:round", args=[Round.objects.get().pk]))
    assert page.locator("#response-count").inner_text().startswith("6 responses sent")
    shot(page, "08-results-overview")
    # The overview is short enough to take in; each behaviour is a click away.
    assert page.evaluate("document.documentElement.scrollHeight") < 6000
    page.get_by_role("link", name=re.compile(r"^1\. Be prepared to experiment")).last.click()
    assert page.locator("h1").inner_text().startswith("1. Be prepared to experiment")
    assert_accessible(page, "a behaviour's results")
    shot(page, "09-behaviour")

    # The board report: its first page is the summary.
    report = page.request.get(
        live_server.url + reverse("results:pdf", args=[Round.objects.get().pk])
    )
    first = PdfReader(io.BytesIO(report.body())).pages[0].extract_text()
    assert "Summary" in first and "Priorities: what to work on first" in first
