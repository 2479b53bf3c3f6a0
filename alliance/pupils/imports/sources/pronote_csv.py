"""A Pronote list exported as CSV (docs/formats/pronote-list.md).

UTF-8 with a BOM, ";" and CRLF as Pronote writes it (Windows-1252 and "," are read
too). Columns are found by their header, never their position; which columns a
list has depends on what its author chose to show, so the dry run shows how each
one was read. The pupil is in one field, ``Élève``: "SURNAME Given names", the
surname in capitals (``LE PAIN--PERDU Alexia``).

A list may hold only some pupils (one class, a selection): it marks no one as
having left unless the importer says it holds every pupil (``full_list``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from alliance.core.textfiles import (
    CellError,
    FileIssue,
    IssueList,
    clean_cell,
    decode_text,
    display_name,
    echo,
    header_key,
    parse_french_date,
    read_csv_rows,
)
from alliance.pupils.imports.errors import RosterError
from alliance.pupils.imports.records import (
    ColumnUse,
    ParsedFile,
    PupilRecord,
    identity_key,
    row_locator,
)
from alliance.pupils.models import RosterSource
from alliance.pupils.roster import parse_date, parse_ine

_NAME_MAX = 100
_DIVISION_MAX = 32

#: normalised header → record field
_HEADERS = {
    "eleve": "name",
    "eleves": "name",
    "neele": "birth_date",
    "nele": "birth_date",
    "datedenaissance": "birth_date",
    "datenaissance": "birth_date",
    "entree": "entered_on",
    "dateentree": "entered_on",
    "datedentree": "entered_on",
    "sortie": "left_on",
    "datesortie": "left_on",
    "datedesortie": "left_on",
    "classederattachement": "division",
    "classe": "division",
    "division": "division",
    "ine": "national_id",
    "numeronational": "national_id",
    "identifiantnational": "national_id",
}
_REQUIRED = ("name", "birth_date")


def _labels() -> dict[str, str]:
    return {
        "name": _("surname and given names"),
        "birth_date": _("birth date"),
        "entered_on": _("entry date"),
        "left_on": _("leaving date"),
        "division": _("division"),
        "national_id": _("INE"),
    }


def split_name(value: str) -> tuple[str, str]:
    """ "LE PAIN--PERDU Alexia Marie" → ("LE PAIN--PERDU", "Alexia Marie").

    The surname is the leading words written in capitals; the given names follow.
    Raises ``CellError`` when they cannot be told apart.
    """
    words = value.split()
    surname: list[str] = []
    for word in words:
        # The last word is always a given name.
        capitals = any(c.isalpha() for c in word) and word == word.upper()
        if capitals and len(surname) < len(words) - 1:
            surname.append(word)
        else:
            break
    given = words[len(surname) :]
    if not value:
        raise CellError(_("a value is required."))
    if not surname or not given:
        raise CellError(
            _("%(value)s: expected the surname in capitals, then the given names (“DUPONT Marie”).")
            % {"value": echo(value)}
        )
    last_name, first_name = " ".join(surname), " ".join(given)
    if len(last_name) > _NAME_MAX or len(first_name) > _NAME_MAX:
        raise CellError(_("at most %(max)s characters.") % {"max": _NAME_MAX})
    return last_name, first_name


def _parse_division(value: str) -> str:
    if len(value) > _DIVISION_MAX:
        raise CellError(_("at most %(max)s characters.") % {"max": _DIVISION_MAX})
    return value


def _parse_optional_date(value: str) -> dt.date | None:
    return parse_french_date(value) if value else None


def parse(data: bytes, filename: str, *, today: dt.date, full_list: bool = False) -> ParsedFile:
    """The whole list, validated (``RosterError`` listing every problem found)."""
    name = display_name(filename, "pronote.csv")
    text, encoding = decode_text(data, name)
    read_issues = IssueList(RosterError)
    delimiter, header_cells, rows = read_csv_rows(
        text, name, delimiters=(";", ",", "\t"), issues=read_issues
    )

    # ------------------------------------------------------------------ header
    issues = IssueList(RosterError)
    labels = _labels()
    positions: dict[str, int] = {}
    columns: list[ColumnUse] = []
    not_imported: list[str] = []
    headers = [clean_cell(cell) for cell in header_cells]
    for index, text_ in enumerate(headers):
        field = _HEADERS.get(header_key(text_))
        if field is None:
            if text_:
                not_imported.append(text_)
                columns.append(ColumnUse(index + 1, text_, _("not imported")))
            continue
        if field in positions:
            issues.add(
                FileIssue(
                    _("column “%(name)s” appears twice (columns %(first)s and %(second)s).")
                    % {"name": text_, "first": positions[field] + 1, "second": index + 1},
                    1,
                    index + 1,
                    text_,
                )
            )
            continue
        positions[field] = index
        columns.append(ColumnUse(index + 1, text_, labels[field]))
    for field in _REQUIRED:
        if field not in positions:
            issues.add(
                FileIssue(
                    _("the column “%(name)s” is missing (columns found: %(found)s).")
                    % {
                        "name": "Élève" if field == "name" else "Né(e) le",
                        "found": ", ".join(h for h in headers if h) or "—",
                    },
                    1,
                )
            )
    issues.raise_if_any(name)
    width = max(index for index, text_ in enumerate(headers) if text_) + 1

    # ------------------------------------------------------------------ rows
    records: list[PupilRecord] = []
    for row, cells in rows:
        if len(cells) < width:
            issues.add(
                FileIssue(
                    _(
                        "this row has %(found)s fields but the header has %(expected)s: it stops "
                        "before this column (truncated file?)."
                    )
                    % {"found": len(cells), "expected": width},
                    row,
                    len(cells) + 1,
                    headers[len(cells)],
                )
            )
            continue
        if any(clean_cell(cell) for cell in cells[len(headers) :]):
            issues.add(
                FileIssue(_("a value beyond the header’s last column."), row, len(headers) + 1)
            )
            continue
        reader = _RowReader(cells, row, positions, headers, issues)
        cell = reader.parse
        names = cell("name", split_name)
        birth_date = cell("birth_date", parse_date, today)
        entered_on = cell("entered_on", _parse_optional_date)
        left_on = cell("left_on", _parse_optional_date)
        division = cell("division", _parse_division) or ""
        national_id = cell("national_id", parse_ine) or ""
        if not reader.ok:
            continue
        assert isinstance(names, tuple) and isinstance(birth_date, dt.date)
        records.append(
            PupilRecord(
                locator=row_locator(row),
                row=row,
                last_name=names[0],
                first_name=names[1],
                birth_date=birth_date,
                division=str(division),
                national_id=str(national_id),
                entered_on=entered_on if isinstance(entered_on, dt.date) else None,
                left_on=left_on if isinstance(left_on, dt.date) else None,
                capitalised_last_name=True,
            )
        )
    issues.extend(read_issues)
    if not records and not issues:
        issues.add(FileIssue(_("the list has a header but no pupil."), 2))
    _check_duplicates(records, positions, headers, issues)
    issues.raise_if_any(name)

    return ParsedFile(
        filename=name,
        source_format=RosterSource.PRONOTE_CSV,
        records=records,
        full_roster=full_list,
        encoding=encoding,
        delimiter=delimiter,
        details=[
            _("This list holds every pupil: those missing from it are marked as having left.")
            if full_list
            else _(
                "This list may hold only some pupils: no one is marked as having left because "
                "they are missing from it."
            )
        ],
        not_imported=not_imported,
        columns=columns,
        positions={
            "last_name": (positions["name"] + 1, headers[positions["name"]]),
            **{
                field: (index + 1, headers[index])
                for field, index in positions.items()
                if field != "name"
            },
        },
        may_create_divisions=False,
    )


class _RowReader:
    """Reads the cells of one data row, collecting located problems."""

    def __init__(
        self,
        cells: list[str],
        row: int,
        positions: dict[str, int],
        headers: list[str],
        issues: IssueList,
    ):
        self.cells, self.row, self.positions = cells, row, positions
        self.headers, self.issues = headers, issues
        self.ok = True

    def parse(self, field: str, parser: Callable[..., Any], *args: Any) -> Any:
        if field not in self.positions:
            return None
        index = self.positions[field]
        try:
            return parser(clean_cell(self.cells[index]), *args)
        except CellError as error:
            self.ok = False
            self.issues.add(FileIssue(str(error), self.row, index + 1, self.headers[index]))
            return None


def _check_duplicates(
    records: list[PupilRecord], positions: dict[str, int], headers: list[str], issues: IssueList
) -> None:
    by_ine: dict[str, int] = {}
    by_identity: dict[tuple[str, str, dt.date], int] = {}
    for record in records:
        assert record.row is not None
        if record.national_id:
            first = by_ine.setdefault(record.national_id, record.row)
            if first != record.row:
                index = positions["national_id"]
                issues.add(
                    FileIssue(
                        _("same INE as row %(first)s: each pupil must appear once.")
                        % {"first": first},
                        record.row,
                        index + 1,
                        headers[index],
                    )
                )
                continue
        key = identity_key(record.last_name, record.first_name, record.birth_date)
        first = by_identity.setdefault(key, record.row)
        if first != record.row:
            index = positions["name"]
            issues.add(
                FileIssue(
                    _("same names and birth date as row %(first)s: each pupil must appear once.")
                    % {"first": first},
                    record.row,
                    index + 1,
                    headers[index],
                )
            )
