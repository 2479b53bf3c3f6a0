"""An uploaded events file as a table: its header and its data rows, from CSV or .xlsx.

CSV: ``;`` or ``,``, UTF-8 (with or without BOM) or Windows-1252, read by
``alliance.core.textfiles``. ``.xlsx``: the first sheet, read with openpyxl; cells are
turned into the text a CSV export would hold (dates ``JJ/MM/AAAA``), so both are read
by the same parsers. Rows are numbered as the spreadsheet numbers them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from alliance.core.textfiles import (
    FileError,
    FileIssue,
    IssueList,
    clean_cell,
    decode_text,
    display_name,
    first_line,
    header_key,
    read_csv_rows,
)

#: Uploads larger than this are refused (a year of a big lycée's absences is a few MB).
MAX_FILE_BYTES = 20 * 1024 * 1024
XLSX_ENCODING = "XLSX"


@dataclass
class Table:
    filename: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str
    delimiter: str
    #: Problems met while splitting rows (a truncated CSV); reported with the rows' own.
    issues: IssueList = field(default_factory=IssueList)

    @property
    def header_keys(self) -> list[str]:
        return [header_key(h) for h in self.headers]

    @property
    def width(self) -> int:
        """Rows must have at least this many cells: up to the header's last named column."""
        named = [index for index, text in enumerate(self.headers) if text]
        return (max(named) + 1) if named else 0

    def column_label(self, index: int) -> str:
        """``C — Date début``: the spreadsheet letter and the header text."""
        name = self.headers[index] if index < len(self.headers) else ""
        return f"{column_letter(index)} — {name}" if name else column_letter(index)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: as a spreadsheet names its columns."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def header_signature(headers: list[str]) -> str:
    """SHA-256 of the normalised header row: the same headers in the same order, the same signature."""
    keys = "\x1f".join(header_key(h) for h in headers)
    return hashlib.sha256(keys.encode()).hexdigest()


def read_table(data: bytes, filename: str) -> Table:
    """Read the whole file; raise ``FileError`` (located) when it cannot be read as a table."""
    name = display_name(filename, "events.csv")
    if len(data) > MAX_FILE_BYTES:
        raise FileError(
            name,
            [
                FileIssue(
                    _("the file is larger than %(size)s MB: split it (by period, for instance).")
                    % {"size": MAX_FILE_BYTES // (1024 * 1024)}
                )
            ],
        )
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data, name)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError(
            name,
            [
                FileIssue(
                    _(
                        "this is an old Excel workbook (.xls); save it as .xlsx or as "
                        "“CSV UTF-8” and upload it again."
                    ),
                    1,
                )
            ],
        )
    else:
        text, encoding = decode_text(data, name)
        issues = IssueList()
        delimiter, header, rows = read_csv_rows(text, name, issues=issues)
        table = Table(
            name, [clean_cell(cell) for cell in header], rows, encoding, delimiter, issues
        )
        _check_separator(table, first_line(text.lstrip("\ufeff")))
    while table.headers and not table.headers[-1]:
        table.headers.pop()
    if not table.rows and not table.issues:
        raise FileError(name, [FileIssue(_("the file has a header but no data row."), 2)])
    return table


def _check_separator(table: Table, header_line: str) -> None:
    named = [text for text in table.headers if text]
    if len(named) >= 2:
        return
    if "\t" in header_line or "|" in header_line:
        message = _("wrong separator: columns must be separated by “;” or “,” (not tabs or “|”).")
    else:
        message = _(
            "the header was not recognised: row 1 must name the columns, separated by “;” or “,” "
            "(wrong separator, or no header?)."
        )
    raise FileError(table.filename, [FileIssue(message, 1, 1)])


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _read_xlsx(data: bytes, name: str) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter here.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise FileError(
            name,
            [
                FileIssue(
                    _(
                        "this compressed file is not a readable .xlsx workbook (an .ods file, or a "
                        "damaged one?); save it as .xlsx or as “CSV UTF-8”."
                    )
                )
            ],
        ) from error
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sheet = workbook.worksheets[0]
            records = [
                (number, [_xlsx_text(value) for value in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
    finally:
        workbook.close()
    if not records or not any(clean_cell(cell) for cell in records[0][1]):
        raise FileError(
            name, [FileIssue(_("row 1 is empty: the first row must be the header."), 1)]
        )
    header = [clean_cell(cell) for cell in records[0][1]]
    rows = [(number, cells) for number, cells in records[1:] if any(map(clean_cell, cells))]
    table = Table(name, header, rows, XLSX_ENCODING, "")
    return table
