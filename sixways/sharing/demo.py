"""A board link to the demo's spring round, so a new user can open one without making it."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from sixways.rounds import demo
from sixways.rounds.models import Round

from . import links
from .models import SECTIONS, BoardLink

LABEL = "Place board, demo"


def create_demo_link() -> str:
    """The demo's board link, made on the first run (a snapshot of the spring round)."""
    spring = Round.objects.get(partnership__name=demo.PARTNERSHIP, title="Spring 2026")
    link = BoardLink.objects.filter(round=spring, label=LABEL).first()
    if link is None:
        facilitator = get_user_model().objects.get(username=demo.FACILITATOR_EMAIL)
        link, _ = links.create(
            facilitator,
            spring,
            label=LABEL,
            sections=list(SECTIONS),
            comments=False,
            downloads=True,
            snapshot=True,
            expires_at=timezone.now() + datetime.timedelta(days=365),
        )
    return link.url()
