"""Microsoft Entra ID: only allowed tenants (and domains, if listed), only existing accounts."""

import base64
import json
from unittest import mock

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore

from sixways.accounts.adapter import EntraAdapter, SocialAccountAdapter, _claims, entra_allowed

NHSMAIL = "37c354b2-85b0-47f5-b222-07b48d774ee3"
COUNCIL = "9b1f8a2e-0000-4000-8000-000000000001"


@pytest.fixture(autouse=True)
def _allowlist(settings):
    settings.ENTRA_ALLOWED_TENANTS = [NHSMAIL, COUNCIL]
    settings.ENTRA_ALLOWED_DOMAINS = []
    settings.SOCIALACCOUNT_PROVIDERS = {
        "microsoft": {"APPS": [{"client_id": "id", "secret": "secret", "settings": {}}]}
    }


def sociallogin(tenant: str, email: str) -> SocialLogin:
    account = SocialAccount(
        provider="microsoft", uid="00000000-aaaa", extra_data={"tid": tenant, "mail": email}
    )
    return SocialLogin(account=account, user=get_user_model()(email=email))


def request_for(rf):
    request = rf.get("/accounts/microsoft/sign-in/callback/")
    request.session = SessionStore()
    return request


def test_only_listed_tenants_are_allowed(settings):
    assert entra_allowed(NHSMAIL, "a.person@nhs.net")
    assert not entra_allowed("another-tenant", "a.person@nhs.net")
    assert not entra_allowed("", "a.person@nhs.net")
    settings.ENTRA_ALLOWED_DOMAINS = ["nhs.net"]
    assert entra_allowed(NHSMAIL, "A.Person@NHS.net")
    assert not entra_allowed(NHSMAIL, "someone@example.org")


def test_another_tenant_is_refused_even_with_a_known_address(rf, facilitator):
    with pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().pre_social_login(
            request_for(rf), sociallogin("evil-tenant", facilitator.email)
        )
    assert refused.value.response.status_code == 403
    assert b"You cannot sign in with this Microsoft account" in refused.value.response.content
    assert not SocialAccount.objects.exists()


def test_an_allowed_tenant_without_an_account_is_told_to_get_an_invitation(rf, db):
    with pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().pre_social_login(
            request_for(rf), sociallogin(NHSMAIL, "new.person@nhs.net")
        )
    assert b"There is no account for this address" in refused.value.response.content
    assert not get_user_model().objects.filter(email="new.person@nhs.net").exists()


def test_an_allowed_tenant_signs_in_to_the_invited_account(rf, django_user_model):
    user = django_user_model.objects.create_user("a.person@nhs.net", "a.person@nhs.net")
    login = sociallogin(NHSMAIL, "A.Person@nhs.net")
    SocialAccountAdapter().pre_social_login(request_for(rf), login)
    assert SocialAccount.objects.get().user == user


def test_nobody_signs_up_through_microsoft(rf):
    assert SocialAccountAdapter().is_open_for_signup(rf.get("/"), None) is False


def test_the_tenant_comes_from_the_id_token(rf):
    claims = {"tid": NHSMAIL, "oid": "x"}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    token = f"header.{payload}.signature"
    assert _claims(token) == claims
    assert _claims("not a token") == {}
    fake = mock.Mock()
    fake.account.extra_data = {}
    with mock.patch(
        "allauth.socialaccount.providers.microsoft.views.MicrosoftGraphOAuth2Adapter.complete_login",
        return_value=fake,
    ):
        login = EntraAdapter(rf.get("/")).complete_login(
            rf.get("/"), None, None, response={"id_token": token}
        )
    assert login.account.extra_data["tid"] == NHSMAIL
