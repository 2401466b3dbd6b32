"""The demo's system, grown: the Northdale and Wyke system with three places, and two
neighbourhoods within Northdale's place, so the partnerships side by side have something to
show. Each child answers its own rounds; one keeps its figures to itself, one shares its
comments too. The demo facilitator facilitates the system as well as Northdale's place.

And the benchmark: twelve other places elsewhere take part, each with two closed rounds, and
so does Northdale's place, so that a benchmark of places is shown (taken once, as the daily
run would in each half-year).

Answers are fixed patterns, as in rounds/demo.py: one digit per behaviour, 3 Yes … 0 No.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sixways.instruments.loading import current
from sixways.partnerships.models import (
    Level,
    Membership,
    Organisation,
    Partner,
    Partnership,
    Role,
    Sector,
)
from sixways.rounds import demo as rounds_demo
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Mode, Round, Status

from . import benchmark

# name, level, parent (None: the system), what it shares, and its closed rounds: (title,
# days ago it closed, mode, {organisation: [patterns]}).
CHILDREN = [
    (
        "Wyke Place Partnership",
        Level.PLACE,
        None,
        {"figures_to_parent": True, "comments_to_parent": True},
        [
            (
                "Spring 2026",
                170,
                Mode.INDIVIDUAL,
                {
                    "Wyke Council": ["222121", "212121", "221111"],
                    "Wyke Community Health NHS Trust": ["322221", "222222", "321221"],
                    "Wyke Voluntary Partnership": ["211110", "201110"],
                },
            ),
            (
                "Autumn 2025",
                350,
                Mode.INDIVIDUAL,
                {
                    "Wyke Council": ["111111", "211110", "111010"],
                    "Wyke Community Health NHS Trust": ["221211", "222111", "211211"],
                    "Wyke Voluntary Partnership": ["111100", "101110"],
                },
            ),
        ],
    ),
    (
        "Eastbrook Place Partnership",
        Level.PLACE,
        None,
        {"figures_to_parent": True, "comments_to_parent": False},
        [
            (
                "Summer 2026",
                90,
                Mode.ORGANISATIONAL,
                {
                    "Eastbrook Borough Council": ["222222"],
                    "Eastbrook Hospital NHS Trust": ["332322"],
                    "Eastbrook Care Association": ["211111"],
                },
            )
        ],
    ),
    (
        "Northdale North Neighbourhood",
        Level.NEIGHBOURHOOD,
        rounds_demo.PARTNERSHIP,
        {"figures_to_parent": True, "comments_to_parent": False},
        [
            (
                "Summer 2026",
                60,
                Mode.COLLECTIVE,
                {None: ["232221"]},
            )
        ],
    ),
    (
        "Northdale South Neighbourhood",
        Level.NEIGHBOURHOOD,
        rounds_demo.PARTNERSHIP,
        {"figures_to_parent": False, "comments_to_parent": False},
        [("Summer 2026", 60, Mode.COLLECTIVE, {None: ["121110"]})],
    ),
]

COMMENTS = {
    "Wyke Place Partnership": {"3": "We still argue about whose budget pays for discharge."}
}

SECTORS = {
    "Council": Sector.LOCAL_AUTHORITY,
    "NHS": Sector.NHS_TRUST,
    "Voluntary": Sector.VCSE,
    "Care": Sector.CARE_PROVIDER,
}


def _sector(name: str) -> str:
    return next((sector for word, sector in SECTORS.items() if word in name), Sector.OTHER)


@transaction.atomic
def create_system() -> Partnership:
    """Grow the demo's system once. Returns the system."""
    place = rounds_demo.create_demo()
    system = place.parent
    if system.children.count() > 1:
        return system
    facilitator = get_user_model().objects.get(username=rounds_demo.FACILITATOR_EMAIL)
    Membership.objects.get_or_create(
        user=facilitator, partnership=system, defaults={"role": Role.FACILITATOR}
    )
    instrument = current()
    today = timezone.localdate()
    for name, level, parent_name, sharing, rounds in CHILDREN:
        parent = Partnership.objects.get(name=parent_name) if parent_name else system
        child = Partnership.objects.create(name=name, level=level, parent=parent, **sharing)
        for number, (title, days_ago, mode, answers) in enumerate(rounds):
            closed = today - datetime.timedelta(days=days_ago)
            round_ = Round.objects.create(
                partnership=child,
                instrument=instrument,
                title=title,
                mode=mode,
                status=Status.CLOSED,
                opens_on=closed - datetime.timedelta(days=28),
                closes_on=closed,
                closed_at=timezone.now() - datetime.timedelta(days=days_ago),
            )
            for order, (organisation_name, patterns) in enumerate(answers.items()):
                organisation = None
                if organisation_name:
                    organisation, _ = Organisation.objects.get_or_create(
                        name=organisation_name, defaults={"sector": _sector(organisation_name)}
                    )
                    Partner.objects.get_or_create(partnership=child, organisation=organisation)
                    round_.organisations.add(organisation)
                for index, pattern in enumerate(patterns):
                    # The latest round's first respondent wrote the child's comment.
                    first = number == 0 and order == 0 and index == 0
                    respond(round_, organisation, pattern, COMMENTS.get(name, {}) if first else {})
    _benchmark_peers(instrument, today)
    place.benchmark_joined_at = timezone.now()
    place.save(update_fields=["benchmark_joined_at"])
    benchmark.take()
    return system


PEERS = [
    "Ashby", "Bramley", "Calder", "Denholme", "Elland", "Farsley",
    "Garforth", "Harden", "Ilkley", "Keighley", "Lindley", "Marsden",
]  # fmt: skip


def _benchmark_peers(instrument, today: datetime.date) -> None:
    """Places elsewhere that take part in the benchmark: answers made up, but fixed."""
    rng = random.Random(2026)
    for name in PEERS:
        peer = Partnership.objects.create(
            name=f"{name} Place Partnership", level=Level.PLACE, benchmark_joined_at=timezone.now()
        )
        partners = [
            Organisation.objects.create(name=f"{name} {what}", sector=sector)
            for what, sector in [
                ("Council", Sector.LOCAL_AUTHORITY),
                ("NHS Trust", Sector.NHS_TRUST),
            ]
        ]
        base = [rng.randint(1, 2) for _ in range(6)]
        for days_ago, lift in ((200, 0), (60, rng.choice([0, 0, 1]))):
            closed = today - datetime.timedelta(days=days_ago)
            round_ = Round.objects.create(
                partnership=peer,
                instrument=instrument,
                title="Spring 2026" if days_ago == 200 else "Autumn 2026",
                mode=Mode.INDIVIDUAL,
                status=Status.CLOSED,
                opens_on=closed - datetime.timedelta(days=28),
                closes_on=closed,
                closed_at=timezone.now() - datetime.timedelta(days=days_ago),
            )
            round_.organisations.set(partners)
            for n in range(6):
                pattern = "".join(
                    str(max(0, min(3, b + lift + rng.choice([-1, 0, 0, 1])))) for b in base
                )
                respond(round_, partners[n % 2], pattern)
