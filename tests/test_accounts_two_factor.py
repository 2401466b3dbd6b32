"""Two-factor authentication (TOTP): required for facilitators and service administrators."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD, make_user

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str, offset: int = 0) -> str:
    """The code an authenticator app shows now, worked out as the app does (RFC 6238)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


@pytest.fixture(autouse=True)
def _two_factor_enforced(settings):
    settings.MFA_REQUIRED = True


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("accounts:sign-in"), {"login": email, "password": password})


def with_totp(user):
    TOTP.activate(user, SECRET)
    RecoveryCodes.activate(user)
    return user


def test_a_facilitator_without_two_factor_is_sent_to_set_it_up(client, facilitator):
    client.force_login(facilitator)
    for name in ("partnerships:home", "accounts:account"):
        response = client.get(reverse(name))
        assert response["Location"] == reverse("mfa_activate_totp")


def test_a_service_administrator_must_set_it_up_too(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss@example.com", "boss@example.com")
    client.force_login(admin)
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")


def test_observers_and_partner_leads_are_not_made_to(client, observer, partner_lead):
    for user in (observer, partner_lead):
        client.force_login(user)
        assert client.get(reverse("partnerships:home")).status_code == 200


def test_a_new_facilitator_role_counts_at_once(client, observer, partnership):
    client.force_login(observer)
    assert client.get(reverse("partnerships:home")).status_code == 200
    observer.memberships.update(role="facilitator")
    assert client.get(reverse("accounts:account")).status_code == 302


def test_signing_out_still_works_before_setting_it_up(client, facilitator):
    client.force_login(facilitator)
    assert client.get(reverse("accounts:sign-out")).status_code == 200
    client.post(reverse("accounts:sign-out"))
    assert "_auth_user_id" not in client.session


def test_a_facilitator_sets_up_an_authenticator_app(client, facilitator):
    assert sign_in(client, facilitator.email)["Location"] == reverse("partnerships:home")
    # Changing how you sign in asks for your password again, even just after signing in.
    confirm = client.get(reverse("partnerships:home"), follow=True)
    assert confirm.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    wrong = client.post(confirm.redirect_chain[-1][0], {"password": "not-it"})
    assert "The password is not right" in wrong.content.decode()
    response = client.post(confirm.redirect_chain[-1][0], {"password": PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    assert "Facilitators and service administrators must use two-factor" in page
    assert 'src="data:image/svg+xml;base64,' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=facilitator).exists()

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert codes.count("<li><code>") == 10
    assert client.get(reverse("partnerships:home")).status_code == 200


def test_signing_in_asks_for_the_app_code(client, facilitator):
    with_totp(facilitator)
    response = sign_in(client, facilitator.email)
    assert response["Location"] == reverse("mfa_authenticate")
    # The password alone has not signed them in.
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:account")).status_code == 302

    page = client.post(reverse("mfa_authenticate"), {"code": "123456"}).content.decode()
    assert "There is a problem" in page
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})
    assert response["Location"] == reverse("partnerships:home")
    assert client.session["_auth_user_id"] == str(facilitator.pk)


def test_a_code_cannot_be_used_twice(client, facilitator):
    with_totp(facilitator)
    code = totp_code(SECRET)
    sign_in(client, facilitator.email)
    client.post(reverse("mfa_authenticate"), {"code": code})
    client.post(reverse("accounts:sign-out"))
    sign_in(client, facilitator.email)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once(client, facilitator):
    with_totp(facilitator)
    recovery = RecoveryCodes(Authenticator.objects.get(user=facilitator, type="recovery_codes"))
    code = recovery.get_unused_codes()[0]
    sign_in(client, facilitator.email)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.session["_auth_user_id"] == str(facilitator.pk)
    client.post(reverse("accounts:sign-out"))
    sign_in(client, facilitator.email)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert "_auth_user_id" not in client.session


def test_a_code_by_email_still_needs_the_app_code(client, facilitator):
    with_totp(facilitator)
    client.post(reverse("account_request_login_code"), {"email": facilitator.email})
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.M).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})
    assert client.session["_auth_user_id"] == str(facilitator.pk)


def test_the_admin_signs_in_through_our_sign_in_page(client, django_user_model):
    admin = django_user_model.objects.create_superuser(
        "boss@example.com", "boss@example.com", PASSWORD
    )
    with_totp(admin)
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"].startswith(reverse("accounts:sign-in"))
    # The admin's own form is not there to be guessed at.
    client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert sign_in(client, admin.email)["Location"] == reverse("mfa_authenticate")


def test_people_who_are_not_staff_get_no_admin(client, facilitator):
    with_totp(facilitator)
    client.force_login(facilitator)
    assert client.get("/admin/").status_code in (302, 403)
    assert client.get("/admin/auth/user/").status_code in (302, 403)


def test_removing_two_factor_needs_the_person_to_confirm(client, django_user_model, partnership):
    user = with_totp(make_user(django_user_model, "ob@eastvale.example", partnership, "observer"))
    client.force_login(user)
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_a_facilitator_without_two_factor_cannot_post_either(client, facilitator, partnership):
    client.force_login(facilitator)
    response = client.post(
        reverse("accounts:invite", args=[partnership.pk]),
        {"email": "x@eastvale.example", "role": "observer"},
    )
    assert response.status_code == 403
    assert "Set up two-factor authentication first" in response.content.decode()
    assert not partnership.role_invitations.exists()


def test_a_script_is_refused_rather_than_sent_to_the_set_up_page(client, facilitator):
    """Following a redirect to the set-up page would start it again with a new key."""
    client.force_login(facilitator)
    response = client.get(reverse("accounts:account"), headers={"Accept": "application/json"})
    assert response.status_code == 403


def test_a_wrong_app_code_gets_a_clear_message(client, facilitator):
    with_totp(facilitator)
    sign_in(client, facilitator.email)
    page = client.post(reverse("mfa_authenticate"), {"code": "123456"}).content.decode()
    assert "The code is not right" in page
