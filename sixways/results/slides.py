"""A PowerPoint summary with native charts, so people can restyle and edit them.

Every chart also carries alternative text with its figures, answers are told apart by pattern
as well as shade, and the slides show only what the results pages show. Names and titles go
in through xml_safe: python-pptx refuses characters XML cannot hold, and text saved before
the forms refused them must not stop the download.
"""

import io

from django.utils import formats
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_PATTERN
from pptx.util import Emu, Inches, Pt

from sixways.design.text import plural, xml_safe

from .charts import heat_shade, split_text
from .exports import neutralise
from .presenters import PARTNERSHIP_ROW
from .scoring import rounded
from .types import RoundResults, Trend

WIDE, HIGH = Inches(13.333), Inches(7.5)
DARK = RGBColor.from_string("212B32")
NHS_BLUE = RGBColor.from_string("005EB8")

# Most to least: shade, pattern and the pattern's second colour, as on the pages.
OPTION_FILLS = [
    ("003087", None, None),
    ("005EB8", MSO_PATTERN.WIDE_UPWARD_DIAGONAL, "003087"),
    ("A6C8E6", MSO_PATTERN.PERCENT_20, "005EB8"),
    ("F0F4F5", MSO_PATTERN.SMALL_GRID, "768692"),
]
LINE_COLOURS = ["003087", "005EB8", "41B6E6", "4C6272", "768692", "AE2573"]
LINE_MARKERS = [
    XL_MARKER_STYLE.CIRCLE,
    XL_MARKER_STYLE.SQUARE,
    XL_MARKER_STYLE.TRIANGLE,
    XL_MARKER_STYLE.DIAMOND,
    XL_MARKER_STYLE.X,
    XL_MARKER_STYLE.PLUS,
]


def _score(value) -> str:
    return rounded(value, 2)


def _label(text: str) -> str:
    # Chart labels are stored in the chart's embedded workbook: keep them from being formulas.
    return xml_safe(neutralise(text))


def _alt_text(frame, text: str) -> None:
    frame._element.nvGraphicFramePr.cNvPr.set("descr", text)


def _title_slide(prs, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    slide.shapes.title.text = title
    slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(30)
    return slide


def _text_box(slide, left, top, width, height, lines: list[str], size: int = 18):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = xml_safe(line)
        paragraph.font.size = Pt(size)
        paragraph.font.color.rgb = DARK
        paragraph.space_after = Pt(8)
    return box


def _style_answers(chart, count: int) -> None:
    for index, series in enumerate(chart.plots[0].series):
        colour, pattern, ink = OPTION_FILLS[index % len(OPTION_FILLS)]
        fill = series.format.fill
        if pattern is None:
            fill.solid()
            fill.fore_color.rgb = RGBColor.from_string(colour)
        else:
            fill.patterned()
            fill.pattern = pattern
            fill.fore_color.rgb = RGBColor.from_string(ink)
            fill.back_color.rgb = RGBColor.from_string(colour)
        labels = series.data_labels
        labels.number_format = "0%"
        labels.number_format_is_linked = False
        labels.font.size = Pt(11)
        labels.font.bold = True
        labels.font.color.rgb = RGBColor.from_string("FFFFFF" if index < 2 else "212B32")


def _answer_chart(slide, categories, splits, options, top, height, description):
    data = CategoryChartData(number_format="0%")
    data.categories = [_label(c) for c in categories]
    for option in options:
        values = []
        for split in splits:
            total = sum(split.values())
            values.append(split.get(option.key, 0) / total if total else 0)
        data.add_series(_label(option.label), values)
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.BAR_STACKED_100, Inches(0.5), top, WIDE - Inches(1), height, data
    )
    chart = frame.chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.TOP
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(12)
    chart.plots[0].has_data_labels = True
    chart.plots[0].gap_width = 60
    chart.plots[0].overlap = 100
    chart.category_axis.reverse_order = True  # first behaviour at the top
    chart.category_axis.tick_labels.font.size = Pt(12)
    chart.value_axis.tick_labels.font.size = Pt(10)
    chart.value_axis.has_major_gridlines = False
    _style_answers(chart, len(options))
    _alt_text(frame, description)
    return frame


def _table(slide, rows: list[list[str]], top, widths: list[float], height=None, font=12):
    shape = slide.shapes.add_table(
        len(rows),
        len(rows[0]),
        Inches(0.5),
        top,
        Inches(sum(widths)),
        height or Inches(0.4 * len(rows)),
    )
    table = shape.table
    for col, width in enumerate(widths):
        table.columns[col].width = Inches(width)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = xml_safe(value)
            for paragraph in cell.text_frame.paragraphs:
                paragraph.font.size = Pt(font)
                paragraph.font.bold = r == 0
    return table


def _answers_slide(prs, results, behaviours, labels) -> None:
    slide = _title_slide(prs, "Answers for each behaviour")
    options = results.options
    _answer_chart(
        slide,
        labels,
        [b.split for b in behaviours],
        options,
        Inches(1.3),
        Inches(5.9),
        "Answers for each behaviour, with the score out of 3 in brackets. "
        + ". ".join(
            f"{label}: {split_text(b.split, {o.key: o.label for o in options})}"
            for label, b in zip(labels, behaviours, strict=True)
        ),
    )


# Rows of actions one slide's table holds; a longer plan says how many more the service has.
ACTIONS_ON_A_SLIDE = 8


def _actions_slide(prs, results, plan) -> None:
    """The actions agreed at this round (actions.review.agreed_at), behaviour by behaviour,
    with where each stands in words."""
    actions = [a for b in results.behaviours for a in plan.get(b.section.key, [])]
    slide = _title_slide(prs, "Action plan")
    rows = [["Behaviour", "Action", "Who", "Due", "Where it stands"]]
    for action in actions[:ACTIONS_ON_A_SLIDE]:
        rows.append(
            [
                action.section.key,
                action.title,
                action.owner_name,
                formats.date_format(action.due_on, "j F Y"),
                action.get_status_display(),
            ]
        )
    _table(slide, rows, Inches(1.3), [1.3, 5.3, 2.6, 1.7, 1.4], font=12)
    if len(actions) > ACTIONS_ON_A_SLIDE:
        more = len(actions) - ACTIONS_ON_A_SLIDE
        _text_box(
            slide,
            Inches(0.5),
            Inches(6.6),
            WIDE - Inches(1),
            Inches(0.6),
            [f"And {more} more on the round's action plan in Six Ways."],
            14,
        )


def _layers_slide(prs, layers) -> None:
    """The agreed scores beside people's own, behaviour by behaviour, and how many agreed
    answers may hide disagreement."""
    slide = _title_slide(prs, "Agreed answers beside people's own")
    rows = [["Behaviour", "Agreed", "People's own", "Gap"]]
    for b in layers.behaviours:
        if b.gap is None:
            rows.append([f"{b.section.key}. {b.section.short_title}", "Not shown", "", ""])
        else:
            sign = "+" if b.gap > 0 else ""
            rows.append(
                [
                    f"{b.section.key}. {b.section.short_title}",
                    _score(b.agreed),
                    _score(b.individual),
                    f"{sign}{_score(b.gap)}",
                ]
            )
    _table(slide, rows, Inches(1.3), [6.3, 2, 2, 2], font=14)
    masked = ", ".join(q.question.key for q in layers.masked) or "none"
    _text_box(
        slide,
        Inches(0.5),
        Inches(5.0),
        WIDE - Inches(1),
        Inches(1.6),
        [
            f"{plural(layers.people, 'person', 'people')} answered on their own. Agreed answers "
            f"that may hide disagreement: {masked}.",
        ],
        16,
    )


def summary_slides(
    results: RoundResults, key_points: list[str], trend: Trend | None, plan=None, layers=None
) -> bytes:
    """The summary deck; `plan` is the actions agreed at the round, by behaviour key
    (actions.review.agreed_at), given a slide of their own when there are any."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDE, HIGH
    round_ = results.round
    options = results.options

    # 1. Title
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = xml_safe(f"Culture for integration: {round_.title}")
    subtitle = slide.placeholders[1]
    count = plural(results.responses, "response")
    if round_.mode != "collective":
        count += f" from {results.organisations} organisations"
    subtitle.text = xml_safe(f"{round_.partnership.name}\n{count}")
    for placeholder in (slide.shapes.title, subtitle):
        placeholder.width = WIDE - Inches(1)
        placeholder.left = Inches(0.5)

    if not results.shows_figures:
        slide = _title_slide(prs, "Figures not shown yet")
        _text_box(
            slide,
            Inches(0.5),
            Inches(1.6),
            WIDE - Inches(1),
            Inches(3),
            [results.why_no_figures],
        )
        return _save(prs, round_)

    # 2. Key points
    slide = _title_slide(prs, "Key points")
    _text_box(slide, Inches(0.5), Inches(1.5), WIDE - Inches(1), Inches(5.5), key_points, 20)

    # 3. Answers for each behaviour (native 100% stacked bars), while the answers are kept
    behaviours = [b for b in results.behaviours if b.score is not None]
    labels = [f"{b.section.key}. {b.section.short_title} ({_score(b.score)})" for b in behaviours]
    if not results.answers_deleted:
        _answers_slide(prs, results, behaviours, labels)

    # 4. Scores table with priorities, spread and change
    slide = _title_slide(prs, "Scores, spread and change")
    priority = {b.section.key: i for i, b in enumerate(results.priorities, start=1)}
    rows = [
        [
            "Behaviour",
            "Score (0 to 3)",
            "Each person equal",
            "Range between organisations",
            f"Change since {results.previous.title}" if results.previous else "Change",
            "Priority",
        ]
    ]
    for b in behaviours:
        spread = (
            "Not shown"
            if b.spread is None
            else _score(b.spread.range) + (" (see this differently)" if b.spread.differs else "")
        )
        if b.change is None:
            change = "No earlier round"
        elif b.change == 0:
            change = "No change"
        else:
            change = f"{'Up' if b.change > 0 else 'Down'} {_score(abs(b.change))}"
        rows.append(
            [
                f"{b.section.key}. {b.section.short_title}",
                _score(b.score),
                _score(b.respondent_weighted),
                spread,
                change,
                str(priority.get(b.section.key, "")),
            ]
        )
    _table(slide, rows, Inches(1.4), [4.6, 1.4, 1.6, 2.2, 1.6, 0.9])

    # 5. Organisation comparison: an editable table shaded like the heatmap
    if results.organisation_results:
        slide = _title_slide(prs, "Organisation comparison")
        keys = [b.section.key for b in behaviours]
        rows = [["Organisation", *keys]]
        rows.append([PARTNERSHIP_ROW, *(_score(b.score) for b in behaviours)])
        for o in results.organisation_results:
            name = o.name if o.shown else "Your organisation (counted with the others)"
            rows.append([name, *(_score(o.scores[k]) if o.shown else "Hidden" for k in keys)])
        height = min(Inches(0.36 * len(rows)), HIGH - Inches(2))
        table = _table(slide, rows, Inches(1.3), [5.2] + [1.2] * len(keys), height, 11)
        for r, row in enumerate(rows[1:], start=1):
            for c, value in enumerate(row[1:], start=1):
                if value == "Hidden":
                    continue
                fill, ink = heat_shade(float(value), max(o.score for o in options))
                cell = table.cell(r, c)
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor.from_string(fill.lstrip("#"))
                cell.text_frame.paragraphs[0].font.color.rgb = RGBColor.from_string(ink.lstrip("#"))
        note = [
            "Darker cells score higher; each cell shows its score out of 3. "
            + (
                f"Organisations where fewer than {results.min_group_size} people answered "
                "through their own link are counted together as other organisations."
                if results.individual
                else ""
            )
        ]
        _text_box(slide, Inches(0.5), HIGH - Inches(0.8), WIDE - Inches(1), Inches(0.6), note, 12)

    # 6. Self against partners
    if results.gap:
        gap = results.gap
        slide = _title_slide(prs, "How partners see themselves and each other")
        labels = [
            f"{gap.own_question.key} Own organisation ({_score(gap.own)})",
            f"{gap.partners_question.key} Partners ({_score(gap.partners)})",
        ]
        _answer_chart(
            slide,
            labels,
            [gap.own_split, gap.partners_split],
            options,
            Inches(1.3),
            Inches(3.2),
            f"Answers to question {gap.own_question.key}, about your own organisation, and "
            f"{gap.partners_question.key}, about your partners. Gap {_score(gap.gap)}.",
        )
        _text_box(
            slide,
            Inches(0.5),
            Inches(4.8),
            WIDE - Inches(1),
            Inches(2),
            [
                f"{gap.own_question.key} {gap.own_question.text}",
                f"{gap.partners_question.key} {gap.partners_question.text}",
            ],
            14,
        )

    # 7. Agreed answers beside people's own, when the round has both
    if layers is not None:
        _layers_slide(prs, layers)

    # 8. The action plan, when the round has one
    if plan:
        _actions_slide(prs, results, plan)

    # 9. Trend (native line chart), when there is more than one round
    if trend and len(trend.rounds) > 1:
        slide = _title_slide(prs, "Trend across rounds")
        data = CategoryChartData(number_format="0.00")
        data.categories = [_label(f"{p.round.title} (v{p.version})") for p in trend.rounds]
        for b in trend.behaviours:
            data.add_series(
                _label(f"{b.key}. {b.title}"),
                [None if v is None else float(v) for _, v, _ in b.points],
            )
        frame = slide.shapes.add_chart(
            XL_CHART_TYPE.LINE_MARKERS,
            Inches(0.5),
            Inches(1.3),
            WIDE - Inches(1),
            Inches(5.9),
            data,
        )
        chart = frame.chart
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.RIGHT
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(11)
        chart.value_axis.minimum_scale = 0
        chart.value_axis.maximum_scale = max(o.score for o in options)
        chart.value_axis.major_unit = 1
        for index, series in enumerate(chart.plots[0].series):
            colour = RGBColor.from_string(LINE_COLOURS[index % len(LINE_COLOURS)])
            series.format.line.color.rgb = colour
            series.format.line.width = Emu(Pt(2.5))
            series.marker.style = LINE_MARKERS[index % len(LINE_MARKERS)]
            series.marker.size = 9
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = colour
            series.smooth = False
        _alt_text(
            frame,
            "Score out of 3 for each behaviour in each round, oldest first. "
            + " ".join(
                f"{b.key}: "
                + ", ".join("not shown" if v is None else _score(v) for _, v, _ in b.points)
                + "."
                for b in trend.behaviours
            ),
        )

    return _save(prs, round_)


def _save(prs, round_) -> bytes:
    buffer = io.BytesIO()
    prs.core_properties.title = xml_safe(
        f"Culture for integration: {round_.partnership.name}, {round_.title}"
    )
    prs.core_properties.author = "Six Ways"
    prs.save(buffer)
    return buffer.getvalue()
