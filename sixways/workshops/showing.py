"""What the open questions look like now, for the control page, the screen and the phones, and
the pieces every live page shares: its ETag, a 304 when nothing changed, and a short piece of
news for screen readers."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from sixways.results.charts import stacked_bars

from . import live
from .models import Workshop, normalise_code


def now_showing(workshop: Workshop, shape) -> dict:
    """What the open questions look like now, for the control page and the screen: how many
    have voted, and once shown each question's spread as a chart with its table."""
    questions = workshop.open_questions()
    seated = live.seated(workshop)
    shown = workshop.stage == Workshop.Stage.REVEALED
    counts = live.spread(workshop, questions) if shown else {}
    if shown and workshop.question is None:
        questions = live.most_divided_first(questions, counts, shape.options)
    options = [(o.key, o.label) for o in shape.options]
    chart = None
    if shown:
        chart = stacked_bars(
            f"workshop-{workshop.pk}",
            "How the room voted",
            [(q.key, dict(counts[q.pk]), "") for q in questions],
            options,
        )
    return {
        "questions": questions,
        "seated": seated,
        "voted": live.voted(workshop),
        "shown": shown,
        "counts": counts,
        "chart": chart,
        "options": shape.options,
    }


def etag(kind: str, workshop_id: int, number: int) -> str:
    return f'"{kind}-{workshop_id}-{number}"'


def room_etag(code: str) -> tuple[str, int] | None:
    """A phone's live ETag for the workshop with this code, and the workshop's id: one row."""
    row = (
        Workshop.objects.filter(code=normalise_code(code))
        .order_by("-started_at")
        .values_list("pk", "step")
        .first()
    )
    return None if row is None else (etag("room", *row), row[0])


def unchanged(request: HttpRequest, tag: str) -> HttpResponse | None:
    """A 304 when the page already has what `tag` names: nothing rendered, one row read."""
    held = request.headers.get("If-None-Match", "")
    # Compressed replies carry the ETag made weak (W/"…", by GZipMiddleware), and that is
    # what the browser sends back: it names the same state.
    if any(part.strip().removeprefix("W/") == tag for part in held.split(",")):
        return _no_store(HttpResponseNotModified(), tag)
    return None


def live_reply(reply: HttpResponse, tag: str) -> HttpResponse:
    return _no_store(reply, tag)


def _no_store(reply: HttpResponse, tag: str) -> HttpResponse:
    reply["ETag"] = tag
    # Each device asks with its own ETag; nothing in between should keep a copy.
    reply["Cache-Control"] = "no-cache, private"
    return reply


def announcement(workshop: Workshop) -> str:
    """The short news a screen reader hears when a live page changes: never the chart."""
    Stage = Workshop.Stage
    if workshop.stage == Stage.VOTING:
        if workshop.question is not None:
            return f"New question: {workshop.question.key}"
        return f"New questions: behaviour {workshop.section.key}"
    if workshop.stage == Stage.REVEALED:
        return "Results shown"
    if workshop.stage == Stage.ENDED:
        return "The workshop has ended"
    return "Waiting for the next question"
