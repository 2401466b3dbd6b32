"""Reading a file of returns, CSV or Excel, a row at a time.

Nothing in a file is run or evaluated: a CSV is text; an Excel workbook is read with openpyxl
in read-only mode (rows streamed, so memory stays flat however long the file), with formulas
read as the text of the formula, never calculated, and with defusedxml guarding its XML.
Files that can carry macros are refused by name and by content, and a workbook whose parts
would unpack to far more than its size (a "zip bomb") is refused before it is opened.
"""

import codecs
import csv
import datetime
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import openpyxl
from django.conf import settings

from sixways.results.exports import restore

MACRO_ENDINGS = (".xlsm", ".xltm", ".xlsb", ".xlam", ".xla", ".xlt")
OLD_ENDINGS = (".xls",)
MAX_UNPACKED = 40  # an Excel file may unpack to at most this many times its upload limit


class Unreadable(Exception):
    """The file as a whole cannot be read: the message says why and what to do."""


@dataclass
class Sheet:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)
    total: int | None  # data rows, when the file says so before it is read
    properties: dict[str, str]  # an Excel file's title, subject and keywords


def kind_of(name: str) -> str:
    """ "csv" or "xlsx" from a file's name; Unreadable for anything else."""
    lower = name.lower()
    if lower.endswith(MACRO_ENDINGS):
        raise Unreadable(
            "Files that can hold macros are not accepted. Save it as an Excel workbook "
            "(.xlsx) or as CSV UTF-8, and upload that"
        )
    if lower.endswith(OLD_ENDINGS):
        raise Unreadable(
            "This is the old Excel format (.xls). Save it as an Excel workbook (.xlsx) or as "
            "CSV UTF-8, and upload that"
        )
    if lower.endswith((".csv", ".txt")):
        return "csv"
    if lower.endswith(".xlsx"):
        return "xlsx"
    raise Unreadable("The file must be an Excel workbook (.xlsx) or a CSV file (.csv)")


def read(handle: BinaryIO, kind: str) -> Sheet:
    start = handle.read(4)
    handle.seek(0)
    is_zip = start == b"PK\x03\x04"
    if kind == "csv":
        if is_zip:
            raise Unreadable(
                "The file is named .csv but holds an Excel workbook: name it .xlsx, or save "
                "it as CSV UTF-8"
            )
        return _read_csv(handle)
    if not is_zip:
        raise Unreadable(
            "The file is named .xlsx but is not an Excel workbook. Save it again from Excel "
            "as an Excel workbook (.xlsx), or as CSV UTF-8"
        )
    return _read_xlsx(handle)


# --- CSV ------------------------------------------------------------------------------------


def _read_csv(handle: BinaryIO) -> Sheet:
    # Strict UTF-8, byte order mark or not: a file in another encoding is refused with how to
    # fix it, rather than read with letters changed.
    decoder = codecs.getreader("utf-8-sig")(handle, errors="strict")
    text = _Lines(decoder)
    try:
        first = text.peek()
    except UnicodeDecodeError as error:
        raise _not_utf8() from error
    # Excel saves CSV with semicolons where a comma is the decimal mark; tab-separated text is
    # what copying cells gives. The header row tells which.
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        headers = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise _broken(error) from error
    if not headers:
        raise Unreadable("The file is empty")

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):
                yield number, [restore(cell) for cell in cells]
        except UnicodeDecodeError as error:
            raise _not_utf8(number + 1) from error
        except csv.Error as error:
            raise _broken(error, number + 1) from error

    return Sheet(headers=[restore(h) for h in headers], rows=rows(), total=None, properties={})


class _Lines:
    """Lines from a decoder, with the first one peekable (to choose the delimiter); newlines
    are kept so the csv module reads line breaks inside quoted cells."""

    def __init__(self, decoder):
        self.decoder = decoder
        self.first: str | None = None

    def peek(self) -> str:
        if self.first is None:
            self.first = self.decoder.readline()
        return self.first

    def __iter__(self):
        if self.first is None:
            self.peek()
        if self.first:
            yield self.first
        while line := self.decoder.readline():
            yield line


def _not_utf8(row: int | None = None) -> Unreadable:
    where = f" (on row {row})" if row else ""
    return Unreadable(
        f"The file is not in UTF-8{where}, so some letters would be read wrongly. In Excel, "
        "choose Save as, then ‘CSV UTF-8 (comma delimited)’, and upload that"
    )


def _broken(error: Exception, row: int | None = None) -> Unreadable:
    where = f" on row {row}" if row else ""
    return Unreadable(f"The file could not be read as CSV{where}: {error}")


# --- Excel ----------------------------------------------------------------------------------


def _read_xlsx(handle: BinaryIO) -> Sheet:
    try:
        parts = zipfile.ZipFile(handle).infolist()
    except zipfile.BadZipFile as error:
        raise Unreadable("The Excel file is damaged and cannot be opened") from error
    names = {part.filename.lower() for part in parts}
    if any(name.endswith("vbaproject.bin") for name in names):
        raise Unreadable(
            "The workbook holds macros, which are not accepted. Save it as an Excel workbook "
            "(.xlsx) without macros, or as CSV UTF-8"
        )
    if len(parts) > 1000 or sum(p.file_size for p in parts) > (
        MAX_UNPACKED * settings.RETURNS_MAX_BYTES
    ):
        raise Unreadable("The Excel file unpacks to far more than its size, so it is not opened")
    handle.seek(0)
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise Unreadable("The Excel file is damaged and cannot be opened") from error
    sheet = book["Returns"] if "Returns" in book.sheetnames else book.worksheets[0]
    properties = {
        "title": book.properties.title or "",
        "subject": book.properties.subject or "",
        "keywords": book.properties.keywords or "",
    }
    cells = sheet.iter_rows(values_only=True)
    headers = [_text(v) for v in next(cells, ())]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise Unreadable("The first row of the sheet must hold the column headers, and it is empty")
    total = None
    if sheet.max_row and sheet.max_row > 1:
        total = sheet.max_row - 1

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(cells, start=2):
            yield number, [_text(v) for v in values]
        book.close()

    return Sheet(headers=headers, rows=rows(), total=total, properties=properties)


def _text(value) -> str:
    """A cell as the text it shows. A formula comes as its text (=SUM(A1)), never its result."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)
