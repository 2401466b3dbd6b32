"""Charts for a round's results and a partnership's trend, built the same way for pages, PDF
and slides. The figures come from RoundResults, so every chart shows what the tables show."""

from .charts import ChartSet, heatmap, run_chart, shorten, stacked_bars
from .rollup import Rollup
from .scoring import rounded
from .types import RoundResults, Trend

PARTNERSHIP_ROW = "Partnership (each organisation equal)"


def _score(value) -> str:
    return rounded(value, 2)


def _organisation_label(group) -> str:
    # A hidden organisation is never named beside its row, in any chart or table.
    if not group.shown:
        return "Your organisation (counted with the others)" if group.own else "Not shown"
    return group.name + (" (yours)" if group.own else "")


def round_charts(results: RoundResults) -> ChartSet:
    charts = ChartSet()
    if not results.shows_figures:
        return charts
    options = [(o.key, o.label) for o in results.options]
    if results.answers_deleted:
        # Only behaviour totals are kept: no answers to split, so the heatmaps alone.
        return _heatmaps(results, charts)
    charts.scores = stacked_bars(
        "chart-scores",
        "Answers for each behaviour",
        [
            (
                f"{b.section.key}. {b.section.short_title}",
                b.split,
                f"Score {_score(b.score)} out of {b.max_score}" if b.score is not None else "",
            )
            for b in results.behaviours
        ],
        options,
    )
    for b in results.behaviours:
        if b.score is None:
            continue
        charts.questions[b.section.key] = stacked_bars(
            f"chart-questions-{b.section.key}",
            f"Answers to each question about behaviour {b.section.key}",
            [(shorten(f"{q.key} {q.text}", 64), b.counts[q.pk], "") for q in b.questions],
            options,
        )
    if results.gap:
        gap = results.gap
        charts.gap = stacked_bars(
            "chart-gap",
            "How partners see their own organisation and their partners",
            [
                (
                    f"{gap.own_question.key} Your own organisation",
                    gap.own_split,
                    f"Average {_score(gap.own)}",
                ),
                (
                    f"{gap.partners_question.key} Your partners",
                    gap.partners_split,
                    f"Average {_score(gap.partners)}",
                ),
            ],
            options,
        )
    return _heatmaps(results, charts)


def _heatmaps(results: RoundResults, charts: ChartSet) -> ChartSet:
    columns = [(b.section.key, b.section.short_title) for b in results.behaviours]
    max_score = max(o.score for o in results.options)
    if results.organisation_results:
        rows = [(PARTNERSHIP_ROW, results.behaviour_scores, True)]
        rows += [
            (_organisation_label(o), o.scores if o.shown else None, o.own)
            for o in results.organisation_results
        ]
        charts.organisations = heatmap(
            "chart-organisations",
            "Score for each behaviour, by organisation",
            columns,
            rows,
            max_score,
        )
    if results.sector_results:
        rows = [(PARTNERSHIP_ROW, results.behaviour_scores, True)]
        rows += [(s.name, s.scores if s.shown else None, False) for s in results.sector_results]
        charts.sectors = heatmap(
            "chart-sectors", "Score for each behaviour, by sector", columns, rows, max_score
        )
    return charts


def trend_charts(trend: Trend) -> list:
    if not trend.rounds:
        return []
    scale = sorted(((o.score, o.label) for o in trend.options), reverse=True)
    maximum = max((o.score for o in trend.options), default=3)
    return [
        run_chart(
            f"chart-trend-{b.key}",
            f"{b.key}. {b.title}: score in each round",
            [(point.round.title, point.version, value) for point, value, _ in b.points],
            scale,
            maximum,
            provisional={i for i, (point, _, _) in enumerate(b.points) if point.round.is_open},
        )
        for b in trend.behaviours
    ]


def key_points(results: RoundResults) -> list[str]:
    """A few plain sentences a board can read first. Only figures the round shows."""
    if not results.shows_figures or not results.priorities:
        return []
    points = []
    lowest = results.priorities[0]
    points.append(
        f"The lowest score is for {lowest.section.key}. {lowest.section.short_title}: "
        f"{_score(lowest.score)} out of {lowest.max_score}."
    )
    highest = max(results.priorities, key=lambda b: b.score)
    if highest is not lowest:
        points.append(
            f"The highest score is for {highest.section.key}. {highest.section.short_title}: "
            f"{_score(highest.score)} out of {highest.max_score}."
        )
    differ = [b for b in results.behaviours if b.spread and b.spread.differs]
    if differ:
        names = ", ".join(f"{b.section.key}. {b.section.short_title}" for b in differ)
        points.append(
            f"Partners see {'this behaviour' if len(differ) == 1 else 'these behaviours'} "
            f"differently, with organisation scores a full answer step or more apart: {names}."
        )
    changed = [b for b in results.behaviours if b.change]
    if changed and results.previous:
        biggest = max(changed, key=lambda b: abs(b.change))
        direction = "up" if biggest.change > 0 else "down"
        points.append(
            f"The biggest change since {results.previous.title} is in {biggest.section.key}. "
            f"{biggest.section.short_title}: {direction} {_score(abs(biggest.change))}."
        )
    if results.gap and results.gap.gap:
        gap = results.gap
        way = "higher" if gap.gap > 0 else "lower"
        points.append(
            f"Partners rate their own organisation {_score(abs(gap.gap))} {way} than they rate "
            f"their partners (questions {gap.own_question.key} and {gap.partners_question.key})."
        )
    if results.individual and results.hidden_total:
        points.append(
            f"{results.hidden_total} of {results.groups_total} organisations are counted "
            "together as other organisations, so that nobody's answers can be picked out."
        )
    return points


def rollup_chart(found: Rollup):
    """The children side by side as the organisation comparison draws organisations: a
    heatmap of partnership by behaviour, a child without figures shown as hidden."""
    if not found.children or not found.sections:
        return None
    columns = [(s.key, s.short_title) for s in found.sections]
    rows = [
        (c.partnership.name, c.latest.scores if c.shown else None, False) for c in found.children
    ]
    return heatmap(
        "chart-rollup",
        f"Score for each behaviour, by partnership within {found.parent.name}",
        columns,
        rows,
    )
