"""Hardening: headers, production settings, CSRF, rate limits on links and sign-in."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from sixways.rounds.models import Invitation
from tests.conftest import PASSWORD

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-for-this-test-only-0123456789",
    "ALLOWED_HOSTS": "sixways.example.org",
    "SITE_URL": "https://sixways.example.org",
}


def production(code: str = "", *args: str, **env) -> subprocess.CompletedProcess:
    # Not the test settings from pyproject.toml: what an installation would have.
    test_only = (
        "HTTPS",
        "MFA_REQUIRED",
        "EMAIL_BACKEND",
        "TASKS_BACKEND",
        "STATIC_MANIFEST",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests' conftest
    )
    base = {k: v for k, v in os.environ.items() if k not in test_only}
    command = [sys.executable, *(args or ("-c", code))]
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        command,
        env={**base, "DJANGO_SETTINGS_MODULE": "sixways.settings", **PRODUCTION, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_check_deploy():
    result = production("", "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_two_factor_is_not_required():
    result = production(
        "", "manage.py", "check", "--deploy", "--fail-level", "WARNING", MFA_REQUIRED="0"
    )
    assert result.returncode != 0
    assert "sixways.W001" in result.stderr + result.stdout


def test_production_uses_https_secure_cookies_and_hsts():
    result = production(
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_NAME, s.MFA_REQUIRED, "
        "s.ALLAUTH_TRUSTED_PROXY_COUNT]))"
    )
    assert result.returncode == 0, result.stderr
    debug, hsts, redirect, session_secure, csrf_secure, name, mfa, proxies = json.loads(
        result.stdout.strip().splitlines()[-1]
    )
    assert debug is False
    assert hsts >= 31536000
    assert redirect and session_secure and csrf_secure
    assert name.startswith("__Host-")
    assert mfa is True
    # Nothing says a proxy overwrites X-Forwarded-For, so it is not believed.
    assert proxies == 0


def test_entra_id_needs_an_allowlist_of_tenants():
    result = production(
        "import django; django.setup()", ENTRA_CLIENT_ID="abc", ENTRA_CLIENT_SECRET="def"
    )
    assert result.returncode != 0
    assert "ENTRA_ALLOWED_TENANTS" in result.stderr


def test_pages_carry_the_security_headers(client, db):
    response = client.get(reverse("accounts:sign-in"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_result_pages_are_not_stored(client, facilitator, open_round):
    client.force_login(facilitator)
    response = client.get(reverse("results:round", args=[open_round.pk]))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize(
    "name", ["accounts:sign-in", "account_request_login_code", "account_reset_password"]
)
def test_sign_in_pages_have_no_inline_script_or_style(client, db, name):
    page = client.get(reverse(name)).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert " style=" not in page
    assert " on" not in re.sub(r"<[^>]*>", "", page) or not re.search(r"<[^>]+\son\w+=", page)


def test_the_session_cookie_is_http_only_and_same_site(client, facilitator):
    response = client.post(
        reverse("accounts:sign-in"), {"login": facilitator.email, "password": PASSWORD}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_every_state_change_needs_the_csrf_token(facilitator, partnership):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("accounts:sign-in"), {"login": facilitator.email, "password": PASSWORD}
    )
    assert response.status_code == 403
    client.force_login(facilitator)
    response = client.post(
        reverse("accounts:invite", args=[partnership.pk]),
        {"email": "x@eastvale.example", "role": "observer"},
    )
    assert response.status_code == 403


# --- Participant links: guessing is slowed and logged, real links never are ----------------


def test_guessing_participant_links_is_paused(client, settings, link, caplog):
    settings.PARTICIPANT_LINK_FAILURES = "5/h"
    for number in range(5):
        assert client.get(reverse("rounds:start", args=[f"guess-{number}"])).status_code == 404
    response = client.get(reverse("rounds:start", args=["guess-again"]))
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "Participant link guessing paused" in caplog.text


def test_tokens_never_reach_the_log(link):
    """The handler redacts link tokens, also from Django's own "Not Found" lines."""
    import logging

    handler = next(h for h in logging.getLogger().handlers if h.filters)
    lines = []
    for name, message, arg in [
        ("django.request", "Not Found: %s", f"/p/{link}/"),
        ("django.server", '"GET %s HTTP/1.1" 200 5', f"/accounts/invitation/{link}/"),
        ("sixways", f"Opened /p/{link}/", None),
        ("django.request", "Not Found: %s", f"/w/{link}/room/"),  # a workshop's join code
    ]:
        record = logging.LogRecord(
            name, logging.WARNING, "", 0, message, (arg,) if arg else (), None
        )
        assert handler.filter(record)
        lines.append(record.getMessage())
    assert lines[0] == "Not Found: /p/[hidden]/"
    assert lines[3] == "Not Found: /w/[hidden]/room/"
    assert all(link not in line for line in lines)


def test_a_right_link_is_never_refused_from_a_paused_address(settings, link, caplog):
    """One guessing machine in an NHS trust must not lock out the staff behind the same
    address: past the limit wrong links are refused, still counted and logged, right ones
    open as ever."""
    settings.PARTICIPANT_LINK_FAILURES = "5/h"
    trust = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(7):
        trust.get(reverse("rounds:start", args=[f"guess-{number}"]))
    assert trust.get(reverse("rounds:start", args=["guess-more"])).status_code == 429
    assert caplog.text.count("Participant link guessing paused for 203.0.113.9") == 3
    page = trust.get(reverse("rounds:start", args=[link]))
    assert page.status_code == 200
    assert "Start now" in page.content.decode()
    assert trust.post(reverse("rounds:start", args=[link])).status_code == 302
    assert trust.get(reverse("rounds:start", args=["guess-again"])).status_code == 429
    assert (
        Client(REMOTE_ADDR="198.51.100.7").get(reverse("rounds:start", args=["typo"])).status_code
        == 404
    )


def test_a_forged_forwarded_address_is_not_believed_by_default(settings, link):
    """With no proxy configured, X-Forwarded-For is whatever the client wrote: a guesser
    changing it on every request is still counted by the address it connects from."""
    settings.PARTICIPANT_LINK_FAILURES = "3/h"
    for number in range(4):
        forged = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
        forged.get(reverse("rounds:start", args=[f"guess-{number}"]))
    forged = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert forged.get(reverse("rounds:start", args=["guess-x"])).status_code == 429


def test_a_whole_partnership_on_one_network_opens_its_links(settings, open_round, organisations):
    """Only wrong links count: fifty people behind one NHS address are never slowed."""
    settings.PARTICIPANT_LINK_FAILURES = "5/h"
    client = Client(REMOTE_ADDR="192.0.2.50")
    for _ in range(50):
        _, token = Invitation.issue(open_round, organisations[0])
        assert client.get(reverse("rounds:start", args=[token])).status_code == 200


def test_signing_in_from_one_address_is_capped(client, db):
    for _ in range(30):
        client.post(reverse("accounts:sign-in"), {"login": "a@b.example", "password": "x"})
    response = client.post(reverse("accounts:sign-in"), {"login": "a@b.example", "password": "x"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_the_client_address_comes_from_the_trusted_proxy(settings, link):
    """Behind one proxy, the address before it is the person's: two people behind the same
    proxy are counted apart, and a forged extra address cannot dodge the count."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.PARTICIPANT_LINK_FAILURES = "3/h"
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    guesser = Client(HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    forger = Client(HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", **proxy)
    for number in range(4):
        guesser.get(reverse("rounds:start", args=[f"guess-{number}"]))
    assert forger.get(reverse("rounds:start", args=["guess-x"])).status_code == 429
    someone_else = Client(HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert someone_else.get(reverse("rounds:start", args=[link])).status_code == 200
