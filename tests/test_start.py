"""The public way in: the start page for someone not signed in, and asking for an account."""

import pytest
from django.core import mail
from django.urls import reverse

from sixways.accounts.models import AccessRequest
from sixways.core.models import AuditEntry

REQUEST = {
    "name": "Priya Shah",
    "email": "priya.shah@westmoor.example",
    "organisation": "Westmoor Council",
    "partnership": "Westmoor Place Partnership",
    "message": "We would like to start in the spring.",
}


def test_someone_not_signed_in_gets_a_start_page_that_says_how_to_get_in(client, db):
    page = client.get(reverse("partnerships:home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Benchmark how your partnership works together" in text
    assert reverse("accounts:sign-in") in text
    assert reverse("accounts:request-access") in text
    assert "You do not need an account" in text


def test_a_signed_in_person_gets_their_partnerships_at_the_same_address(client, facilitator):
    client.force_login(facilitator)
    text = client.get(reverse("partnerships:home")).content.decode()
    assert "Eastvale Place Partnership" in text
    assert "Ask for an account" not in text


def test_a_request_for_an_account_reaches_the_administrators_and_the_log(
    client, django_user_model, db
):
    django_user_model.objects.create_superuser(
        username="admin@sixways.example", email="admin@sixways.example", password="x" * 20
    )
    response = client.post(reverse("accounts:request-access"), REQUEST)
    assert response["Location"] == reverse("accounts:access-requested")
    assert "Request sent" in client.get(response["Location"]).content.decode()

    [email] = mail.outbox
    assert email.to == ["admin@sixways.example"]
    assert "Westmoor Place Partnership would like an account" in email.subject
    assert "priya.shah@westmoor.example" in email.body and "start in the spring" in email.body
    assert AccessRequest.objects.get().partnership == "Westmoor Place Partnership"
    entry = AuditEntry.objects.get(action="access.requested")
    assert entry.detail == "Westmoor Place Partnership" and entry.actor is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Enter your name"),
        ({"email": "priya"}, "Enter an email address in the correct format"),
        ({"partnership": ""}, "Enter the partnership that would use Six Ways"),
        ({"organisation": "Westmoor\u202eCouncil"}, "Your organisation must not"),
    ],
)
def test_a_request_with_a_mistake_says_what_to_put_right_and_keeps_the_rest(
    client, db, change, message
):
    response = client.post(reverse("accounts:request-access"), {**REQUEST, **change})
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text and message in text
    assert "We would like to start in the spring." in text  # nothing typed is lost
    assert not AccessRequest.objects.exists() and mail.outbox == []


def test_one_address_cannot_flood_the_administrators(client, db):
    for _ in range(5):
        assert client.post(reverse("accounts:request-access"), REQUEST).status_code == 302
    assert client.post(reverse("accounts:request-access"), REQUEST).status_code == 429
    assert AccessRequest.objects.count() == 5
