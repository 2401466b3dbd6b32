"""Shared fixtures: the instrument, a partnership with its people, and a round to answer.

Personas, as in healthchecks: a facilitator of the partnership and an outsider who facilitates
another one. Tests talk to the app over HTTP with Django's test client.
"""

import datetime
import os

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


def behaviour_pages(client, round_) -> str:
    """The six behaviour pages of a round's results, one after the other."""
    from django.urls import reverse

    return "\n".join(
        client.get(reverse("results:behaviour", args=[round_.pk, key])).content.decode()
        for key in "123456"
    )


def date_data(name: str, day) -> dict[str, str]:
    """A date as the NHS date input sends it: `name-day`, `name-month` and `name-year`. `day` is
    a date, or a (day, month, year) of strings as someone might type them."""
    parts = (day.day, day.month, day.year) if hasattr(day, "year") else day
    return {
        f"{name}-{part}": str(value)
        for part, value in zip(("day", "month", "year"), parts, strict=True)
    }


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


def cookie_value(response_id: int, given_at: int) -> str:
    """A participant cookie's value, as if given at `given_at` (a Unix time)."""
    from django.conf import settings
    from django.http import HttpResponse

    from sixways.rounds import participant

    carrier = HttpResponse()
    participant.give(carrier, response_id, given_at)
    return carrier.cookies[settings.PARTICIPANT_COOKIE_NAME].value


def section_data(number: int, value: str = "yes", **extra) -> dict:
    data = {k: value for k in ALL_YES if k.startswith(f"q{number}_")}
    data["action"] = "continue"
    data.update(extra)
    return data


@pytest.fixture(autouse=True)
def _two_factor_not_enforced(settings):
    """Two-factor is enforced wherever DEBUG is off (MFA_REQUIRED). Tests about other things
    sign facilitators in without it; tests/test_accounts_two_factor.py turns it back on and
    proves the enforcement."""
    settings.MFA_REQUIRED = False


@pytest.fixture
def observer(django_user_model, partnership):
    return make_user(django_user_model, "observer@eastvale.example", partnership, Role.OBSERVER)


@pytest.fixture
def partner_lead(django_user_model, partnership, organisations):
    user = make_user(django_user_model, "lead@eastvale.example")
    Membership.objects.create(
        user=user, partnership=partnership, role=Role.PARTNER_LEAD, organisation=organisations[0]
    )
    return user


@pytest.fixture(autouse=True)
def _results_cache_empty():
    """The results of closed rounds are cached per process (CACHES["results"]). Each test's
    data is rolled back and its ids used again, so no test may see another's results."""
    from django.core.cache import caches

    caches["results"].clear()
    yield
    caches["results"].clear()


@pytest.fixture(autouse=True)
def _downloads_in_tmp(settings, tmp_path):
    """Built board reports and workbooks are files (settings.MEDIA_ROOT): each test keeps its
    own, in a folder of its own, as its rows are rolled back and their ids used again."""
    settings.MEDIA_ROOT = tmp_path / "downloads"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production hashes passwords slowly on purpose; tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Results: the demo partnership and quick ways to fill a round with sent responses --------


@pytest.fixture
def demo_partnership(db):
    from sixways.rounds import demo

    return demo.create_demo()


@pytest.fixture
def demo_client(client, demo_partnership):
    from sixways.rounds import demo

    client.login(username=demo.FACILITATOR_EMAIL, password=demo.FACILITATOR_PASSWORD)
    return client


def add_organisation(partnership, name, sector):
    organisation = Organisation.objects.create(name=name, sector=sector)
    Partner.objects.create(partnership=partnership, organisation=organisation)
    return organisation


# --- The app served by gunicorn in its own processes (bench/harness.py) ------------------------
# A test module that serves the app asks for `control` (and `database`, `directory`): a private
# database of the suite's kind (a SQLite file, or a database of its own on DATABASE_URL's
# PostgreSQL cluster), migrated, with the controller that prepares and counts it.


@pytest.fixture(scope="module")
def directory(tmp_path_factory, request):
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def database(directory, request):
    from bench.harness import Database

    name = f"sixways_{request.module.__name__.rsplit('_', 1)[-1]}_{os.getpid()}"
    database = Database.like(os.environ.get("DATABASE_URL", ""), directory, name)
    database.create()
    yield database
    database.drop()


@pytest.fixture(scope="module")
def control(database, directory):
    from bench.harness import Controller

    with Controller(database, log=directory / "controller.log") as controller:
        controller("migrate")
        yield controller
