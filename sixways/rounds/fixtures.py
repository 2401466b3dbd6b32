"""Responses made straight in the database, for the demo and the tests: one factory, so that
each keeps the results tally as sending a response does.

Not for anything a participant does: they answer through `answering`, which checks the round
is open and saves page by page.
"""

from django.utils import timezone

from sixways.instruments.models import Option, Question, Section

from .models import Answer, Comment, Invitation, Response
from .tally import add_to_tally


def respond(
    round_,
    organisation,
    pattern: str = "333333",
    comments: dict[str, str] | None = None,
    *,
    sent: bool = True,
    shared: bool = False,
) -> Response:
    """A response from `organisation` (None for none) through a new personal link.

    `pattern` gives each behaviour's answer score, one digit per behaviour in order (3 Yes …
    0 No); a shorter pattern answers only the first behaviours, as a draft part-way through
    would. `comments` maps a behaviour's key to its comment. `sent=False` leaves it a draft;
    `shared` makes its link come from the organisation's shareable link.
    """
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
        state=Response.State.SUBMITTED if sent else Response.State.DRAFT,
        submitted_at=timezone.now() if sent else None,
    )
    options = {o.score: o for o in Option.objects.filter(instrument_id=round_.instrument_id)}
    sections = list(Section.objects.filter(instrument_id=round_.instrument_id))
    score = {s.pk: int(digit) for s, digit in zip(sections, pattern, strict=False)}
    Answer.objects.bulk_create(
        Answer(response=response, question=q, option=options[score[q.section_id]])
        for q in Question.objects.filter(instrument_id=round_.instrument_id)
        if q.section_id in score
    )
    by_key = {s.key: s for s in sections}
    Comment.objects.bulk_create(
        Comment(response=response, section=by_key[key], text=text)
        for key, text in (comments or {}).items()
    )
    if sent:
        add_to_tally(response)
    return response
