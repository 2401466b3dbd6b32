"""Chart geometry for server-rendered SVG: stacked answer bars, heatmaps and run charts.

Plain Python with no Django imports: these functions only place shapes and words. The Jinja
macros in templates/results/_charts.jinja draw them, so the same charts appear on the pages,
in print and in the PDF, and work without JavaScript.

Every chart can be read without colour: answers are told apart by pattern as well as shade and
by their fixed order, every segment wide enough carries its percentage, heatmap cells carry
their score, and each chart sits beside a table of the same figures. There are no red, amber
or green ratings: the answer scale is ordinal, so the split is shown beside every average.
"""

import itertools
import math
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .scoring import rounded

WIDTH = 640
TEXT = "#212b32"
WHITE = "#ffffff"
GREY = "#4c6272"


@dataclass(frozen=True)
class OptionStyle:
    """How one answer is drawn: a shade, a pattern over it, and a text colour that contrasts."""

    fill: str
    ink: str  # the pattern's lines or dots
    pattern: str  # solid, stripes, dots or cross
    text: str


# Most to least, in the instrument's order: dark to light, each with its own pattern.
OPTION_STYLES = [
    OptionStyle(fill="#003087", ink="#003087", pattern="solid", text=WHITE),
    OptionStyle(fill="#005eb8", ink="#003087", pattern="stripes", text=WHITE),
    OptionStyle(fill="#a6c8e6", ink="#005eb8", pattern="dots", text=TEXT),
    OptionStyle(fill="#f0f4f5", ink="#768692", pattern="cross", text=TEXT),
]

# Heatmap shades for scores 0 to 3 in half-point steps: one hue, light to dark.
HEAT_SHADES = ["#f0f4f5", "#d2e3f3", "#a6c8e6", "#41719c", "#1d4f91", "#003087"]
HEAT_TEXT = [TEXT, TEXT, TEXT, WHITE, WHITE, WHITE]


def option_style(position: int) -> OptionStyle:
    return OPTION_STYLES[position % len(OPTION_STYLES)]


def text_width(text: str, size: int = 14) -> float:
    """A rough width for laying out labels: about 0.55 em per character in a sans font."""
    return len(text) * size * 0.55


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def percent(count: int, total: int) -> Fraction:
    return Fraction(count * 100, total) if total else Fraction(0)


def split_text(split: dict[str, int], labels: dict[str, str]) -> str:
    """An answer split in words, for a chart's description: Yes 10%, Sometimes 60%, …"""
    total = sum(split.values())
    if not total:
        return "no answers"
    return ", ".join(
        f"{labels[key]} {float(percent(split.get(key, 0), total)):.0f}%" for key in labels
    )


@dataclass(frozen=True)
class Pattern:
    id: str
    style: OptionStyle


@dataclass(frozen=True)
class LegendItem:
    x: float
    label: str
    colour: str
    pattern: str


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str  # a solid shade behind the words
    pattern: str  # a patterned strip along the bottom, "" for the top answer's plain shade
    text: str  # "Sometimes 60%", "60%", or "" when the segment is too narrow to hold it
    text_colour: str
    label: str  # the answer and its count, for the segment's own title


@dataclass(frozen=True)
class Bar:
    label: str
    note: str
    label_y: float
    y: float
    segments: list[Segment]
    empty: bool


@dataclass
class StackedBars:
    id: str
    title: str
    description: str
    height: float
    bars: list[Bar]
    patterns: list[Pattern]
    legend: list[LegendItem]
    ticks: list[tuple[float, str]]
    axis_y: float
    width: int = WIDTH
    bar_height: int = 26
    strip_height: int = 7  # the patterned strip along the bottom of each segment


def _legend(chart_id: str, labels: Sequence[tuple[str, str]]) -> tuple[list[Pattern], list]:
    patterns, legend, x = [], [], 0.0
    for position, (_key, label) in enumerate(labels):
        pattern = Pattern(id=f"{chart_id}-answer-{position}", style=option_style(position))
        patterns.append(pattern)
        style = pattern.style
        legend.append(
            LegendItem(
                x=x,
                label=label,
                colour=style.fill,
                pattern="" if style.pattern == "solid" else f"url(#{pattern.id})",
            )
        )
        x += 22 + text_width(label, 13) + 18
    return patterns, legend


def stacked_bars(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, dict[str, int], str]],
    options: Sequence[tuple[str, str]],
) -> StackedBars:
    """One 100% bar per row, split by answer.

    rows: (label, {option key: count}, note such as "Score 1.86 out of 3").
    options: (key, label) from most to least.
    """
    patterns, legend = _legend(chart_id, options)
    labels = dict(options)
    top, label_h, bar_h, gap = 34, 18, 26, 12
    bars, descriptions = [], []
    for index, (label, split, note) in enumerate(rows):
        label_y = top + index * (label_h + bar_h + gap) + 14
        y = label_y + 6
        total = sum(split.get(key, 0) for key in labels)
        segments, x = [], 0.0
        for position, (key, option_label) in enumerate(options):
            count = split.get(key, 0)
            if not count:
                continue
            share = percent(count, total)
            width = WIDTH * float(share) / 100
            # Name the answer inside its segment where it fits, so the bar reads without colour.
            named = f"{option_label} {float(share):.0f}%"
            if width >= text_width(named, 13) + 10:
                text = named
            elif width >= 34:
                text = f"{float(share):.0f}%"
            else:
                text = ""
            style = option_style(position)
            segments.append(
                Segment(
                    x=x,
                    width=width,
                    colour=style.fill,
                    pattern="" if style.pattern == "solid" else f"url(#{patterns[position].id})",
                    text=text,
                    text_colour=option_style(position).text,
                    label=f"{option_label}: {count} ({float(share):.0f}%)",
                )
            )
            x += width
        bars.append(
            Bar(label=label, note=note, label_y=label_y, y=y, segments=segments, empty=not total)
        )
        descriptions.append(f"{label}: {split_text(split, labels)}" + (f"; {note}" if note else ""))
    axis_y = top + len(rows) * (label_h + bar_h + gap)
    ticks = [(WIDTH * p / 100, f"{p}%") for p in (0, 25, 50, 75, 100)]
    return StackedBars(
        id=chart_id,
        title=title,
        description=". ".join(descriptions) + ".",
        height=axis_y + 22,
        bars=bars,
        patterns=patterns,
        legend=legend,
        ticks=ticks,
        axis_y=axis_y,
    )


# --- Heatmap ------------------------------------------------------------------------------


def heat_shade(score: Fraction | float, maximum: int = 3) -> tuple[str, str]:
    """(fill, text colour) for a score: six equal steps from 0 to the maximum."""
    steps = len(HEAT_SHADES)
    index = min(int(Fraction(score) * steps / maximum), steps - 1) if maximum else 0
    return HEAT_SHADES[max(index, 0)], HEAT_TEXT[max(index, 0)]


@dataclass(frozen=True)
class HeatCell:
    x: float
    y: float
    fill: str
    text: str
    text_colour: str
    hidden: bool


@dataclass(frozen=True)
class HeatRow:
    label: str
    y: float
    cells: list[HeatCell]
    strong: bool = False


@dataclass
class Heatmap:
    id: str
    title: str
    description: str
    columns: list[tuple[float, str]]
    rows: list[HeatRow]
    height: float
    legend: list[tuple[float, str, str]]
    legend_y: float
    cell_width: int = 56
    cell_height: int = 30
    label_width: int = 296
    width: int = WIDTH


def heatmap(
    chart_id: str,
    title: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[tuple[str, dict[str, Fraction] | None, bool]],
    maximum: int = 3,
) -> Heatmap:
    """Rows by behaviours, each cell shaded by score and labelled with it.

    columns: (behaviour key, short title). rows: (label, {key: score} or None when hidden,
    whether to draw the label in bold).
    """
    label_width, cell_w, cell_h, top = 296, 56, 30, 30
    placed_columns = [
        (label_width + i * cell_w + cell_w / 2, key) for i, (key, _title) in enumerate(columns)
    ]
    placed_rows, descriptions = [], []
    for index, (label, scores, strong) in enumerate(rows):
        y = top + index * (cell_h + 4)
        cells = []
        for i, (key, _title) in enumerate(columns):
            x = label_width + i * cell_w
            value = None if scores is None else scores.get(key)
            if value is None:
                cells.append(HeatCell(x, y, WHITE, "Hidden" if scores is None else "–", GREY, True))
            else:
                fill, ink = heat_shade(value, maximum)
                cells.append(HeatCell(x, y, fill, rounded(value, 2), ink, False))
        placed_rows.append(HeatRow(label=shorten(label, 40), y=y, cells=cells, strong=strong))
        if scores is None:
            descriptions.append(f"{label}: hidden")
        else:
            figures = ", ".join(
                f"{key} {rounded(scores[key], 2)}" for key, _ in columns if key in scores
            )
            descriptions.append(f"{label}: {figures}")
    legend_y = top + len(rows) * (cell_h + 4) + 14
    legend, x = [], 0.0
    for step, shade in enumerate(HEAT_SHADES):
        low = Fraction(maximum * step, len(HEAT_SHADES))
        high = Fraction(maximum * (step + 1), len(HEAT_SHADES))
        text = f"{rounded(low, 1)} to {rounded(high, 1)}"
        legend.append((x, text, shade))
        x += 22 + text_width(text, 12) + 12
    key_text = "; ".join(f"{key} {name}" for key, name in columns)
    return Heatmap(
        id=chart_id,
        title=title,
        description=f"Behaviours: {key_text}. " + ". ".join(descriptions) + ".",
        columns=placed_columns,
        rows=placed_rows,
        height=legend_y + 28,
        legend=legend,
        legend_y=legend_y,
    )


# --- Run chart ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunPoint:
    x: float
    y: float | None  # None: no figure shown for this round
    value: str
    label: str
    version: int
    show_label: bool
    provisional: bool = False  # a round still open: its score may change


@dataclass
class RunChart:
    id: str
    title: str
    description: str
    points: list[RunPoint]
    lines: list[tuple[float, float, float, float, bool]]  # the last: dashed, to an open round
    medians: list[tuple[float, float, float, str]]
    breaks: list[tuple[float, str]]
    gridlines: list[tuple[float, str]]
    x_labels: list[tuple[float, str, str]]
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    height: float = 230
    width: int = WIDTH


def run_chart(
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, int, Fraction | None]],
    scale: Sequence[tuple[int, str]],
    maximum: int = 3,
    provisional: Collection[int] = (),
) -> RunChart:
    """A behaviour's score round by round, oldest first.

    points: (round title, instrument version, score or None when not shown).
    provisional: the indexes of points from rounds still open, drawn hollow and joined by a
    dashed line, and left out of the median: their scores may still change.
    scale: (score, answer label), to label the vertical axis in the answers' own words.
    A line joins rounds only within one instrument version: scores from different wordings
    are not comparable, so a version change breaks the line and is marked.
    """
    left, right, top, bottom = 130.0, WIDTH - 24.0, 18.0, 150.0
    count = len(points)
    spacing = (right - left) / count if count else 0
    every = max(1, math.ceil(count / 8))  # label at most eight rounds so the words fit

    def x_of(index: int) -> float:
        return left + spacing * (index + 0.5)

    def y_of(value: Fraction) -> float:
        return bottom - (bottom - top) * float(value) / maximum

    placed = []
    for index, (label, version, value) in enumerate(points):
        placed.append(
            RunPoint(
                x=x_of(index),
                y=None if value is None else y_of(value),
                value="Not shown" if value is None else rounded(value, 2),
                label=shorten(label, 18),
                version=version,
                show_label=spacing >= 44,
                provisional=index in provisional,
            )
        )
    lines = []
    for before, after in itertools.pairwise(placed):
        if before.y is not None and after.y is not None and before.version == after.version:
            dashed = before.provisional or after.provisional
            lines.append((before.x, before.y, after.x, after.y, dashed))
    breaks = [
        ((before.x + after.x) / 2, f"Version {after.version}")
        for before, after in itertools.pairwise(placed)
        if before.version != after.version
    ]
    medians = []
    runs: list[list[int]] = []
    for index, (_, version, _) in enumerate(points):
        if runs and points[runs[-1][-1]][1] == version:
            runs[-1].append(index)
        else:
            runs.append([index])
    for run in runs:
        values = [points[i][2] for i in run if points[i][2] is not None and i not in provisional]
        # A median of one or two rounds says nothing the points do not.
        if len(values) >= 3:
            middle = Fraction(statistics.median(values))
            start, end = x_of(run[0]) - spacing * 0.4, x_of(run[-1]) + spacing * 0.4
            medians.append((start, end, y_of(middle), rounded(middle, 2)))
    gridlines = [(y_of(Fraction(score)), f"{label} ({score})") for score, label in scale]
    x_labels = [
        (p.x, p.label, f"Version {p.version}") for i, p in enumerate(placed) if i % every == 0
    ]
    described = "; ".join(
        f"{label} (version {version}{', still open' if i in provisional else ''}): "
        + ("not shown" if value is None else rounded(value, 2))
        for i, (label, version, value) in enumerate(points)
    )
    return RunChart(
        id=chart_id,
        title=title,
        description=f"Score out of {maximum} in each round, oldest first. {described}.",
        points=placed,
        lines=lines,
        medians=medians,
        breaks=breaks,
        gridlines=gridlines,
        x_labels=x_labels,
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
    )


@dataclass
class ChartSet:
    """The charts for one page, built once in the view."""

    scores: StackedBars | None = None
    questions: dict[str, StackedBars] = field(default_factory=dict)
    gap: StackedBars | None = None
    organisations: Heatmap | None = None
    sectors: Heatmap | None = None
    trend: list[RunChart] = field(default_factory=list)
