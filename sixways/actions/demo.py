"""The demo's action plan: what the demo partnership agreed after its spring round, one action
done and one still going with a new date, so the open autumn round starts from a review and
its results can show what came of them."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sixways.instruments.models import Section
from sixways.partnerships.models import Organisation, Partnership
from sixways.rounds import demo as rounds_demo
from sixways.rounds.models import Round

from .models import Action, ActionUpdate, Status


@transaction.atomic
def create_demo() -> Partnership:
    """The rounds' demo (sixways/rounds/demo.py) and, once, the spring round's actions."""
    partnership = rounds_demo.create_demo()
    spring = Round.objects.get(partnership=partnership, title="Spring 2026")
    if spring.actions.exists():
        return partnership
    facilitator = get_user_model().objects.get(username=rounds_demo.FACILITATOR_EMAIL)
    sections = {s.key: s for s in Section.objects.filter(instrument_id=spring.instrument_id)}
    agreed_at = spring.closed_at + datetime.timedelta(days=14)
    today = timezone.localdate()

    def add(key, title, done_looks_like, owner_name, organisation, due_on, owner=None):
        action = Action.objects.create(
            partnership=partnership,
            round=spring,
            section=sections[key],
            title=title,
            done_looks_like=done_looks_like,
            owner_name=owner_name,
            owner=owner,
            organisation=Organisation.objects.get(name=organisation),
            due_on=due_on,
            status=Status.AGREED,
            created_by=facilitator,
            created_at=agreed_at,
        )
        ActionUpdate.objects.create(
            action=action, status=Status.AGREED, note="Added", user=facilitator, at=agreed_at
        )
        return action

    shared = add(
        "5",
        "Build one shared picture of waiting times for the partnership board",
        "The board sees the same waiting-times dashboard at every meeting",
        "Head of business intelligence",
        "Northdale and Wyke Integrated Care Board",
        today - datetime.timedelta(days=40),
    )
    Action.objects.filter(pk=shared.pk).update(status=Status.DONE)
    ActionUpdate.objects.create(
        action=shared,
        status=Status.DONE,
        note="The dashboard went to the board in October and has been used at every meeting since.",
        user=facilitator,
        at=timezone.now() - datetime.timedelta(days=35),
    )
    agenda = add(
        "1",
        "Give the voluntary sector the first item on every board agenda",
        "Every agenda since the spring round starts with a voluntary sector item",
        "Sam Okafor, partnership manager",
        "Northdale Voluntary Action",
        today - datetime.timedelta(days=20),
        owner=facilitator,
    )
    later = today + datetime.timedelta(days=60)
    Action.objects.filter(pk=agenda.pk).update(status=Status.IN_PROGRESS, due_on=later)
    ActionUpdate.objects.create(
        action=agenda,
        status=Status.IN_PROGRESS,
        note="Two of the last four agendas did this. The chair has agreed to make it the rule.",
        due_on=later,
        user=facilitator,
        at=timezone.now() - datetime.timedelta(days=15),
    )
    return partnership
