"""Looking back at actions: the ones still open when a new round starts, and what the actions
agreed at one round had come to by the next. A few queries a page, whatever the plan's size."""

from collections import defaultdict

from .models import OPEN, Action, Status


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
