"""Fill a database with realistic Six Ways data for the benchmark.

    DATABASE_URL=... python bench/generate.py --background 10000 --large 1000,10000,100000

Two kinds of data:

- Background: partnerships of mixed size, each with partner organisations of mixed size (a
  hospital trust or council sends dozens of people, a small charity one or two), and ten rounds
  over five years, one every six months, the latest still open with some drafts part-way.
  Mostly individual rounds, some organisational ones. Answers follow each partnership's
  culture, which improves slowly, with each organisation a little above or below it and each
  person scattered around that; a few people leave comments.
- Large rounds: one partnership per size given in --large, whose latest round holds exactly
  that many sent responses (and a previous round a tenth of the size, so the results page also
  works out the change since last time). These are what the results pages are timed on.

It uses the ORM's bulk_create in batches, so 100,000 responses (2.4 million answers) take a few
minutes. It prints a JSON summary (the large rounds' ids) on stdout.
"""

import argparse
import datetime
import json
import os
import random
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixways.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from sixways.instruments.loading import current, load_all  # noqa: E402
from sixways.instruments.models import Option, Question, Section  # noqa: E402
from sixways.partnerships.models import (  # noqa: E402
    Level,
    Organisation,
    Partner,
    Partnership,
    Sector,
)
from sixways.rounds.models import Answer, Comment, Invitation, Mode, Response, Round, Status  # noqa: E402
from sixways.rounds.tally import rebuild_tally  # noqa: E402

ROUNDS = 10  # five years, one round every six months
BATCH = 2000  # responses per bulk insert; their answers go in batches of 24 times this

PLACES = [
    "Ashby", "Brackwell", "Calder", "Dunmore", "Eastwick", "Fernley", "Glenholt", "Harwood",
    "Ingleby", "Kestrel", "Longmarsh", "Millbrook", "Northwick", "Oakhampton", "Pendle",
    "Queensbury", "Ravensworth", "Southmere", "Thornbury", "Upton", "Westerby", "Yarrow",
]  # fmt: skip
# Kinds of partner: sector, name pattern, how many people a round typically hears from.
KINDS = [
    (Sector.NHS_TRUST, "{} Hospitals NHS Foundation Trust", (15, 45)),
    (Sector.NHS_TRUST, "{} Community Health NHS Trust", (8, 25)),
    (Sector.LOCAL_AUTHORITY, "{} Council", (10, 35)),
    (Sector.ICB, "{} Integrated Care Board", (5, 15)),
    (Sector.PRIMARY_CARE, "{} Primary Care Network", (3, 10)),
    (Sector.CARE_PROVIDER, "{} Home Care", (1, 4)),
    (Sector.CARE_PROVIDER, "{} Care Homes Group", (1, 5)),
    (Sector.VCSE, "{} Voluntary Action", (1, 4)),
    (Sector.VCSE, "{} Carers Centre", (1, 3)),
    (Sector.HEALTHWATCH, "Healthwatch {}", (1, 2)),
]
COMMENTS = [
    "Agendas are packed, so the voluntary sector often gets the last five minutes.",
    "Each of us holds data in our own systems. It is hard to get a shared picture.",
    "Decisions still feel like they are made before the meeting, by the bigger partners.",
    "The shared vision was agreed at the away day and is used in every business case.",
    "We tried a joint discharge team this year and learnt a lot from what did not work.",
    "Staff turnover means the relationships have to be built again every few months.",
    "Budgets are still set separately, which makes joint commissioning slow.",
    "Residents' voices are heard at the board through Healthwatch and the carers' forum.",
]


class Instrument:
    def __init__(self):
        self.instrument = current()
        self.sections = list(Section.objects.filter(instrument=self.instrument))
        self.questions = list(Question.objects.filter(instrument=self.instrument))
        self.by_score = {o.score: o for o in Option.objects.filter(instrument=self.instrument)}


def make_partnership(name: str, level: str, organisations: int, rng: random.Random):
    partnership = Partnership.objects.create(name=name, level=level)
    place = name.split()[0]
    orgs = []
    for index in range(organisations):
        sector, pattern, size = KINDS[index % len(KINDS)]
        suffix = "" if index < len(KINDS) else f" {index // len(KINDS) + 1}"
        orgs.append(
            (
                Organisation(name=pattern.format(place) + suffix, sector=sector),
                rng.randint(*size),
            )
        )
    Organisation.objects.bulk_create([org for org, _ in orgs])
    Partner.objects.bulk_create(Partner(partnership=partnership, organisation=o) for o, _ in orgs)
    return partnership, orgs


def fill_round(
    round_: Round,
    people: list[tuple[Organisation, int]],
    inst: Instrument,
    culture: list[float],
    rng: random.Random,
    *,
    drafts: float = 0.0,
) -> int:
    """Insert `people` as (organisation, how many) responses with answers; returns how many."""
    offsets = {org.pk: rng.uniform(-0.6, 0.6) for org, _ in people}
    flat = [org for org, n in people for _ in range(n)]
    sent_window = max(1, (round_.closes_on - round_.opens_on).days) * 86400
    opened = timezone.make_aware(datetime.datetime.combine(round_.opens_on, datetime.time(9)))
    for first in range(0, len(flat), BATCH):
        chunk = flat[first : first + BATCH]
        links = Invitation.objects.bulk_create(
            Invitation(round=round_, organisation=org, token_hash=secrets.token_hex(32))
            for org in chunk
        )
        responses = []
        for link in links:
            draft = rng.random() < drafts
            submitted_at = (
                None if draft else opened + datetime.timedelta(seconds=rng.randrange(sent_window))
            )
            responses.append(
                Response(
                    round=round_,
                    invitation=link,
                    organisation_id=link.organisation_id,
                    state=Response.State.DRAFT if draft else Response.State.SUBMITTED,
                    submitted_at=submitted_at,
                )
            )
        responses = Response.objects.bulk_create(responses)
        answers, comments = [], []
        for response in responses:
            person = rng.gauss(0, 0.5)
            # A draft stops part-way through; a sent response answers every question.
            pages = rng.randint(1, 5) if response.state == Response.State.DRAFT else 6
            for position, section in enumerate(inst.sections[:pages]):
                base = culture[position] + offsets[response.organisation_id] + person
                for question in inst.questions:
                    if question.section_id == section.pk:
                        value = min(3, max(0, round(base + rng.gauss(0, 0.6))))
                        answers.append(
                            Answer(
                                response_id=response.pk,
                                question_id=question.pk,
                                option_id=inst.by_score[value].pk,
                            )
                        )
                if rng.random() < 0.02:
                    comments.append(
                        Comment(
                            response_id=response.pk,
                            section_id=section.pk,
                            text=rng.choice(COMMENTS),
                        )
                    )
        Answer.objects.bulk_create(answers, batch_size=10000)
        Comment.objects.bulk_create(comments, batch_size=5000)
    Response.objects.filter(round=round_).update(started_at=opened, updated_at=opened)
    rebuild_tally(round_)  # the results read the tally that submit() keeps; count it once here
    return len(flat)


def rounds_for(partnership, inst, today, count, mode_for):
    """`count` rounds six months apart, the latest open now, the others closed."""
    rounds = []
    for back in range(count - 1, -1, -1):
        opens = today - datetime.timedelta(days=182 * back + 10)
        closes = opens + datetime.timedelta(days=28)
        is_open = back == 0
        season = "Spring" if opens.month < 7 else "Autumn"
        rounds.append(
            Round.objects.create(
                partnership=partnership,
                instrument=inst.instrument,
                title=f"{season} {opens.year}",
                mode=mode_for(back),
                status=Status.OPEN if is_open else Status.CLOSED,
                opens_on=opens,
                closes_on=max(closes, today + datetime.timedelta(days=20)) if is_open else closes,
                closed_at=None
                if is_open
                else timezone.make_aware(datetime.datetime.combine(closes, datetime.time(17))),
            )
        )
    return rounds


def background(total: int, inst: Instrument, rng: random.Random, log) -> dict:
    today = timezone.localdate()
    made = {"partnerships": 0, "rounds": 0, "responses": 0}
    number = 0
    while made["responses"] < total:
        place = PLACES[number % len(PLACES)] + ("" if number < len(PLACES) else f" {number}")
        number += 1
        with transaction.atomic():
            partnership, orgs = make_partnership(
                f"{place} Place Partnership", Level.PLACE, rng.randint(5, 20), rng
            )
            culture = [rng.uniform(0.9, 2.1) for _ in inst.sections]
            # One partnership in six answers organisationally (one response from each partner).
            organisational = rng.random() < 1 / 6
            rounds = rounds_for(
                partnership,
                inst,
                today,
                ROUNDS,
                lambda _, o=organisational: Mode.ORGANISATIONAL if o else Mode.INDIVIDUAL,
            )
            for index, round_ in enumerate(rounds):
                improving = [c + 0.04 * index for c in culture]
                if organisational:
                    people = [(org, 1) for org, _ in orgs if rng.random() < 0.9]
                else:
                    people = [(org, max(1, round(n * rng.uniform(0.6, 1.1)))) for org, n in orgs]
                room = total - made["responses"]
                if room <= 0:
                    round_.delete()
                    continue
                people = _trim(people, room)
                made["responses"] += fill_round(
                    round_, people, inst, improving, rng, drafts=0.1 if round_.is_open else 0
                )
                made["rounds"] += 1
        made["partnerships"] += 1
        log(f"background: {made['responses']:,} of {total:,} responses")
    return made


def _trim(people, room):
    trimmed = []
    for org, n in people:
        if room <= 0:
            break
        trimmed.append((org, min(n, room)))
        room -= min(n, room)
    return trimmed


def large(size: int, inst: Instrument, rng: random.Random, log) -> int:
    """A system-wide partnership whose latest round has exactly `size` sent responses."""
    today = timezone.localdate()
    with transaction.atomic():
        partnership, orgs = make_partnership(f"Largeshire {size:,} System", Level.SYSTEM, 40, rng)
        culture = [rng.uniform(1.0, 2.0) for _ in inst.sections]
        previous, latest = rounds_for(partnership, inst, today, 2, lambda _: Mode.INDIVIDUAL)
        latest.status, latest.closed_at = Status.CLOSED, timezone.now()
        latest.save()
        weights = [n for _, n in orgs]
        for round_, wanted in ((previous, max(1, size // 10)), (latest, size)):
            shares = [max(1, int(wanted * w / sum(weights))) for w in weights]
            shares[0] += wanted - sum(shares)  # the largest trust takes the rounding
            fill_round(
                round_,
                [(org, n) for (org, _), n in zip(orgs, shares, strict=True)],
                inst,
                culture,
                rng,
            )
    log(f"large round of {size:,} responses: round {latest.pk}")
    return latest.pk


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--background", type=int, default=10000, help="responses in history")
    parser.add_argument(
        "--large",
        default="1000,10000,100000",
        help="sizes of the large rounds, comma-separated (empty for none)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.large.split(",") if s.strip()]

    def log(message):
        print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    rng = random.Random(args.seed)
    load_all()
    inst = Instrument()
    summary = {"background": background(args.background, inst, rng, log)}
    summary["large"] = {str(size): large(size, inst, rng, log) for size in sizes}
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary


if __name__ == "__main__":
    print(json.dumps(main()))
