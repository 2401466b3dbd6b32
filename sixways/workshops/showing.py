"""What the open questions look like now, for the control page, the screen and the phones."""

from sixways.results.charts import stacked_bars

from . import live
from .models import Workshop


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
            [(f"{q.key} {q.text}", dict(counts[q.pk]), "") for q in questions],
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
