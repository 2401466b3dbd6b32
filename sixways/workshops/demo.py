"""The demo's finished workshop: a collective round the board answered together a year ago, its
first look at how partners work together, eight people voting on their phones, so the agreed answers are shown beside people's own (and
where the room's agreement hid its doubts). Built through the workshop's own steps."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sixways.actions import demo as actions_demo
from sixways.instruments.shape import shape
from sixways.partnerships.models import Organisation, Partnership
from sixways.rounds import demo as rounds_demo
from sixways.rounds.models import Mode, Round, Status

from . import live
from .models import Seat, Workshop

TITLE = "Board workshop, autumn 2025"
# Each seat's answer to every question of a behaviour, as in rounds/demo.py: 3 Yes … 0 No.
SEATS = [
    ("Northdale and Wyke Integrated Care Board", "332323"),
    ("Northdale and Wyke Integrated Care Board", "322322"),
    ("Northdale Hospitals NHS Foundation Trust", "221212"),
    ("Northdale Hospitals NHS Foundation Trust", "322212"),
    ("Northdale Council", "111011"),
    ("Northdale Council", "212011"),
    ("Northdale Voluntary Action", "202110"),
    (None, "212111"),
]
# What the room agreed for each behaviour: on behaviour 4, Sometimes, where half the room had
# voted Not always or No.
AGREED = "312211"


@transaction.atomic
def create_demo() -> Partnership:
    """The actions' demo (and so the rounds'), and once the finished board workshop."""
    partnership = actions_demo.create_demo()
    if Round.objects.filter(partnership=partnership, title=TITLE).exists():
        return partnership
    spring = Round.objects.get(partnership=partnership, title="Spring 2026")
    today = timezone.localdate()
    board = Round.objects.create(
        partnership=partnership,
        instrument=spring.instrument,
        title=TITLE,
        mode=Mode.COLLECTIVE,
        status=Status.OPEN,
        opens_on=today - datetime.timedelta(days=5),
        closes_on=today,
    )
    board.organisations.set(spring.organisations.all())
    facilitator = get_user_model().objects.get(username=rounds_demo.FACILITATOR_EMAIL)
    workshop = live.start(board, facilitator, Workshop.Pace.SECTION, open_actions=False)
    questions = shape(board.instrument)
    by_score = {o.score: o for o in questions.options}
    seats = [
        Seat.objects.create(
            workshop=workshop,
            organisation=Organisation.objects.get(name=name) if name else None,
        )
        for name, _ in SEATS
    ]
    for section in questions.sections:
        live.open_item(workshop, section, None)
        in_section = questions.questions_in(section)
        for seat, (_, pattern) in zip(seats, SEATS, strict=True):
            score = int(pattern[section.position - 1])
            live.vote(seat, {q: by_score[score] for q in in_section})
        live.reveal(workshop)
        for question in in_section:
            version = live.agreed_version(board)
            live.agree(workshop, question, by_score[int(AGREED[section.position - 1])], version)
    live.end(workshop)
    # It ran before the spring round, and closed then.
    Round.objects.filter(pk=board.pk).update(
        status=Status.CLOSED,
        opens_on=today - datetime.timedelta(days=290),
        closes_on=today - datetime.timedelta(days=260),
        closed_at=timezone.now() - datetime.timedelta(days=260),
    )
    return partnership
