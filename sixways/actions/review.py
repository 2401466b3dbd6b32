"""Reading a partnership's actions: the ones still open when a new round starts, what the
actions agreed at one round had come to by the next, and a round's whole plan for the files
results go out in. A few queries a page, whatever the plan's size."""

from collections import defaultdict

from django.db.models import Count, Max

from .models import OPEN, Action, ActionUpdate, Status


def open_actions(partnership_id: int):
    """The partnership's actions still to deliver, oldest round first, for the review that
    starts a new round."""
    return (
        Action.objects.filter(partnership_id=partnership_id, status__in=OPEN)
        .exclude(status=Status.PROPOSED)
        .select_related("round", "section", "organisation")
        .order_by("round__opens_on", "section__position", "due_on", "id")
    )


def agreed_at(round_id: int | None) -> dict[str, list[Action]]:
    """The actions agreed at a round (so not those only proposed), by behaviour key: what the
    next round's results show beside each behaviour's change."""
    found: dict[str, list[Action]] = defaultdict(list)
    if round_id is None:
        return found
    actions = (
        Action.objects.filter(round_id=round_id)
        .exclude(status=Status.PROPOSED)
        .select_related("section")
        .order_by("due_on", "id")
    )
    for action in actions:
        found[action.section.key].append(action)
    return found


def plan(round_id: int) -> list[Action]:
    """Every action of a round's plan, proposed ones too, in the plan's order, with what the
    downloads show of each: its questions, organisation and the latest update's note."""
    actions = list(
        Action.objects.filter(round_id=round_id)
        .select_related("section", "organisation")
        .prefetch_related("questions")
        .annotate(last_update=Max("updates__id"))
    )
    notes = dict(
        ActionUpdate.objects.filter(id__in=[a.last_update for a in actions]).values_list(
            "action_id", "note"
        )
    )
    for action in actions:
        action.latest_note = notes.get(action.pk, "")
    return actions


def stamp(partnership_id: int) -> str:
    """Changes whenever any of the partnership's actions does (every change adds an update), so
    a kept file that shows actions is built again after one."""
    found = ActionUpdate.objects.filter(action__partnership_id=partnership_id).aggregate(
        n=Count("id"), last=Max("id")
    )
    return f"{found['n']}-{found['last']}"
