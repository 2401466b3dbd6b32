"""The six-monthly cycle in a real browser, from an empty service: a facilitator sets up a
partnership, imports its partners, opens an individual round, invites 20 people, follows
progress, sends a reminder, closes the round and reads its results."""

import re

from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

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


def test_a_facilitator_runs_a_whole_round(live_server, page, django_user_model, transactional_db):
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

    # Partners, from a CSV file.
    page.get_by_role("button", name="Import partners from a CSV file").click()
    assert_accessible(page, "import page")
    page.get_by_label("Upload a CSV file").set_input_files(
        files=[{"name": "partners.csv", "mimeType": "text/csv", "buffer": PARTNERS_CSV.encode()}]
    )
    page.get_by_role("button", name="Import organisations").click()
    assert "3 partner organisations added." in page.locator("main").inner_text()
    assert "Eastvale Hospitals NHS Trust" in page.locator("main").inner_text()
    assert_accessible(page, "partnership page")

    # An individual round, opened.
    page.get_by_role("button", name="Start a new round").click()
    page.get_by_label("Name of the round").fill("Spring 2027")
    page.get_by_label("Individual: any number of people from each partner").check()
    assert page.get_by_label("Eastvale Council").is_checked()
    assert_accessible(page, "new round form")
    page.get_by_role("button", name="Save round").click()
    assert page.locator("h1").inner_text() == "Spring 2027"
    page.get_by_role("button", name="Open the round").click()
    page.get_by_role("button", name="Open the round").click()
    assert "‘Spring 2027’ is open." in page.locator("main").inner_text()
    assert_accessible(page, "open round page")

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
            assert_accessible(page, "invite page")
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
    assert page.locator("#total-invited").inner_text() == "20"
    assert page.locator("#total-started").inner_text() == "7"
    assert page.locator("#total-sent").inner_text() == "6"
    assert "person1@council.example" not in page.content()

    # A reminder for the fourteen who have not sent their answers.
    mail.outbox.clear()
    page.get_by_role("button", name="Send reminders").click()
    assert page.locator("#reminder-count").inner_text() == "14 people will get a reminder now."
    assert_accessible(page, "reminders page")
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
