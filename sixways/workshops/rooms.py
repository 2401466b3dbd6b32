"""What a workshop in a round where people answer for themselves showed its room, against the
round's own answers, for the results' privacy rule 7 (results/privacy.py, docs/adr/0013).

Registered with the results' loader (results.queries.SHOWN_ELSEWHERE) in apps.py, so results
never names workshops. Two queries for any number of rounds, and none beyond the first when
no workshop showed anything in them.
"""

from django.db.models import Count, Exists, OuterRef, Q, Sum

from sixways.results.privacy import Room
from sixways.rounds.models import Answer, Mode, Response, Tally

from .models import Item, Vote


def rooms(round_ids: list[int]) -> dict[int, dict[int, Room]]:
    """For each round, each question a workshop showed its room: the votes the room saw
    counted, those whose holder sent the same answer through their own link, and the round's
    sent answers to it."""
    shown = Exists(
        Item.objects.filter(
            workshop=OuterRef("seat__workshop"), question=OuterRef("question"), ever_revealed=True
        )
    )
    same = Exists(
        Answer.objects.filter(
            response__invitation=OuterRef("seat__invitation"),
            response__state=Response.State.SUBMITTED,
            question=OuterRef("question"),
            option=OuterRef("option"),
        )
    )
    votes = list(
        Vote.objects.filter(
            seat__workshop__round_id__in=round_ids,
            seat__workshop__round__mode=Mode.INDIVIDUAL,
            after_reveal=False,
        )
        .filter(shown)
        .annotate(same=same)
        .values_list("seat__workshop__round_id", "question_id")
        .annotate(seen=Count("id"), matched=Count("id", filter=Q(same=True)))
        .order_by()
    )
    if not votes:
        return {}
    sent = {
        (round_id, question): n
        for round_id, question, n in Tally.objects.filter(
            round_id__in={round_id for round_id, *_ in votes}
        )
        .values_list("round_id", "question_id")
        .annotate(n=Sum("count"))
        .order_by()
    }
    found: dict[int, dict[int, Room]] = {}
    for round_id, question, seen, matched in votes:
        room = Room(shown=seen, matched=matched, sent=sent.get((round_id, question), 0))
        found.setdefault(round_id, {})[question] = room
    return found
