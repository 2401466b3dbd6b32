"""Shared fixtures: the instrument, a partnership with its people, and a round to answer.

Personas, as in healthchecks: a facilitator of the partnership and an outsider who facilitates
another one. Tests talk to the app over HTTP with Django's test client.
"""

import datetime

import pytest
from django.utils import timezone

from sixways.instruments.loading import current, load_all
from sixways.partnerships.models import (
    Level,
    Membership,
    Organisation,
    Partner,
    Partnership,
    Role,
    Sector,
)
from sixways.rounds.models import Invitation, Mode, Round, Status

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def instrument(db):
    load_all()
    return current()


@pytest.fixture
def partnership(db):
    return Partnership.objects.create(name="Eastvale Place Partnership", level=Level.PLACE)


@pytest.fixture
def organisations(partnership):
    orgs = [
        Organisation.objects.create(name="Eastvale Council", sector=Sector.LOCAL_AUTHORITY),
        Organisation.objects.create(name="Eastvale NHS Trust", sector=Sector.NHS_TRUST),
    ]
    for org in orgs:
        Partner.objects.create(partnership=partnership, organisation=org)
    return orgs


def make_user(django_user_model, email, partnership=None, role=Role.FACILITATOR):
    user = django_user_model.objects.create_user(username=email, email=email, password=PASSWORD)
    if partnership:
        Membership.objects.create(user=user, partnership=partnership, role=role)
    return user


@pytest.fixture
def facilitator(django_user_model, partnership):
    return make_user(django_user_model, "fac@eastvale.example", partnership)


@pytest.fixture
def outsider(django_user_model, db):
    other = Partnership.objects.create(name="Westmoor Place Partnership", level=Level.PLACE)
    return make_user(django_user_model, "fac@westmoor.example", other)


def make_round(
    partnership, instrument, *, status=Status.OPEN, mode=Mode.INDIVIDUAL, title="Autumn 2026"
):
    today = timezone.localdate()
    return Round.objects.create(
        partnership=partnership,
        instrument=instrument,
        title=title,
        mode=mode,
        status=status,
        opens_on=today - datetime.timedelta(days=1),
        closes_on=today + datetime.timedelta(days=30),
    )


@pytest.fixture
def open_round(partnership, instrument):
    return make_round(partnership, instrument)


@pytest.fixture
def link(open_round, organisations):
    """A participant link's token for the open round."""
    _, token = Invitation.issue(open_round, organisations[0])
    return token


ALL_YES = {
    f"q{s}_{q}": "yes"
    for s, n in zip(range(1, 7), [4, 5, 4, 4, 3, 4], strict=True)
    for q in range(1, n + 1)
}


def section_data(number: int, value: str = "yes", **extra) -> dict:
    data = {k: value for k in ALL_YES if k.startswith(f"q{number}_")}
    data["action"] = "continue"
    data.update(extra)
    return data
