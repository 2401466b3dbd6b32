"""The session timeout warning's two addresses: how long is left, and "give me more time"."""

import datetime
import time

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from sixways.rounds.models import Invitation, Response
from tests.conftest import cookie_value, section_data


def _session(client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def _ends_in(client, seconds: int) -> None:
    session = _session(client)
    session.expire_date = timezone.now() + datetime.timedelta(seconds=seconds)
    session.save()


def test_it_says_how_long_a_signed_in_session_has_left(client, facilitator):
    client.force_login(facilitator)
    _ends_in(client, 600)
    response = client.get(reverse("session"))
    assert response.status_code == 200
    assert 590 <= response.json()["expires_in"] <= 600


def test_it_says_there_is_no_session_to_someone_without_one(client, db):
    assert client.get(reverse("session")).json() == {"expires_in": None}


def test_asking_how_long_is_left_changes_nothing(client, facilitator):
    client.force_login(facilitator)
    _ends_in(client, 600)
    before = _session(client).expire_date
    client.get(reverse("session"))
    assert _session(client).expire_date == before


def test_it_gives_a_signed_in_person_the_full_time_again(client, facilitator):
    client.force_login(facilitator)
    _ends_in(client, 60)
    response = client.post(reverse("session-extend"), headers={"accept": "application/json"})
    assert response.json() == {"expires_in": settings.SESSION_COOKIE_AGE}
    left = _session(client).expire_date - timezone.now()
    assert left > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def _participant_ends_in(client, seconds: int) -> None:
    given_at = int(time.time()) - settings.SESSION_COOKIE_AGE + seconds
    client.cookies[settings.PARTICIPANT_COOKIE_NAME] = cookie_value(
        Response.objects.get().pk, given_at
    )


def test_it_says_how_long_a_participant_has_left(client, link):
    client.post(reverse("rounds:start", args=[link]))
    _participant_ends_in(client, 600)
    assert 590 <= client.get(reverse("session")).json()["expires_in"] <= 600


def test_it_gives_a_participant_the_full_time_again(client, link):
    client.post(reverse("rounds:start", args=[link]))
    _participant_ends_in(client, 60)
    response = client.post(reverse("session-extend"), headers={"accept": "application/json"})
    assert response.json() == {"expires_in": settings.SESSION_COOKIE_AGE}
    left = client.get(reverse("session")).json()["expires_in"]
    assert left > settings.SESSION_COOKIE_AGE - 60
    # Still the same participant: the questions carry on where they were.
    assert client.get(reverse("rounds:section", args=[1])).status_code == 200


def test_it_cannot_bring_back_a_participant_whose_time_has_ended(client, link):
    client.post(reverse("rounds:start", args=[link]))
    _participant_ends_in(client, -1)
    response = client.post(reverse("session-extend"), headers={"accept": "application/json"})
    assert response.json() == {"expires_in": None}
    assert client.get(reverse("rounds:section", args=[1])).status_code == 403


def test_it_cannot_bring_back_a_session_that_has_ended(client, facilitator):
    client.force_login(facilitator)
    _session(client).delete()
    response = client.post(reverse("session-extend"), headers={"accept": "application/json"})
    assert response.json() == {"expires_in": None}
    assert not Session.objects.exists()


def test_it_only_extends_on_post(client, facilitator):
    client.force_login(facilitator)
    assert client.get(reverse("session-extend")).status_code == 405


def test_it_needs_the_form_token(facilitator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)
    _ends_in(client, 60)
    response = client.post(reverse("session-extend"), headers={"accept": "application/json"})
    assert response.status_code == 403
    assert _session(client).expire_date - timezone.now() < datetime.timedelta(seconds=61)


def test_without_javascript_it_goes_back_to_the_page(client, facilitator):
    client.force_login(facilitator)
    response = client.post(reverse("session-extend"), {"next": "/help/scores/"})
    assert response.status_code == 302 and response["Location"] == "/help/scores/"
    response = client.post(reverse("session-extend"), {"next": "https://elsewhere.example/"})
    assert response["Location"] == "/"


def test_pages_with_a_session_carry_the_warning_and_others_do_not(client, facilitator):
    assert 'id="session-timeout"' not in client.get(reverse("help")).content.decode()
    client.force_login(facilitator)
    page = client.get(reverse("help")).content.decode()
    assert 'id="session-timeout"' in page
    assert "You will be signed out soon" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_accessibility_statement_is_linked_from_every_page(client, db):
    page = client.get(reverse("privacy")).content.decode()
    assert f'href="{reverse("accessibility")}"' in page
    statement = client.get(reverse("accessibility")).content.decode()
    assert "Accessibility statement for Six Ways" in statement
    assert "partially compliant" in statement
    assert "Non-accessible content" in statement


class Clock:
    """A frozen clock for the participant cookie, moved on by hand."""

    def __init__(self, monkeypatch):
        self.now = 1_800_000_000.0
        monkeypatch.setattr(time, "time", lambda: self.now)

    def advance(self, **delta) -> None:
        self.now += datetime.timedelta(**delta).total_seconds()


def _more_time(client):
    return client.post(reverse("session-extend"), headers={"accept": "application/json"})


def test_more_time_stops_a_day_after_the_link_was_used(client, link, monkeypatch):
    """ "Give me more time" renews the cookie, but never past a day from pressing start: after
    that the participant must open their link again, and finds everything they saved."""
    clock = Clock(monkeypatch)
    client.post(reverse("rounds:start", args=[link]))
    client.post(reverse("rounds:section", args=[1]), section_data(1))
    for _ in range(2):
        clock.advance(hours=7, minutes=50)
        assert _more_time(client).json() == {"expires_in": settings.SESSION_COOKIE_AGE}
    clock.advance(hours=7, minutes=50)  # 23 hours 30 minutes since start
    assert _more_time(client).json() == {"expires_in": 30 * 60}
    clock.advance(minutes=25)
    assert client.get(reverse("session")).json() == {"expires_in": 5 * 60}
    assert _more_time(client).json() == {"expires_in": 5 * 60}
    clock.advance(minutes=5)
    assert client.get(reverse("session")).json() == {"expires_in": None}
    assert _more_time(client).json() == {"expires_in": None}
    page = client.get(reverse("rounds:section", args=[2]))
    assert page.status_code == 403
    assert "Open the link you were sent" in page.content.decode()

    again = client.post(reverse("rounds:start", args=[link]))
    assert again["Location"] == reverse("rounds:section", args=[2])
    assert Response.objects.get().answers.count() == 4
    assert client.get(reverse("session")).json() == {"expires_in": settings.SESSION_COOKIE_AGE}


def test_starting_again_on_a_shared_link_does_not_renew_the_cap(
    client, open_round, organisations, monkeypatch
):
    """A shared link is open to anyone, so pressing its start button again carries on with
    the same answers but keeps the cookie's first start."""
    clock = Clock(monkeypatch)
    _, shared = Invitation.issue(open_round, organisations[0], kind=Invitation.Kind.SHARED)
    client.post(reverse("rounds:start", args=[shared]))
    clock.advance(hours=7, minutes=50)
    _more_time(client)
    clock.advance(hours=7, minutes=50)
    _more_time(client)
    clock.advance(hours=7, minutes=50)
    client.post(reverse("rounds:start", args=[shared]))
    assert Response.objects.count() == 1
    assert client.get(reverse("session")).json() == {"expires_in": 30 * 60}
