"""Reading files that people upload: located problems, decoding, CSV rows, loose headers, dates.

Shared by every import (the pupil roster in all its formats, the vie-scolaire event
exports). Problems are *located*: a ``FileIssue`` names the row (as a spreadsheet
numbers it: the header is row 1) and the column, and a ``FileError`` lists them, so
the person who uploaded the file can find and fix each one.

Nothing here touches the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from django.utils.translation import gettext as _

#: At most this many problems are listed in one ``FileError``.
MAX_ISSUES = 20
#: Separators tried between columns, in order of preference.
DELIMITERS = (";", ",")
_ECHO_MAX = 40

_DATE_FR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DATE_FR_SHORT_YEAR = re.compile(r"\d{1,2}/\d{1,2}/\d{2}")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class FileIssue:
    """One problem, located in the file. ``row`` and ``column`` count from 1, like a spreadsheet."""

    message: str
    row: int | None = None
    column: int | None = None
    column_name: str = ""

    def format(self, filename: str) -> str:
        values = {
            "file": filename,
            "row": self.row,
            "column": self.column,
            "name": self.column_name,
            "message": self.message,
        }
        if self.row is not None and self.column is not None and self.column_name:
            return _("%(file)s, row %(row)s, column %(column)s (%(name)s): %(message)s") % values
        if self.row is not None and self.column is not None:
            return _("%(file)s, row %(row)s, column %(column)s: %(message)s") % values
        if self.row is not None and self.column_name:
            return _("%(file)s, row %(row)s (%(name)s): %(message)s") % values
        if self.row is not None:
            return _("%(file)s, row %(row)s: %(message)s") % values
        return _("%(file)s: %(message)s") % values


class FileError(Exception):
    """A file that cannot be imported: every listed problem is located in the file.

    Nothing has been written when it is raised.
    """

    def __init__(self, filename: str, issues: Sequence[FileIssue], total: int | None = None):
        self.filename = filename
        self.issues = list(issues)
        self.total = max(total or 0, len(self.issues))
        # Worded once, in the language active when the problem was found.
        self.message = self._word()
        super().__init__(self.message)

    def _word(self) -> str:
        lines = [issue.format(self.filename) for issue in self.issues]
        hidden = self.total - len(self.issues)
        if hidden > 0:
            lines.append(
                _("…and %(count)s more problems (only the first %(shown)s are listed).")
                % {"count": hidden, "shown": len(self.issues)}
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message


class IssueList:
    """Collects problems, keeping the first ``MAX_ISSUES`` and counting the rest.

    ``error_class`` is the ``FileError`` subclass ``raise_if_any`` raises.
    """

    def __init__(self, error_class: type[FileError] = FileError) -> None:
        self.issues: list[FileIssue] = []
        self.total = 0
        self.error_class = error_class

    def __bool__(self) -> bool:
        return self.total > 0

    def add(self, issue: FileIssue) -> None:
        self.total += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(issue)

    def extend(self, other: IssueList) -> None:
        """Add ``other``'s problems after these (its uncounted ones are counted too)."""
        for issue in other.issues:
            self.add(issue)
        self.total += other.total - len(other.issues)

    def raise_if_any(self, filename: str) -> None:
        if self.total:
            raise self.error_class(filename, self.issues, self.total)


class CellError(ValueError):
    """A cell's value is invalid; the caller adds where it is."""


# --------------------------------------------------------------------------- text helpers


def plain_text(value: str) -> str:
    """Lower case, without accents, ligatures or punctuation: for comparing names and headers."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped).split())


def header_key(value: str) -> str:
    """A header cell without case, accents, spaces or punctuation: "Né(e) le" → "neele"."""
    return plain_text(value).replace(" ", "")


def clean_cell(value: str) -> str:
    """Trim a cell and collapse inner spaces (non-breaking ones included)."""
    return " ".join(value.replace("\u00a0", " ").replace("\u202f", " ").split())


def clean_multiline(value: str) -> str:
    """Like ``clean_cell`` line by line, dropping blank lines (for addresses)."""
    lines = (clean_cell(line) for line in value.splitlines())
    return "\n".join(line for line in lines if line)


def echo(value: str) -> str:
    """A cell's value quoted in a message, shortened."""
    shown = value if len(value) <= _ECHO_MAX else value[: _ECHO_MAX - 1] + "…"
    return f"“{shown}”"


def display_name(filename: str, default: str = "file") -> str:
    """The uploaded file's own name, without any client-side folder."""
    return PurePath(filename.replace("\\", "/")).name or default


# --------------------------------------------------------------------------- dates


def parse_french_date(value: str) -> dt.date:
    """A date written ``dd/mm/yyyy`` (or ``d/m/yyyy``, or ISO ``yyyy-mm-dd``).

    Raises ``CellError`` with a hint in the French order (JJ/MM/AAAA).
    """
    value = clean_cell(value)
    if not value:
        raise CellError(_("a date is required (JJ/MM/AAAA)."))
    expected = _("%(value)s is not a valid date (expected JJ/MM/AAAA).") % {"value": echo(value)}
    if match := _DATE_FR.fullmatch(value):
        day, month, year = (int(part) for part in match.groups())
    elif match := _DATE_ISO.fullmatch(value):
        year, month, day = (int(part) for part in match.groups())
    elif _DATE_FR_SHORT_YEAR.fullmatch(value):
        raise CellError(
            _("%(value)s: the year must have four digits (JJ/MM/AAAA).") % {"value": echo(value)}
        )
    else:
        raise CellError(expected)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(expected) from None


# --------------------------------------------------------------------------- decoding


def decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """Return the text and the encoding's name: BOM → UTF-8; else strict UTF-8; else Windows-1252.

    Raises ``FileError`` (located at the row and column of the first bad byte) for an
    empty file, UTF-16, a spreadsheet workbook, binary data or mixed encodings.
    """

    def fail(
        message: str, row: int | None = 1, column: int | None = None, name: str = ""
    ) -> FileError:
        return FileError(filename, [FileIssue(message, row, column, name)])

    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise fail(_("the file is empty."), row=None)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(_("the file is encoded in UTF-16; save it as “CSV UTF-8” (or CSV) instead."))
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise fail(
            _(
                "this is a spreadsheet workbook (.xlsx, .ods or .xls), not a CSV file; "
                "use “Save as… CSV” in the spreadsheet."
            )
        )
    if b"\x00" in data:
        raise fail(_("the file is not a text (CSV) file."))
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "UTF-8 (BOM)"
        except UnicodeDecodeError as error:
            row, column, name = _locate(data, error.start, "utf-8-sig")
            raise fail(
                _(
                    "byte 0x%(byte)02X is not valid UTF-8 although the file starts with a UTF-8 mark; "
                    "save the file again as “CSV UTF-8”."
                )
                % {"byte": data[error.start]},
                row,
                column,
                name,
            ) from error
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as utf8_error:
        if re.search(rb"\xc3[\x80-\xbf]", data):
            # Valid UTF-8 accented letters next to bytes that are not UTF-8: two encodings mixed.
            row, column, name = _locate(data, utf8_error.start, "utf-8")
            raise fail(
                _(
                    "the file mixes UTF-8 and another encoding (byte 0x%(byte)02X here is not UTF-8); "
                    "save the whole file again as “CSV UTF-8”."
                )
                % {"byte": data[utf8_error.start]},
                row,
                column,
                name,
            ) from utf8_error
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as error:
        row, column, name = _locate(data, error.start, "cp1252")
        raise fail(
            _(
                "byte 0x%(byte)02X can be read neither as UTF-8 nor as Windows-1252; "
                "save the file as “CSV UTF-8”."
            )
            % {"byte": data[error.start]},
            row,
            column,
            name,
        ) from error


def _locate(data: bytes, offset: int, encoding: str) -> tuple[int, int, str]:
    """Row, column and column name of the byte at ``offset`` (what was read before it is valid)."""
    prefix = data[:offset].decode(encoding, errors="replace").lstrip("\ufeff")
    first_line = re.split(r"\r\n|\r|\n", prefix, maxsplit=1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    try:
        records = list(csv.reader(io.StringIO(prefix, newline=""), delimiter=delimiter))
    except csv.Error:  # pragma: no cover - the non-strict reader accepts any prefix
        records = [line.split(delimiter) for line in prefix.splitlines()]
    if not records:
        return 1, 1, ""
    if prefix.endswith(("\n", "\r")):
        row, column = len(records) + 1, 1
    else:
        row, column = len(records), max(len(records[-1]), 1)
    header = records[0] if row > 1 else []
    name = clean_cell(header[column - 1]) if column <= len(header) else ""
    return row, column, name


# --------------------------------------------------------------------------- CSV


def first_line(text: str) -> str:
    return re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]


def _guess_delimiter(header_line: str, delimiters: Sequence[str]) -> str:
    def filled(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(1 for cell in cells if clean_cell(cell))

    # ``max`` keeps the first of equals: the order of ``delimiters`` is the preference.
    return max(delimiters, key=filled)


def read_csv_rows(
    text: str,
    filename: str,
    *,
    delimiters: Sequence[str] = DELIMITERS,
    issues: IssueList | None = None,
) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """Split decoded CSV text into its header and data rows.

    Returns the delimiter (the one of ``delimiters`` that splits the header into the
    most non-empty cells; pass one delimiter to impose it), the header's cells as
    written, and the data rows with their 1-based row numbers (the header is row 1).
    Rows whose cells are all blank are skipped. Cells are not cleaned.

    A row that cannot be read (unbalanced quotes, a truncated file) raises
    ``FileError``; when ``issues`` is given, the problem is added to it instead and
    the rows read so far are returned.
    """
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    header_line = first_line(text)
    if not header_line.strip():
        raise FileError(
            filename, [FileIssue(_("row 1 is empty: the first row must be the header."), 1)]
        )
    delimiter = delimiters[0] if len(delimiters) == 1 else _guess_delimiter(header_line, delimiters)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    row_number = 0
    try:
        for row_number, cells in enumerate(reader, start=1):
            if header is None:
                header = cells
            elif any(clean_cell(cell) for cell in cells):
                rows.append((row_number, cells))
    except csv.Error as error:
        issue = FileIssue(
            _("the row could not be read (%(reason)s): unbalanced quotes, or a truncated file?")
            % {"reason": error},
            row_number + 1,
        )
        if issues is None:
            raise FileError(filename, [issue]) from error
        issues.add(issue)
    if header is None:  # the header itself could not be read
        if issues is not None:
            issues.raise_if_any(filename)
        raise FileError(filename, [FileIssue(_("the header could not be read."), 1)])
    return delimiter, header, rows
