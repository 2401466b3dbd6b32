"""Demo data: a place partnership with a closed round and an open one, so results are never
empty, and an open collective round to run a workshop in.

Answers are fixed, not random, so tests can check the results page against hand-worked figures
(tests/test_results.py). Each respondent's pattern has six digits, one per behaviour: the
score they give every question of that behaviour (3 Yes, 2 Sometimes, 1 Not always, 0 No).
"""

import base64
import datetime
import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
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

from .fixtures import respond
from .models import Invitation, Mode, Response, Round, Status
from .tokens import hash_token

PARTNERSHIP = "Northdale Place Partnership"
FACILITATOR_EMAIL = "facilitator@example.com"
FACILITATOR_PASSWORD = "demo-facilitator-2026"  # noqa: S105 - demo data only
ADMIN_EMAIL = "admin@example.com"

ORGANISATIONS = [
    ("Northdale and Wyke Integrated Care Board", Sector.ICB, "QNW"),
    ("Northdale Hospitals NHS Foundation Trust", Sector.NHS_TRUST, "RND"),
    ("Northdale Primary Care Networks", Sector.PRIMARY_CARE, ""),
    ("Northdale Council", Sector.LOCAL_AUTHORITY, "E06000099"),
    ("Brookside Home Care", Sector.CARE_PROVIDER, "1-10000001"),
    ("Northdale Voluntary Action", Sector.VCSE, ""),
    ("Healthwatch Northdale", Sector.HEALTHWATCH, ""),
]

# Spring round (closed), individual mode: 20 respondents.
SPRING = {
    "Northdale and Wyke Integrated Care Board": ["332323", "322323"],
    "Northdale Hospitals NHS Foundation Trust": [
        "221212",
        "221212",
        "211212",
        "221112",
        "221212",
        "221202",
    ],
    "Northdale Primary Care Networks": ["212121", "222121"],
    "Northdale Council": ["111010", "111010", "121010", "111011", "112010"],
    "Brookside Home Care": ["201100"],
    "Northdale Voluntary Action": ["212110", "212110", "212111"],
    "Healthwatch Northdale": ["101100"],
}
SPRING_COMMENTS = {
    ("Northdale Hospitals NHS Foundation Trust", 0, "1"): (
        "Agendas are packed, so the voluntary sector often gets the last five minutes."
    ),
    ("Northdale Council", 0, "5"): (
        "Each of us holds data in our own systems. It is hard to get a shared picture."
    ),
    ("Northdale Voluntary Action", 1, "3"): (
        "Decisions still feel like they are made before the meeting, by the bigger partners."
    ),
    ("Northdale and Wyke Integrated Care Board", 0, "2"): (
        "The shared vision was agreed at the away day and is used in every business case."
    ),
}

# Autumn round (open), individual mode: 6 sent so far, and two drafts.
AUTUMN = {
    "Northdale and Wyke Integrated Care Board": ["333323"],
    "Northdale Hospitals NHS Foundation Trust": ["222222", "322212"],
    "Northdale Council": ["211111", "221111"],
    "Northdale Voluntary Action": ["222121"],
}
AUTUMN_DRAFTS = {"Brookside Home Care": ["21"], "Healthwatch Northdale": ["1"]}


def demo_token(number: int) -> str:
    """A stable participant link for the demo, so every start prints a link that works."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"demo-participant-{number}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@transaction.atomic
def create_demo() -> Partnership:
    """Create the demo partnership and its rounds, once. Returns the partnership."""
    existing = Partnership.objects.filter(name=PARTNERSHIP).first()
    if existing:
        return existing
    load_all()
    instrument = current()

    system = Partnership.objects.create(
        name="Northdale and Wyke Integrated Care System", level=Level.SYSTEM
    )
    partnership = Partnership.objects.create(name=PARTNERSHIP, level=Level.PLACE, parent=system)
    organisations = {}
    for name, sector, code in ORGANISATIONS:
        organisations[name] = Organisation.objects.create(name=name, sector=sector, code=code)
        Partner.objects.create(partnership=partnership, organisation=organisations[name])

    user_model = get_user_model()
    facilitator = user_model.objects.create_user(
        username=FACILITATOR_EMAIL,
        email=FACILITATOR_EMAIL,
        password=FACILITATOR_PASSWORD,
        first_name="Sam",
        last_name="Okafor",
    )
    Membership.objects.create(user=facilitator, partnership=partnership, role=Role.FACILITATOR)
    if not user_model.objects.filter(username=ADMIN_EMAIL).exists():
        user_model.objects.create_superuser(
            username=ADMIN_EMAIL, email=ADMIN_EMAIL, password=FACILITATOR_PASSWORD
        )

    today = timezone.localdate()
    spring = Round.objects.create(
        partnership=partnership,
        instrument=instrument,
        title="Spring 2026",
        mode=Mode.INDIVIDUAL,
        status=Status.CLOSED,
        opens_on=today - datetime.timedelta(days=200),
        closes_on=today - datetime.timedelta(days=170),
        closed_at=timezone.now() - datetime.timedelta(days=170),
    )
    spring.organisations.set(organisations.values())
    for name, patterns in SPRING.items():
        for index, pattern in enumerate(patterns):
            comments = {
                key: text
                for (org_name, number, key), text in SPRING_COMMENTS.items()
                if (org_name, number) == (name, index)
            }
            respond(spring, organisations[name], pattern, comments)

    autumn = Round.objects.create(
        partnership=partnership,
        instrument=instrument,
        title="Autumn 2026",
        mode=Mode.INDIVIDUAL,
        status=Status.OPEN,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=20),
    )
    autumn.organisations.set(organisations.values())
    for name, patterns in AUTUMN.items():
        for pattern in patterns:
            respond(autumn, organisations[name], pattern)
    for name, patterns in AUTUMN_DRAFTS.items():
        for pattern in patterns:
            respond(autumn, organisations[name], pattern, sent=False)

    # A collective round for the board to answer together: open, so a workshop can be run.
    board = Round.objects.create(
        partnership=partnership,
        instrument=instrument,
        title="Board workshop, winter 2026",
        mode=Mode.COLLECTIVE,
        status=Status.OPEN,
        opens_on=today - datetime.timedelta(days=2),
        closes_on=today + datetime.timedelta(days=25),
    )
    board.organisations.set(organisations.values())
    return partnership


def participant_token() -> str:
    """A link into the open demo round that has not been sent yet (made if needed)."""
    autumn = Round.objects.get(partnership__name=PARTNERSHIP, title="Autumn 2026")
    council = Organisation.objects.get(name="Northdale Council")
    number = 1
    while True:
        token = demo_token(number)
        invitation = Invitation.objects.filter(token_hash=hash_token(token)).first()
        if invitation is None:
            Invitation.objects.create(
                round=autumn, organisation=council, token_hash=hash_token(token)
            )
            return token
        if not Response.objects.filter(
            invitation=invitation, state=Response.State.SUBMITTED
        ).exists():
            return token
        number += 1
