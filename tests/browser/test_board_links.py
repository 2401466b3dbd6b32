"""A board link in a real browser: a facilitator makes one for the demo's spring round,
someone without an account opens it, the facilitator revokes it, and it is refused."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from sixways.rounds import demo
from sixways.rounds.models import Round
from tests.browser.conftest import assert_accessible
from tests.browser.test_cycle import shot, sign_in


def test_a_board_link_is_made_opened_signed_out_revoked_and_refused(
    live_server, page, browser, transactional_db
):
    partnership = demo.create_demo()
    spring = Round.objects.get(partnership=partnership, title="Spring 2026")
    facilitator = get_user_model().objects.get(username=demo.FACILITATOR_EMAIL)
    sign_in(page, live_server, facilitator)

    page.goto(live_server.url + reverse("results:round", args=[spring.pk]))
    page.get_by_role("link", name="Share these results with a board").click()
    assert_accessible(page, "making a board link")
    page.get_by_label("Label").fill("Board, 12 March")
    page.get_by_label("Action plan, where there is one").uncheck()
    page.get_by_role("button", name="Make the link").click()
    assert "Board link ‘Board, 12 March’ made" in page.inner_text("main")
    assert_accessible(page, "the board links")
    card = page.locator(".nhsuk-card", has=page.get_by_role("heading", name="Board, 12 March"))
    address = card.locator("code").inner_text()
    assert "/board/" in address

    # Someone without an account, in a browser of their own.
    board = browser.new_context(bypass_csp=True).new_page()
    board.goto(address.replace(settings.SITE_URL, live_server.url))
    assert board.locator("h1").inner_text() == "Culture for integration: Spring 2026"
    banner = board.locator("#board-banner").inner_text()
    assert "Board, 12 March" in banner and "Figures as at" in banner
    contents = board.locator("#board-contents").inner_text()
    assert "Each behaviour" in contents and "Action plan" not in contents
    assert board.get_by_role("link", name="Sign in").count() == 0
    assert_accessible(board, "a board link's page")
    shot(board, "board-link")

    card.get_by_role("link", name="Revoke ‘Board, 12 March’").click()
    page.get_by_role("button", name="Revoke the link").click()
    assert "is revoked" in page.inner_text("main")

    board.reload()
    assert board.locator("h1").inner_text() == "This link has been revoked"
    assert "Figures as at" not in board.inner_text("main")
    assert_accessible(board, "a revoked board link")
    board.context.close()
