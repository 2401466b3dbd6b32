from django.urls import reverse

from tests.conftest import PASSWORD


def test_it_signs_in_and_rotates_the_session(client, facilitator):
    client.get(reverse("accounts:sign-in"))
    before = client.session.session_key
    response = client.post(
        reverse("accounts:sign-in"), {"username": facilitator.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("partnerships:home")
    assert client.session.session_key != before


def test_a_wrong_password_gets_a_clear_message(client, facilitator):
    response = client.post(
        reverse("accounts:sign-in"), {"username": facilitator.email, "password": "nope"}
    )
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.content.decode()


def test_it_does_not_redirect_off_site(client, facilitator):
    response = client.post(
        reverse("accounts:sign-in"),
        {"username": facilitator.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("partnerships:home")


def test_sign_out_needs_a_post(client, facilitator):
    client.force_login(facilitator)
    assert client.get(reverse("accounts:sign-out")).status_code == 200
    assert client.get(reverse("partnerships:home")).status_code == 200
    client.post(reverse("accounts:sign-out"))
    assert client.get(reverse("partnerships:home")).status_code == 302
