"""Sign-in with django-allauth: email and password, a code by email, sessions, brute force."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import DatabaseError
from django.urls import reverse

from sixways.accounts.models import QueuedEmail
from tests.conftest import PASSWORD

SIGN_IN = "/accounts/sign-in/"


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(reverse("accounts:sign-in"), {"login": email, "password": password, **extra})


def test_the_sign_in_names_used_across_the_service_still_work():
    assert reverse("accounts:sign-in") == reverse("account_login") == SIGN_IN
    assert reverse("accounts:sign-out") == reverse("account_logout")


def test_it_signs_in_and_rotates_the_session(client, facilitator):
    client.get(reverse("accounts:sign-in"))
    client.session["probe"] = 1  # make sure there is a session before signing in
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.session.session_key
    response = sign_in(client, facilitator.email)
    assert response["Location"] == reverse("partnerships:home")
    assert client.session.session_key != before
    assert client.get(reverse("partnerships:home")).status_code == 200


def test_the_email_address_is_not_case_sensitive(client, facilitator):
    response = sign_in(client, facilitator.email.upper())
    assert response["Location"] == reverse("partnerships:home")


def test_a_wrong_password_gets_a_clear_message(client, facilitator):
    response = sign_in(client, facilitator.email, "nope")
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Enter a correct email address and password" in page
    assert "_auth_user_id" not in client.session


def test_an_unknown_address_gets_the_same_message_as_a_wrong_password(client, facilitator):
    unknown = sign_in(client, "nobody@eastvale.example", "nope").content.decode()
    assert "Enter a correct email address and password" in unknown


def test_missing_fields_are_named(client, db):
    page = client.post(reverse("accounts:sign-in"), {}).content.decode()
    assert "Enter your email address" in page
    assert "Enter your password" in page


def test_the_sign_in_page_labels_its_fields(client, db):
    page = client.get(reverse("accounts:sign-in")).content.decode()
    assert 'for="id_login"' in page and 'name="login" type="email"' in page
    assert 'for="id_password"' in page and 'name="password" type="password"' in page
    assert "Email address" in page and "Password" in page
    assert "Sign in with a code sent by email instead" in page


def test_it_does_not_redirect_off_site(client, facilitator):
    response = sign_in(client, facilitator.email, next="https://evil.example/")
    assert response["Location"] == reverse("partnerships:home")


def test_it_returns_to_the_page_asked_for(client, facilitator):
    response = sign_in(client, facilitator.email, next="/accounts/")
    assert response["Location"] == "/accounts/"


def test_sign_out_needs_a_post(client, facilitator):
    client.force_login(facilitator)
    assert client.get(reverse("accounts:sign-out")).status_code == 200
    assert client.get(reverse("partnerships:home")).status_code == 200
    client.post(reverse("accounts:sign-out"))
    assert client.get(reverse("accounts:account")).status_code == 302


def test_signing_out_ends_the_session_on_the_server(client, facilitator):
    from django.contrib.sessions.models import Session

    client.force_login(facilitator)
    key = client.session.session_key
    client.post(reverse("accounts:sign-out"))
    assert not Session.objects.filter(session_key=key).exists()


def test_switching_an_account_off_ends_its_sessions(client, facilitator):
    from django.contrib.sessions.models import Session

    client.force_login(facilitator)
    key = client.session.session_key
    facilitator.is_active = False
    facilitator.save()
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("accounts:account")).status_code == 302


def test_a_switched_off_account_cannot_sign_in(client, facilitator):
    facilitator.is_active = False
    facilitator.save()
    response = sign_in(client, facilitator.email)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == reverse("account_inactive")


def test_a_password_change_signs_out_other_sessions(client, facilitator):
    from django.test import Client

    other = Client()
    other.force_login(facilitator)
    client.force_login(facilitator)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-brand-new-long-passphrase",
            "password2": "a-brand-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("partnerships:home")).status_code == 200
    assert other.get(reverse("accounts:account")).status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1", "too short"),
        ("password1234", "too common"),
        ("123456789012345", "entirely numeric"),
        ("fac@eastvale.example", "too similar"),
    ],
)
def test_weak_and_breached_passwords_are_refused(client, facilitator, password, message):
    client.force_login(facilitator)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    facilitator.refresh_from_db()
    assert facilitator.check_password(PASSWORD)


# --- Brute force ------------------------------------------------------------------------------


def test_repeated_wrong_passwords_pause_that_address_only(client, facilitator, observer):
    for _ in range(5):
        sign_in(client, facilitator.email, "wrong-guess")
    # The sixth try is refused even with the right password...
    page = sign_in(client, facilitator.email).content.decode()
    assert "too many attempts to sign in with this email address" in page
    assert "_auth_user_id" not in client.session
    # ...but another person on the same network signs in as usual.
    assert sign_in(client, observer.email)["Location"] == reverse("partnerships:home")


def test_a_paused_person_can_still_sign_in_with_a_code(client, facilitator):
    for _ in range(6):
        sign_in(client, facilitator.email, "wrong-guess")
    client.post(reverse("account_request_login_code"), {"email": facilitator.email})
    code = _code_from_email()
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(facilitator.pk)


def test_many_failures_from_one_network_address_are_paused(client, django_user_model, db):
    for number in range(10):
        sign_in(client, f"person{number}@eastvale.example", "wrong-guess")
    page = sign_in(client, "person99@eastvale.example", "wrong-guess").content.decode()
    assert "too many attempts" in page


def test_a_right_password_gives_its_attempt_back(client, facilitator):
    """Only failures count, so signing in every day never builds up to a pause."""
    for _ in range(8):
        assert sign_in(client, facilitator.email).status_code == 302
        client.post(reverse("accounts:sign-out"))


# --- A one-time code by email -----------------------------------------------------------------


def _code_from_email() -> str:
    message = mail.outbox[-1]
    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def test_it_signs_in_with_a_code_sent_by_email(client, facilitator):
    client.get(reverse("account_request_login_code"))
    before = client.session.session_key
    response = client.post(reverse("account_request_login_code"), {"email": facilitator.email})
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    assert mail.outbox[-1].to == [facilitator.email]
    assert mail.outbox[-1].subject == "Six Ways: Your sign-in code"
    code = _code_from_email()
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response["Location"] == reverse("partnerships:home")
    assert client.session["_auth_user_id"] == str(facilitator.pk)
    assert client.session.session_key != before


def test_a_code_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post(
        reverse("account_request_login_code"), {"email": "nobody@eastvale.example"}
    )
    # The same next page as for a real account, so the form cannot be used to find accounts.
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_is_refused_and_three_end_the_attempt(client, facilitator):
    client.post(reverse("account_request_login_code"), {"email": facilitator.email})
    code = _code_from_email()
    wrong = "AAAAAA" if code != "AAAAAA" else "BBBBBB"
    page = client.post(reverse("account_confirm_login_code"), {"code": wrong}).content.decode()
    assert "The code is not right" in page
    client.post(reverse("account_confirm_login_code"), {"code": wrong})
    response = client.post(reverse("account_confirm_login_code"), {"code": wrong})
    assert response.status_code == 302
    # The real code no longer works either: a new one must be asked for.
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert "_auth_user_id" not in client.session


def test_asking_for_codes_is_rate_limited(facilitator):
    """Each new browser could ask again; past three codes in five minutes for one address
    from one network, no more are sent, so nobody can flood a person's inbox."""
    from django.test import Client

    for _ in range(3):
        Client().post(reverse("account_request_login_code"), {"email": facilitator.email})
    assert len(mail.outbox) == 3
    page = (
        Client()
        .post(reverse("account_request_login_code"), {"email": facilitator.email})
        .content.decode()
    )
    assert len(mail.outbox) == 3
    assert "too many attempts" in page


def sign_in_by_code(client, email) -> None:
    client.post(reverse("account_request_login_code"), {"email": email})
    client.post(reverse("account_confirm_login_code"), {"code": _code_from_email()})


def test_an_attacker_elsewhere_cannot_lock_the_real_person_out(facilitator):
    """Someone who knows the address fails the password and asks for codes as often as they
    are let; the real person, on another network, still signs in both ways."""
    from django.test import Client

    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(10):
        sign_in(attacker, facilitator.email, "wrong-guess")
    for _ in range(10):
        Client(REMOTE_ADDR="203.0.113.9").post(
            reverse("account_request_login_code"), {"email": facilitator.email}
        )
    assert len(mail.outbox) == 3  # the rest were refused
    for _ in range(10):
        attacker.post(reverse("account_reset_password"), {"email": facilitator.email})
    assert len(mail.outbox) == 6

    Client(REMOTE_ADDR="198.51.100.6").post(
        reverse("account_reset_password"), {"email": facilitator.email}
    )
    assert len(mail.outbox) == 7
    assert mail.outbox[-1].subject == "Six Ways: Choose a new password"

    by_code = Client(REMOTE_ADDR="198.51.100.7")
    sign_in_by_code(by_code, facilitator.email)
    assert by_code.session["_auth_user_id"] == str(facilitator.pk)
    by_password = Client(REMOTE_ADDR="198.51.100.8")
    assert sign_in(by_password, facilitator.email)["Location"] == reverse("partnerships:home")

    # The attacker is still paused, and told so in words that fit what they tried.
    page = sign_in(attacker, facilitator.email).content.decode()
    assert "too many attempts to sign in with this email address" in page
    page = attacker.post(
        reverse("account_request_login_code"), {"email": facilitator.email}
    ).content.decode()
    assert "too many attempts to get a code for this email address" in page
    page = attacker.post(
        reverse("account_reset_password"), {"email": facilitator.email}
    ).content.decode()
    assert "too many attempts to reset the password for this email address" in page


def test_many_networks_failing_one_password_pause_it_briefly_and_never_the_code(
    facilitator, monkeypatch
):
    """From many networks at once the account's own count stops the guessing, for a minute
    only, and a code by email still works meanwhile."""
    import time
    from types import SimpleNamespace

    from allauth.core.internal import ratelimit
    from django.test import Client

    for network in range(1, 4):
        for _ in range(5):
            sign_in(Client(REMOTE_ADDR=f"203.0.113.{network}"), facilitator.email, "wrong-guess")
    real_person = Client(REMOTE_ADDR="198.51.100.7")
    page = sign_in(real_person, facilitator.email).content.decode()
    assert "too many attempts to sign in with this email address" in page
    sign_in_by_code(real_person, facilitator.email)
    assert real_person.session["_auth_user_id"] == str(facilitator.pk)

    one_minute_later = SimpleNamespace(
        time=lambda: time.time() + 61, monotonic=time.monotonic, sleep=time.sleep
    )
    monkeypatch.setattr(ratelimit, "time", one_minute_later)
    later = Client(REMOTE_ADDR="198.51.100.7")
    assert sign_in(later, facilitator.email)["Location"] == reverse("partnerships:home")


def test_nobody_can_sign_up(client, db):
    assert client.get("/accounts/signup/").status_code == 404
    assert not get_user_model().objects.exists()


def test_a_forgotten_password_is_reset_by_email(client, facilitator):
    response = client.post(reverse("account_reset_password"), {"email": facilitator.email})
    assert response["Location"] == reverse("account_reset_password_done")
    link = re.search(r"http\S+/password/reset/key/\S+", mail.outbox[-1].body).group(0)
    assert mail.outbox[-1].subject == "Six Ways: Choose a new password"
    response = client.get(link)
    # The key leaves the address bar at once (allauth keeps it in the session).
    assert response.status_code == 302
    form_url = response["Location"]
    assert "set-password" in form_url
    weak = client.post(form_url, {"password1": "password1234", "password2": "password1234"})
    assert "This password is too common" in weak.content.decode()
    new = "quiet-harbour-lantern-7"
    response = client.post(form_url, {"password1": new, "password2": new})
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    facilitator.refresh_from_db()
    assert facilitator.check_password(new)
    # The link works once.
    assert b"This link does not work" in client.get(link, follow=True).content


def test_a_reset_for_an_unknown_address_sends_nothing(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("account_reset_password_done")
    assert mail.outbox == []


# --- allauth's emails are sent by the background worker ----------------------------------------


def mail_server_down(monkeypatch, error):
    def refuse(self, messages):
        raise error

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)


def test_a_password_reset_while_the_mail_server_is_down_answers_as_usual(
    client, facilitator, monkeypatch
):
    mail_server_down(monkeypatch, ConnectionRefusedError("Connection refused"))
    response = client.post(reverse("account_reset_password"), {"email": facilitator.email})
    assert response["Location"] == reverse("account_reset_password_done")
    response = client.post(reverse("account_request_login_code"), {"email": facilitator.email})
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    # Nothing is kept of an email holding a reset link or a code, sent or not.
    assert not QueuedEmail.objects.exists()


def test_an_email_that_cannot_even_be_queued_gets_a_clear_page(client, facilitator, monkeypatch):
    def no_task_store(self, *args, **kwargs):
        raise DatabaseError("the task table is locked")

    monkeypatch.setattr("django.tasks.base.Task.enqueue", no_task_store)
    for url in ("account_reset_password", "account_request_login_code"):
        response = client.post(reverse(url), {"email": facilitator.email})
        assert response.status_code == 503
        assert "We could not send the email" in response.content.decode()
    assert not QueuedEmail.objects.exists()
