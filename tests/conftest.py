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


def send_response(
    round_,
    organisation,
    pattern: str = "333333",
    comments: dict | None = None,
    *,
    shared: bool = False,
):
    """A sent response straight into the database. `pattern` gives each behaviour's answer
    score, one digit per behaviour (3 Yes … 0 No); `comments` maps behaviour key to text;
    `shared` sends it through the organisation's shareable link instead of a personal one."""
    from sixways.instruments.models import Option, Question, Section
    from sixways.rounds.models import Answer, Comment, Response
    from sixways.rounds.tally import rebuild_tally

    shared_from = None
    if shared:
        shared_from = (
            Invitation.objects.filter(
                round=round_, organisation=organisation, kind=Invitation.Kind.SHARED
            ).first()
            or Invitation.issue(round_, organisation, kind=Invitation.Kind.SHARED)[0]
        )
    invitation, _ = Invitation.issue(round_, organisation, shared_from=shared_from)
    response = Response.objects.create(
        round=round_,
        invitation=invitation,
        organisation=organisation,
        state=Response.State.SUBMITTED,
        submitted_at=timezone.now(),
    )
    options = {o.score: o for o in Option.objects.filter(instrument_id=round_.instrument_id)}
    sections = list(Section.objects.filter(instrument_id=round_.instrument_id))
    digit = {s.pk: int(d) for s, d in zip(sections, pattern, strict=True)}
    Answer.objects.bulk_create(
        Answer(response=response, question=q, option=options[digit[q.section_id]])
        for q in Question.objects.filter(instrument_id=round_.instrument_id)
    )
    rebuild_tally(round_)  # answers written directly, not through submit()
    for key, text in (comments or {}).items():
        Comment.objects.create(
            response=response, section=next(s for s in sections if s.key == key), text=text
        )
    return response


def add_organisation(partnership, name, sector):
    organisation = Organisation.objects.create(name=name, sector=sector)
    Partner.objects.create(partnership=partnership, organisation=organisation)
    return organisation
