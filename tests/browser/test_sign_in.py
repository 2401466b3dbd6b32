"""Signing in as a person does: with a code by email, and with an authenticator app."""

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse

from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD


def totp_code(secret: str) -> str:
    """What the authenticator app on the person's phone shows now (RFC 6238)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_a_facilitator_signs_in_with_a_code_sent_by_email(live_server, page, facilitator):
    page.goto(live_server.url + reverse("accounts:sign-in"))
    page.get_by_role("link", name="Sign in with a code sent by email instead").click()
    assert page.locator("h1").inner_text() == "Sign in with a code"
    assert_accessible(page, "ask for a code")
    page.get_by_label("Email address").fill(facilitator.email)
    page.get_by_role("button", name="Send the code").click()

    assert page.locator("h1").inner_text() == "Enter the code from the email"
    assert_accessible(page, "enter the code")
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", mail.outbox[-1].body).group(0)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()

    assert page.locator("h1").inner_text() == "Your partnerships"
    assert facilitator.email in page.locator("header").inner_text()


def test_a_facilitator_sets_up_two_factor_then_signs_in_with_it(
    live_server, page, facilitator, settings
):
    settings.MFA_REQUIRED = True
    page.goto(live_server.url + reverse("accounts:sign-in"))
    page.get_by_label("Email address").fill(facilitator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Two-factor is required for facilitators: first the password again, then the app.
    assert page.locator("h1").inner_text() == "Confirm it is you"
    assert_accessible(page, "confirm it is you")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    assert page.locator("h1").inner_text() == "Set up two-factor authentication"
    assert_accessible(page, "set up two-factor")
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    assert "There is a problem" in page.locator(".nhsuk-error-summary").inner_text()
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    assert page.locator("h1").inner_text() == "Your recovery codes", page.locator(
        "main"
    ).inner_text()
    assert page.locator("#recovery-codes li").count() == 10
    assert_accessible(page, "recovery codes")
    page.get_by_role("link", name="Go to your partnerships").click()
    assert page.locator("h1").inner_text() == "Your partnerships"

    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email address").fill(facilitator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    assert page.locator("h1").inner_text() == "Enter the code from your authenticator app"
    assert_accessible(page, "two-factor sign-in")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Your partnerships"
