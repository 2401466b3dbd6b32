"""Checking every cell of a file of returns, a row at a time.

`Checker` reads a `reading.Sheet` against a round: the headers first, then each row, turning
good rows into `Row`s (ids of the organisation, options and sections) and bad cells into
`Problem`s that name the row and the column, in the words the error summary shows. The same
checker runs twice, when a file is checked for its preview and again inside the import's
transaction, so a reference entered in between is still caught.

Answers match their label or key whatever the case and the spaces around them; nothing else
is guessed ("Somtimes" and "Y" are problems, not Sometimes and Yes).
"""

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

from sixways.design.text import hidden_characters
from sixways.instruments.shape import Shape
from sixways.rounds.forms import COMMENT_MAX
from sixways.rounds.models import Round

from .batch import batch_code, same_code
from .layout import TEMPLATE_FORMAT, Column, column
from .reading import Sheet

KEPT_PROBLEMS = 500  # listed on the page; a file with more needs fixing as a whole
REFERENCE_MAX = 50
RESPONSES_FORMAT = "sixways-responses/1"


@dataclass(frozen=True)
class Problem:
    text: str
    row: int | None = None
    column: str = ""

    def as_dict(self) -> dict:
        return {"text": self.text, "row": self.row, "column": self.column}


@dataclass
class Row:
    number: int
    organisation: int | None
    answers: dict[int, int]  # question id -> option id
    comments: dict[int, str]  # section id -> text
    reference: str
    batch: str


@dataclass
class Totals:
    """What the good rows add up to, for the preview: no answer of any one row is kept."""

    rows: int = 0
    respondents: Counter = field(default_factory=Counter)  # organisation id -> returns
    counts: dict = field(default_factory=lambda: defaultdict(Counter))  # (org, question) -> option

    def add(self, row: Row) -> None:
        self.rows += 1
        self.respondents[row.organisation] += 1
        for question, option in row.answers.items():
            self.counts[(row.organisation, question)][option] += 1


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


class Checker:
    def __init__(
        self,
        round_: Round,
        structure: Shape,
        taken: dict[str, str],
        answered: set[int] = frozenset(),
    ):
        """`taken` maps each return reference already in the round to where it came from;
        `answered` holds the organisations of an organisational round that have answered."""
        self.round = round_
        self.answered = answered
        self.one_each = round_.mode == "organisational"
        self.first_row: dict[int, int] = {}  # organisational rounds: organisation -> its row
        self.structure = structure
        self.taken = taken
        self.problems: list[Problem] = []
        self.problem_count = 0
        self.empty_rows: list[int] = []
        self.totals = Totals()
        self.seen: dict[str, int] = {}  # reference -> first row with it
        self.options = {}
        for option in structure.options:
            self.options[_squash(option.label)] = option.pk
            self.options[_squash(option.key)] = option.pk
        self.answer_words = ", ".join(o.label for o in structure.options)
        organisations = list(
            round_.organisations.order_by("name").values_list("pk", "name", "code")
        )
        self.names = {pk: name for pk, name, _ in organisations}
        self.organisations = {_squash(name): pk for pk, name, _ in organisations}
        self.organisations.update({_squash(code): pk for pk, _, code in organisations if code})
        self.questions = {q.key: q.pk for q in structure.questions}
        self.sections = {s.key: s.pk for s in structure.sections}
        self.columns: list[Column | None] = []
        self.bad_rows = 0
        self.bad_cells: set[str] = set()  # the columns of the row being read with a problem

    def problem(self, text: str, row: int | None = None, column: str = "") -> None:
        self.problem_count += 1
        self.bad_cells.add(column)
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(Problem(text, row, column))

    # --- The file as a whole ---------------------------------------------------------------

    def check_headers(self, sheet: Sheet) -> bool:
        """Check the header row and the workbook's own record of its round. False when the
        rows cannot be read at all."""
        if sheet.properties.get("keywords") == TEMPLATE_FORMAT:
            code = sheet.properties.get("subject", "")
            if not same_code(code, self.round):
                self.problem(
                    f"This is the template of another round (batch code {code}). This round's "
                    f"batch code is {batch_code(self.round)}: download this round's template, "
                    "or copy the rows into it"
                )
                return False
        seen: set[Column] = set()
        for header in sheet.headers:
            found = column(header, self.structure) if header.strip() else None
            if header.strip() and found is None:
                self.problem(
                    f"The column ‘{header.strip()[:60]}’ is not one a file of returns has. "
                    "Use the headers of this round's template"
                )
            elif found is not None and found in seen:
                self.problem(f"The column ‘{header.strip()}’ is in the file twice")
            if found is not None:
                seen.add(found)
            self.columns.append(found)
        missing = [q.key for q in self.structure.questions if Column("question", q.key) not in seen]
        if missing:
            what = "question " if len(missing) == 1 else "questions "
            self.problem(
                f"The file has no column for {what}{', '.join(missing)}. Every question needs "
                "its own column, headed with its number"
            )
        if Column("organisation") not in seen:
            self.problem(
                "The file has no organisation column. Add one headed ‘organisation’, even if "
                "some returns leave it blank"
            )
        return self.problem_count == 0

    # --- Each row --------------------------------------------------------------------------

    def rows(self, sheet: Sheet) -> Iterator[Row]:
        """The good rows, in order; every problem found on the way goes to `problems`."""
        limit = settings.RETURNS_MAX_ROWS
        if sheet.total is not None and sheet.total > limit:
            # An Excel sheet says how many rows it has: refused before any is read.
            self.problem(self._too_many(limit))
            return
        for number, cells in sheet.rows:
            if not any(cell.strip() for cell in cells):
                self.empty_rows.append(number)
                continue
            if self.totals.rows + self.bad_rows >= limit:
                self.problem(self._too_many(limit))
                return
            row = self._row(number, cells)
            if row is None:
                self.bad_rows += 1
                continue
            self.totals.add(row)
            yield row

    @staticmethod
    def _too_many(limit: int) -> str:
        return (
            f"The file has more than {limit:,} returns. Split it into files of {limit:,} or fewer"
        )

    def recheck(self, rows: Iterator[Row]) -> Iterator[Row]:
        """Rows checked before, checked again against what the round holds now: references
        used since, and (organisational rounds) organisations that have answered since."""
        for row in rows:
            before = self.problem_count
            if row.reference:
                self._reference(row, row.reference)
            if self.one_each and row.organisation is not None:
                self._one_each(row, row.organisation, self.names.get(row.organisation, ""))
            if self.problem_count == before:
                self.totals.add(row)
                yield row

    def _row(self, number: int, cells: list[str]) -> Row | None:
        before = self.problem_count
        self.bad_cells = set()
        if len(cells) > len(self.columns) and any(c.strip() for c in cells[len(self.columns) :]):
            self.problem(f"Row {number} has more cells than the file has column headers", number)
        row = Row(number, None, {}, {}, "", "")
        for found, cell in zip(self.columns, cells, strict=False):
            if found is not None:
                self._cell(row, found, cell)
        for key in self.questions:
            # A cell with a bad answer has its problem already; it is not also "no answer".
            if self.questions[key] not in row.answers and key not in self.bad_cells:
                self.problem(
                    f"Row {number}, {key}: no answer. Every question needs one of "
                    f"{self.answer_words}",
                    number,
                    key,
                )
        return row if self.problem_count == before else None

    def _cell(self, row: Row, found: Column, cell: str) -> None:
        number, value = row.number, cell.strip()
        if found.kind == "question":
            if not value:
                return  # reported once the row is read, as "no answer"
            option = self.options.get(_squash(value))
            if option is None:
                self.problem(
                    f"Row {number}, {found.key}: ‘{value[:40]}’ is not one of {self.answer_words}",
                    number,
                    found.key,
                )
            else:
                row.answers[self.questions[found.key]] = option
        elif found.kind == "organisation":
            if value:
                organisation = self.organisations.get(_squash(value))
                if organisation is None:
                    self.problem(
                        f"Row {number}, organisation: ‘{value[:80]}’ is not one of this round's "
                        "organisations",
                        number,
                        "organisation",
                    )
                row.organisation = organisation
                if organisation is not None and self.one_each:
                    self._one_each(row, organisation, value)
            elif self.one_each:
                self.problem(
                    f"Row {number}, organisation: no organisation given. In this round each "
                    "organisation sends one response, so every return must say whose it is",
                    number,
                    "organisation",
                )
        elif found.kind == "comment":
            text = cell.strip()
            where = f"Row {number}, comment {found.key}"
            hidden = hidden_characters(text)
            if len(text) > COMMENT_MAX:
                self.problem(
                    f"{where}: comments must be {COMMENT_MAX:,} characters or fewer (this one "
                    f"has {len(text):,})",
                    number,
                    f"comment {found.key}",
                )
            elif hidden:
                self.problem(f"{where}: must not contain {hidden}", number, f"comment {found.key}")
            elif text:
                row.comments[self.sections[found.key]] = text
        elif found.kind == "reference":
            self._reference(row, value)
        elif found.kind == "batch":
            if value and not same_code(value, self.round):
                self.problem(
                    f"Row {number}, batch: {value[:20]} is not this round's batch code "
                    f"({batch_code(self.round)}). Is this return for another round?",
                    number,
                    "batch",
                )
            row.batch = value[:20]
        elif found.kind == "format":
            if value and value != RESPONSES_FORMAT:
                self.problem(
                    f"Row {number}, format: ‘{value[:40]}’ is not a layout this service reads",
                    number,
                    "format",
                )
        elif found.kind == "instrument version":
            version = self.round.instrument.version
            if value and value != str(version):
                self.problem(
                    f"Row {number}, instrument version: these answers are to version {value[:10]}"
                    f" of the questions; this round uses version {version}",
                    number,
                    "instrument version",
                )

    def _one_each(self, row: Row, organisation: int, value: str) -> None:
        number = row.number
        if organisation in self.answered:
            self.problem(
                f"Row {number}, organisation: {value[:80]} has already sent its response to "
                "this round, and each organisation sends one",
                number,
                "organisation",
            )
        elif organisation in self.first_row:
            self.problem(
                f"Row {number}, organisation: {value[:80]} is also on row "
                f"{self.first_row[organisation]}, and each organisation sends one response",
                number,
                "organisation",
            )
        else:
            self.first_row[organisation] = number

    def _reference(self, row: Row, value: str) -> None:
        number = row.number
        if not value:
            return
        if len(value) > REFERENCE_MAX or hidden_characters(value, line_breaks=False):
            self.problem(
                f"Row {number}, reference: a reference must be one line of "
                f"{REFERENCE_MAX} characters or fewer",
                number,
                "reference",
            )
            return
        key = value.casefold()
        if key in self.seen:
            self.problem(
                f"Row {number}, reference: {value} is also on row {self.seen[key]}. Each "
                "return is brought in once",
                number,
                "reference",
            )
        elif key in self.taken:
            self.problem(
                f"Row {number}, reference: {value} is already in this round "
                f"({self.taken[key]}). Each return is brought in once",
                number,
                "reference",
            )
        else:
            self.seen[key] = number
        row.reference = value
