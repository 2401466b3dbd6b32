"""The layout of a file of returns, and the blank templates that follow it.

One row per return. The columns, by header, in any order and any case:

- `organisation`: one of the round's organisations, by name or code; blank for none given;
- `1.1` … `6.4` (or `q1.1` …): the answer to each question: Yes, Sometimes, Not always or No
  (or their keys, `not-always`), in any case, with any spaces around;
- `comment 1` … `comment 6` (or `comment_1` …): the comment on each behaviour, optional;
- `reference`: the return's own reference, optional, never the same twice in a round;
- `batch`: the batch code printed on the paper form, optional.

The anonymised responses download (docs/exports.md) follows it too: its other columns
(`format`, `instrument`, `round`, `sector` …) are read and checked where they say something,
so a round's download can be imported into another round.
"""

import csv
import io
import re
from dataclasses import dataclass

import xlsxwriter

from sixways.instruments.shape import Shape
from sixways.rounds.models import Round

from .batch import batch_code

TEMPLATE_FORMAT = "sixways-returns-template/1"

# Columns of the responses download that say nothing a return needs, or that are checked.
EXPORT_COLUMNS = {
    "format",
    "instrument",
    "instrument version",
    "round",
    "response",
    "organisation code",
    "sector",
}


@dataclass(frozen=True)
class Column:
    kind: str  # "organisation", "question", "comment", "reference", "batch" or an export column
    key: str = ""  # the question's key (1.1) or the behaviour's (1)


def normalised(header: str) -> str:
    return re.sub(r"[\s_]+", " ", header.strip().lower())


def column(header: str, structure: Shape) -> Column | None:
    """What a header names, or None for a header this layout does not know."""
    name = normalised(header)
    questions = {q.key for q in structure.questions}
    sections = {s.key for s in structure.sections}
    if name in ("organisation", "organization"):
        return Column("organisation")
    if name in ("reference", "return reference"):
        return Column("reference")
    if name in ("batch", "batch code"):
        return Column("batch")
    if name in EXPORT_COLUMNS:
        return Column(name)
    question = name.removeprefix("q")
    if question in questions:
        return Column("question", question)
    comment = re.fullmatch(r"comments? ?(\w+)", name)
    if comment and comment[1] in sections:
        return Column("comment", comment[1])
    return None


def template_headers(structure: Shape) -> list[str]:
    return [
        "reference",
        "organisation",
        *(q.key for q in structure.questions),
        *(f"comment {s.key}" for s in structure.sections),
        "batch",
    ]


def template_csv(round_: Round, structure: Shape) -> str:
    """The CSV template: its header row alone, with a byte order mark so Excel reads it as
    UTF-8."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(template_headers(structure))
    return "\ufeff" + out.getvalue()


def template_xlsx(round_: Round, structure: Shape, organisations: list[str]) -> bytes:
    """The Excel template: a Returns sheet with a drop-down of the round's organisations and
    of the four answers in each question's column, and the questions word for word on a
    second sheet. The workbook carries the round's batch code, so a template filled in for
    one round and uploaded to another is caught."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    code = batch_code(round_)
    book.set_properties(
        {"title": f"Returns for {round_.title}", "subject": code, "keywords": TEMPLATE_FORMAT}
    )
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    text = book.add_format({"num_format": "@"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    rows = 5000

    sheet = book.add_worksheet("Returns")
    headers = template_headers(structure)
    sheet.write_row(0, 0, headers, bold)
    sheet.freeze_panes(1, 2)
    sheet.set_column(0, 0, 14, text)
    sheet.set_column(1, 1, 32, text)
    answers = [o.label for o in structure.options]
    for i, question in enumerate(structure.questions, start=2):
        sheet.write_comment(0, i, f"{question.key} {question.text}", {"x_scale": 3, "y_scale": 2})
        sheet.set_column(i, i, 11, text)
        sheet.data_validation(
            1,
            i,
            rows,
            i,
            {
                "validate": "list",
                "source": answers,
                "error_title": "Not one of the answers",
                "error_message": "Choose " + ", ".join(answers),
            },
        )
    first_comment = 2 + len(structure.questions)
    sheet.set_column(first_comment, first_comment + len(structure.sections) - 1, 30, text)
    sheet.set_column(len(headers) - 1, len(headers) - 1, 10, text)
    if organisations:
        # A list over 255 characters cannot be typed into the validation: it refers to the
        # Organisations sheet instead.
        names = book.add_worksheet("Organisations")
        names.write(0, 0, "Organisations in this round", bold)
        names.write_column(1, 0, organisations)
        names.set_column(0, 0, 50)
        sheet.data_validation(
            1,
            1,
            rows,
            1,
            {
                "validate": "list",
                "source": f"=Organisations!$A$2:$A${len(organisations) + 1}",
                "error_title": "Not a partner in this round",
                "error_message": "Choose the organisation from the list, or leave it blank",
            },
        )

    about = book.add_worksheet("Questions")
    about.write_row(0, 0, ["Column", "Question or behaviour"], bold)
    about.set_column(0, 0, 12)
    about.set_column(1, 1, 100, wrap)
    row = 1
    for section in structure.sections:
        about.write_row(row, 0, [f"comment {section.key}", f"Comments on ‘{section.title}’"])
        row += 1
        for question in structure.questions_in(section):
            about.write_row(row, 0, [question.key, question.text])
            row += 1
    about.write(row + 1, 0, "Batch", bold)
    about.write(row + 1, 1, f"This round's batch code is {code}.")
    book.close()
    return out.getvalue()
