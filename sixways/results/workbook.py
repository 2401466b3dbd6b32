"""The Excel workbook: a Summary sheet, a Results sheet, the action plan and, for those who may
see them, the anonymised responses, from the same rows and figures as the CSV and JSON
(exports.py)."""

import io

import xlsxwriter
from django.utils import formats

from sixways.actions.models import Action

from .exports import (
    TYPED_ACTION_COLUMNS,
    action_records,
    layer_records,
    neutralise,
    response_records,
    rollup_records,
    typed_columns,
)
from .rollup import Rollup
from .types import RoundResults


def workbook(
    results: RoundResults,
    key_points: list[str],
    actions: list[Action],
    layers=None,
    children: Rollup | None = None,
) -> bytes:
    """A Summary sheet, a Results sheet, Actions and, for those who may see them, Responses.

    Text goes in with write_string, never write(), so nothing typed can become a formula,
    and typed text is neutralised as well so the sheet stays safe if saved again as CSV.
    Fixed values (answer keys, sector labels) cannot start with a formula character.

    constant_memory writes each row out as soon as the next one starts, with its strings
    inline: memory stays flat however many responses there are, and there is no shared
    strings table to build. So every sheet is written top to bottom.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    score = book.add_format({"num_format": "0.00"})
    whole = book.add_format({"num_format": "0"})
    heading = book.add_format({"bold": True, "font_size": 14})
    round_ = results.round

    def text(sheet, row, col, value, fmt=None):
        sheet.write_string(row, col, neutralise(str(value)), fmt)

    def num(sheet, row, col, value, fmt=None):
        if value is None:
            sheet.write_blank(row, col, None)
        else:
            sheet.write_number(row, col, float(value), fmt)

    summary = book.add_worksheet("Summary")
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 90)
    text(summary, 0, 0, f"Results: {round_.title}", heading)
    facts = [
        ("Partnership", round_.partnership.name),
        ("Round", round_.title),
        (
            "Dates",
            f"{formats.date_format(round_.opens_on, 'j F Y')} to {formats.date_format(round_.closes_on, 'j F Y')}",
        ),
        ("How people answered", round_.get_mode_display()),
        ("Questions", f"{round_.instrument.title}, version {round_.instrument.version}"),
        ("Responses sent", results.responses),
        ("Organisations", results.organisations),
        ("Smallest group shown", results.min_group_size),
    ]
    for index, (label, value) in enumerate(facts, start=2):
        text(summary, index, 0, label, bold)
        if isinstance(value, int):
            num(summary, index, 1, value, whole)
        else:
            text(summary, index, 1, value)
    row = len(facts) + 3
    if not results.shows_figures:
        text(summary, row, 0, "Figures", bold)
        text(summary, row, 1, results.why_no_figures, wrap)
    for point in key_points:
        text(summary, row, 0, "Key point", bold)
        text(summary, row, 1, point, wrap)
        row += 1
    text(summary, row + 1, 0, round_.instrument.credit)

    if results.shows_figures:
        _results_sheet(book, results, text, num, bold, score, whole)
        _groups_sheet(
            book,
            "Organisations",
            results,
            results.organisation_results,
            text,
            num,
            bold,
            score,
            whole,
        )
        _groups_sheet(
            book, "Sectors", results, results.sector_results, text, num, bold, score, whole
        )
    _actions_sheet(book, results, actions, text, bold)
    if layers is not None:
        _layers_sheet(book, results, layers, text, num, bold, score, whole)
    if children is not None:
        _rollup_sheet(book, children, text, num, bold, score)
    if (
        results.shows_figures
        and results.viewer.may_download_responses
        and not results.answers_deleted
    ):
        header, records = response_records(results)
        sheet = book.add_worksheet("Responses")
        sheet.freeze_panes(1, 0)
        for col, name in enumerate(header):
            text(sheet, 0, col, name, bold)
        typed = typed_columns(header)
        write_string, write_number = sheet.write_string, sheet.write_number
        for r, record in enumerate(records, start=1):
            for col, value in enumerate(record):
                if isinstance(value, int):
                    write_number(r, col, value, whole)
                elif typed[col]:
                    write_string(r, col, neutralise(value))
                elif value:
                    write_string(r, col, value)
    book.close()
    return buffer.getvalue()


def _results_sheet(book, results, text, num, bold, score, whole) -> None:
    sheet = book.add_worksheet("Results")
    header = [
        "Behaviour",
        "Title",
        "Priority",
        "Score (0 to 3)",
        "Percentage",
        "Total",
        "Out of",
        "Each person counted equally",
        "Lowest organisation",
        "Highest organisation",
        "Range",
        "Standard deviation",
        "Partners see this differently",
        "Change since previous round",
        *(o.label for o in results.options),
    ]
    for col, name in enumerate(header):
        text(sheet, 0, col, name, bold)
    priority = {b.section.key: i for i, b in enumerate(results.priorities, start=1)}
    for r, b in enumerate(results.behaviours, start=1):
        text(sheet, r, 0, b.section.key)
        text(sheet, r, 1, b.section.title)
        num(sheet, r, 2, priority.get(b.section.key), whole)
        num(sheet, r, 3, b.score, score)
        num(sheet, r, 4, b.percent, score)
        num(sheet, r, 5, b.total, score)
        num(sheet, r, 6, b.max_total, whole)
        num(sheet, r, 7, b.respondent_weighted, score)
        spread = b.spread
        num(sheet, r, 8, spread.low if spread else None, score)
        num(sheet, r, 9, spread.high if spread else None, score)
        num(sheet, r, 10, spread.range if spread else None, score)
        num(sheet, r, 11, spread.stdev if spread else None, score)
        text(
            sheet, r, 12, "Yes" if spread and spread.differs else ("No" if spread else "Not shown")
        )
        num(sheet, r, 13, b.change, score)
        for i, option in enumerate(results.options):
            num(sheet, r, 14 + i, b.split.get(option.key, 0), whole)
    sheet.set_column(1, 1, 50)
    sheet.set_column(2, 14 + len(results.options), 14)
    sheet.freeze_panes(1, 0)

    # The questions below the behaviours, with their answer counts.
    top = len(results.behaviours) + 3
    text(sheet, top, 0, "Question", bold)
    text(sheet, top, 1, "Text", bold)
    text(sheet, top, 2, "Behaviour", bold)
    text(sheet, top, 3, "Average (each organisation equal)", bold)
    for i, option in enumerate(results.options):
        text(sheet, top, 4 + i, option.label, bold)
    r = top + 1
    for b in results.behaviours:
        for q in b.questions:
            text(sheet, r, 0, q.key)
            text(sheet, r, 1, q.text)
            text(sheet, r, 2, b.section.key)
            num(sheet, r, 3, b.question_means.get(q.pk), score)
            for i, option in enumerate(results.options):
                num(sheet, r, 4 + i, b.counts.get(q.pk, {}).get(option.key, 0), whole)
            r += 1


def _groups_sheet(book, name, results, groups, text, num, bold, score, whole) -> None:
    sheet = book.add_worksheet(name)
    keys = [b.section.key for b in results.behaviours]
    header = [name[:-1], "Sector", "People", *(f"Behaviour {k}" for k in keys)]
    for col, label in enumerate(header):
        text(sheet, 0, col, label, bold)
    k = results.min_group_size
    for r, g in enumerate(groups, start=1):
        if g.shown:
            label = f"{g.name} ({g.organisations} organisations)" if g.pool else g.name
            text(sheet, r, 0, label)
            text(sheet, r, 1, g.sector)
            num(sheet, r, 2, g.respondents, whole)
            for i, key in enumerate(keys):
                num(sheet, r, 3 + i, g.scores.get(key), score)
        else:
            text(sheet, r, 0, f"{g.name}: {g.why_hidden(k)}")
            for i in range(len(keys)):
                text(sheet, r, 3 + i, "Not shown")
    sheet.set_column(0, 0, 50)
    sheet.set_column(1, 1, 24)
    sheet.freeze_panes(1, 0)


def _actions_sheet(book, results, actions, text, bold) -> None:
    """The round's action plan, one row an action, in the actions CSV's layout: there even
    when the plan is empty, so a workbook always has the same sheets."""
    sheet = book.add_worksheet("Actions")
    header, records = action_records(results, actions)
    for col, name in enumerate(header):
        text(sheet, 0, col, name, bold)
    for r, record in enumerate(records, start=1):
        for col, (name, value) in enumerate(zip(header, record, strict=True)):
            if isinstance(value, int):
                sheet.write_number(r, col, value)
            elif name in TYPED_ACTION_COLUMNS:
                text(sheet, r, col, value)
            elif value:
                sheet.write_string(r, col, value)
    sheet.set_column(6, 7, 40)
    sheet.freeze_panes(1, 0)


def _rollup_sheet(book, children: Rollup, text, num, bold, score) -> None:
    """The partnerships within this one side by side, in the CSV's layout
    (exports.rollup_records): one row a partnership and closed round."""
    sheet = book.add_worksheet("Side by side")
    header, records = rollup_records(children)
    for col, name in enumerate(header):
        text(sheet, 0, col, name, bold)
    for r, record in enumerate(records, start=1):
        for col, (name, value) in enumerate(zip(header, record, strict=True)):
            if name.startswith(("behaviour_", "change_")):
                num(sheet, r, col, value, score)
            elif isinstance(value, int):
                sheet.write_number(r, col, value)
            elif value is not None:
                text(sheet, r, col, value)
    sheet.set_column(1, 4, 30)
    sheet.freeze_panes(1, 3)


def _layers_sheet(book, results, layers, text, num, bold, score, whole) -> None:
    """The agreed answers beside people's own, in the CSV's layout (exports.layer_records)."""
    sheet = book.add_worksheet("Agreed and individual")
    header, records = layer_records(results, layers)
    for col, name in enumerate(header):
        text(sheet, 0, col, name, bold)
    for r, record in enumerate(records, start=1):
        for col, value in enumerate(record):
            if isinstance(value, int):
                num(sheet, r, col, value, whole)
            elif isinstance(value, float):
                num(sheet, r, col, value, score)
            elif value is None:
                sheet.write_blank(r, col, None)
            else:
                text(sheet, r, col, value)
    sheet.freeze_panes(1, 0)
