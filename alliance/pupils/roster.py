"""Roster import: the school's list of pupils and their guardians, from a CSV file.

The format is described in ``docs/formats/roster.md``. ``parse_roster`` reads
and validates the *whole* file (encoding, separator, header, every cell,
duplicates). Any problem raises ``RosterError``, which names the file, the row
(as a spreadsheet numbers it: the header is row 1) and the column, before
anything is looked up or written.

Planning and applying the import (for this and every other kind of roster file)
is ``alliance.pupils.imports.pipeline``'s job: the rows are compared with the
school's pupils, a dry run stops there, and a real import plans again inside
its transaction and applies the plan, so both report the same thing.

Nothing of the file's content is kept: the import history stores a SHA-256
checksum and counts; audit events name the objects, never their fields.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from alliance.core import clock
from alliance.core.textfiles import (
    DELIMITERS,
    CellError,
    FileError,
    FileIssue,
    IssueList,
    clean_cell,
    clean_multiline,
    decode_text,
    display_name,
    echo,
    first_line,
    header_key,
    parse_french_date,
    plain_text,
    read_csv_rows,
)
from alliance.core.textfiles import MAX_ISSUES as MAX_ISSUES  # re-exported
from alliance.pupils.imports.errors import RosterError
from alliance.pupils.imports.records import identity_key
from alliance.pupils.imports.report import ImportReport
from alliance.pupils.models import GuardianRelationship
from alliance.tenancy.models import Membership

#: Names of separators we recognise only to say they are the wrong ones.
_FOREIGN_DELIMITERS = {"\t": "tab", "|": "|"}

REQUIRED_COLUMNS = ("nom", "prenom", "date_naissance", "division")
PUPIL_COLUMNS = (*REQUIRED_COLUMNS, "ine")
GUARDIAN_SUFFIXES = (
    "nom",
    "prenom",
    "lien",
    "autorite_parentale",
    "telephone",
    "courriel",
    "adresse",
)
GUARDIAN_PREFIXES = ("resp1", "resp2")
ALL_COLUMNS = (
    *PUPIL_COLUMNS,
    *(f"{prefix}_{suffix}" for prefix in GUARDIAN_PREFIXES for suffix in GUARDIAN_SUFFIXES),
)

# Header cells are compared without case, accents, spaces or punctuation:
# "Date de naissance", "DATE_NAISSANCE" and "date naissance" are the same column.
_PUPIL_ALIASES = {
    "nom": "nom",
    "prenom": "prenom",
    "datenaissance": "date_naissance",
    "datedenaissance": "date_naissance",
    "division": "division",
    "classe": "division",
    "ine": "ine",
}
_GUARDIAN_SUFFIX_ALIASES = {
    "nom": "nom",
    "prenom": "prenom",
    "lien": "lien",
    "autoriteparentale": "autorite_parentale",
    "telephone": "telephone",
    "tel": "telephone",
    "courriel": "courriel",
    "email": "courriel",
    "mail": "courriel",
    "adresse": "adresse",
}
_GUARDIAN_PREFIX_ALIASES = {"resp": "resp", "responsable": "resp"}


def _build_aliases() -> dict[str, str]:
    aliases = dict(_PUPIL_ALIASES)
    for number in ("1", "2"):
        for prefix in _GUARDIAN_PREFIX_ALIASES:
            for suffix, canonical in _GUARDIAN_SUFFIX_ALIASES.items():
                aliases[f"{prefix}{number}{suffix}"] = f"resp{number}_{canonical}"
    return aliases


COLUMN_ALIASES = _build_aliases()

RELATIONSHIPS = {
    "mere": GuardianRelationship.MOTHER,
    "pere": GuardianRelationship.FATHER,
    "tuteur": GuardianRelationship.GUARDIAN,
    "tutrice": GuardianRelationship.GUARDIAN,
    "ase": GuardianRelationship.CHILD_WELFARE,
    "autre": GuardianRelationship.OTHER,
}
YES_NO = {"oui": True, "non": False}

_INE = re.compile(r"\d{10}[A-Z]|\d{9}[A-Z]{2}")
_PHONE = re.compile(r"\+?[0-9][0-9 .\-()]{3,30}")
_EARLIEST_BIRTH_YEAR = 1900
_NAME_MAX = 100
_DIVISION_MAX = 32
_PHONE_MAX = 32
_EMAIL_MAX = 254


# --------------------------------------------------------------------------- errors

#: Kept for callers of the first roster import: a located problem.
RosterIssue = FileIssue


def _IssueList() -> IssueList:
    return IssueList(RosterError)


_CellError = CellError


# --------------------------------------------------------------------------- parsed rows


@dataclass(frozen=True)
class GuardianRow:
    last_name: str
    first_name: str
    relationship: str
    legal_responsibility: bool
    phone: str
    email: str
    address: str

    def values(self) -> tuple[str, str, str, bool, str, str, str]:
        return (
            self.last_name,
            self.first_name,
            self.relationship,
            self.legal_responsibility,
            self.phone,
            self.email,
            self.address,
        )


@dataclass(frozen=True)
class PupilRow:
    row: int
    last_name: str
    first_name: str
    birth_date: dt.date
    division: str
    national_id: str = ""
    guardians: tuple[GuardianRow, ...] = ()

    @property
    def identity_key(self) -> tuple[str, str, dt.date]:
        return identity_key(self.last_name, self.first_name, self.birth_date)


@dataclass
class ParsedRoster:
    filename: str
    rows: list[PupilRow]
    encoding: str
    delimiter: str
    has_guardian_columns: bool
    warnings: list[str] = field(default_factory=list)
    #: canonical column name → (column number, header as written)
    positions: dict[str, tuple[int, str]] = field(default_factory=dict)


# --------------------------------------------------------------------------- report

#: Kept for callers of the first roster import.
RosterReport = ImportReport


# --------------------------------------------------------------------------- text helpers


_header_key = header_key
_clean = clean_cell
_clean_multiline = clean_multiline
_echo = echo


def _display_name(filename: str) -> str:
    return display_name(filename, "roster.csv")


# --------------------------------------------------------------------------- header


@dataclass(frozen=True)
class _Header:
    delimiter: str
    #: the header's cells as written; rows must have at least ``width`` fields
    texts: tuple[str, ...]
    width: int
    #: canonical column name → (0-based index, header text as written)
    columns: dict[str, tuple[int, str]]
    ignored: tuple[tuple[int, str], ...]

    def position(self, name: str) -> tuple[int, str]:
        index, text = self.columns[name]
        return index + 1, text


def _detect_delimiter(header_line: str, filename: str) -> str:
    def recognised(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return len({COLUMN_ALIASES[k] for k in map(_header_key, cells) if k in COLUMN_ALIASES})

    scores = {delimiter: recognised(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])
    if scores[best] >= 2:
        return best
    for foreign, label in _FOREIGN_DELIMITERS.items():
        if foreign in header_line and recognised(foreign) >= 2:
            message = _(
                "wrong separator: the header’s columns are separated by “%(found)s”; "
                "use “;” or “,”."
            ) % {"found": label}
            break
    else:
        message = _(
            "the header was not recognised: row 1 must name the columns (nom, prenom, "
            "date_naissance, division…), separated by “;” or “,” (wrong separator, or no header?)."
        )
    raise RosterError(filename, [RosterIssue(message, 1, 1)])


def _read_header(cells: list[str], delimiter: str, filename: str) -> _Header:
    issues = _IssueList()
    columns: dict[str, tuple[int, str]] = {}
    ignored: list[tuple[int, str]] = []
    for index, cell in enumerate(cells):
        text = _clean(cell)
        canonical = COLUMN_ALIASES.get(_header_key(text))
        if canonical is None:
            if text:
                ignored.append((index + 1, text))
            continue
        if canonical in columns:
            first = columns[canonical][0] + 1
            issues.add(
                RosterIssue(
                    _("column “%(name)s” appears twice (columns %(first)s and %(second)s).")
                    % {"name": canonical, "first": first, "second": index + 1},
                    1,
                    index + 1,
                    text,
                )
            )
            continue
        columns[canonical] = (index, text)
    found = ", ".join(text for _index, text in sorted(columns.values())) or "—"
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            issues.add(
                RosterIssue(
                    _("the required column “%(name)s” is missing (columns found: %(found)s).")
                    % {"name": name, "found": found},
                    1,
                )
            )
    for prefix in GUARDIAN_PREFIXES:
        if any(name.startswith(f"{prefix}_") for name in columns):
            for needed in (f"{prefix}_nom", f"{prefix}_lien"):
                if needed not in columns:
                    issues.add(
                        RosterIssue(
                            _(
                                "the column “%(name)s” is missing: it is required when other "
                                "“%(prefix)s_” columns are given."
                            )
                            % {"name": needed, "prefix": prefix},
                            1,
                        )
                    )
    issues.raise_if_any(filename)
    texts = tuple(_clean(cell) for cell in cells)
    # Empty cells after the last named column (trailing separators) are not required in rows.
    width = max(index for index, text in enumerate(texts) if text) + 1
    return _Header(delimiter, texts, width, columns, tuple(ignored))


# --------------------------------------------------------------------------- cells


def _parse_name(value: str) -> str:
    if not value:
        raise _CellError(_("a value is required."))
    if len(value) > _NAME_MAX:
        raise _CellError(_("at most %(max)s characters.") % {"max": _NAME_MAX})
    return value


def parse_date(value: str, today: dt.date) -> dt.date:
    """A birth date written ``JJ/MM/AAAA`` (or ``AAAA-MM-JJ``): real, not in the future."""
    date = parse_french_date(value)
    if date > today:
        raise _CellError(_("%(value)s is in the future.") % {"value": _echo(value)})
    if date.year < _EARLIEST_BIRTH_YEAR:
        raise _CellError(_("%(value)s is not a plausible birth date.") % {"value": _echo(value)})
    return date


def parse_ine(value: str) -> str:
    """An INE: 10 digits and a letter, or 9 digits and 2 letters; empty when not given."""
    ine = value.upper()
    if ine and not _INE.fullmatch(ine):
        raise _CellError(
            _(
                "%(value)s is not a valid INE (expected 10 digits and a letter, "
                "or 9 digits and 2 letters)."
            )
            % {"value": _echo(value)}
        )
    return ine


def _parse_division(value: str) -> str:
    if not value:
        raise _CellError(_("a division is required."))
    if len(value) > _DIVISION_MAX:
        raise _CellError(_("at most %(max)s characters.") % {"max": _DIVISION_MAX})
    return value


def _parse_relationship(value: str) -> str:
    relationship = RELATIONSHIPS.get(plain_text(value).replace(" ", ""))
    if relationship is None:
        raise _CellError(
            _("%(value)s is not a known link (expected mère, père, tuteur, ASE or autre).")
            % {"value": _echo(value)}
        )
    return str(relationship)


def _parse_yes_no(value: str) -> bool:
    if not value:
        return True
    answer = YES_NO.get(plain_text(value))
    if answer is None:
        raise _CellError(_("%(value)s: expected oui or non.") % {"value": _echo(value)})
    return answer


def _parse_phone(value: str) -> str:
    if value and (len(value) > _PHONE_MAX or not _PHONE.fullmatch(value)):
        raise _CellError(_("%(value)s is not a phone number.") % {"value": _echo(value)})
    return value


def _parse_email(value: str) -> str:
    if value:
        try:
            if len(value) > _EMAIL_MAX:
                raise ValidationError("too long")
            validate_email(value)
        except ValidationError:
            raise _CellError(
                _("%(value)s is not an e-mail address.") % {"value": _echo(value)}
            ) from None
    return value


# --------------------------------------------------------------------------- rows


class _RowReader:
    """Reads the cells of one data row, collecting located problems."""

    def __init__(self, header: _Header, cells: list[str], row: int, issues: IssueList):
        self.header = header
        self.cells = cells
        self.row = row
        self.issues = issues
        self.ok = True

    def has(self, name: str) -> bool:
        return name in self.header.columns

    def raw(self, name: str) -> str:
        if name not in self.header.columns:
            return ""
        return self.cells[self.header.columns[name][0]]

    def value(self, name: str) -> str:
        if name.endswith("_adresse"):
            return _clean_multiline(self.raw(name))
        return _clean(self.raw(name))

    def fail(self, name: str, message: str) -> None:
        self.ok = False
        column, text = self.header.position(name)
        self.issues.add(RosterIssue(message, self.row, column, text))

    def parse(self, name: str, parser: Any, *args: Any) -> Any:
        try:
            return parser(self.value(name), *args)
        except _CellError as error:
            self.fail(name, str(error))
            return None


def _read_guardian(reader: _RowReader, prefix: str) -> GuardianRow | None:
    names = [f"{prefix}_{suffix}" for suffix in GUARDIAN_SUFFIXES]
    if not any(reader.value(name) for name in names):
        return None
    # The header has the guardian's nom and lien columns (checked in ``_read_header``).
    last_name = reader.parse(f"{prefix}_nom", _parse_name)
    first_name = reader.value(f"{prefix}_prenom")
    if len(first_name) > _NAME_MAX:
        reader.fail(f"{prefix}_prenom", _("at most %(max)s characters.") % {"max": _NAME_MAX})
    relationship = ""
    if reader.value(f"{prefix}_lien"):
        relationship = reader.parse(f"{prefix}_lien", _parse_relationship)
    else:
        reader.fail(
            f"{prefix}_lien",
            _("the guardian’s link is required (mère, père, tuteur, ASE or autre)."),
        )
    legal = reader.parse(f"{prefix}_autorite_parentale", _parse_yes_no)
    phone = reader.parse(f"{prefix}_telephone", _parse_phone)
    email = reader.parse(f"{prefix}_courriel", _parse_email)
    address = reader.value(f"{prefix}_adresse")
    if not reader.ok:
        return None
    return GuardianRow(
        last_name=last_name,
        first_name=first_name,
        relationship=relationship,
        legal_responsibility=legal,
        phone=phone,
        email=email,
        address=address,
    )


def _read_row(
    header: _Header, cells: list[str], row: int, issues: IssueList, today: dt.date
) -> PupilRow | None:
    if len(cells) < header.width:
        missing = len(cells) + 1
        name = header.texts[len(cells)]
        issues.add(
            RosterIssue(
                _(
                    "this row has %(found)s fields but the header has %(expected)s: it stops before "
                    "this column (truncated file, or a separator other than “%(delimiter)s”?)."
                )
                % {"found": len(cells), "expected": header.width, "delimiter": header.delimiter},
                row,
                missing,
                name,
            )
        )
        return None
    if any(_clean(cell) for cell in cells[header.width :]):
        issues.add(
            RosterIssue(
                _(
                    "a value beyond the header’s last column (a “%(delimiter)s” inside a value must be "
                    "in quotes)."
                )
                % {"delimiter": header.delimiter},
                row,
                header.width + 1,
            )
        )
        return None
    reader = _RowReader(header, cells, row, issues)
    last_name = reader.parse("nom", _parse_name)
    first_name = reader.parse("prenom", _parse_name)
    birth_date = reader.parse("date_naissance", parse_date, today)
    division = reader.parse("division", _parse_division)
    national_id = reader.parse("ine", parse_ine)
    guardians = tuple(
        guardian
        for prefix in GUARDIAN_PREFIXES
        if (guardian := _read_guardian(reader, prefix)) is not None
    )
    if not reader.ok:
        return None
    return PupilRow(
        row=row,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        division=division,
        national_id=national_id,
        guardians=guardians,
    )


def _check_duplicates(rows: Iterable[PupilRow], header: _Header, issues: IssueList) -> None:
    by_ine: dict[str, int] = {}
    by_identity: dict[tuple[str, str, dt.date], int] = {}
    for pupil in rows:
        if pupil.national_id:
            first = by_ine.setdefault(pupil.national_id, pupil.row)
            if first != pupil.row:
                column, text = header.position("ine")
                issues.add(
                    RosterIssue(
                        _(
                            "same INE as row %(first)s: rows %(first)s and %(second)s describe the "
                            "same pupil; each pupil must appear once."
                        )
                        % {"first": first, "second": pupil.row},
                        pupil.row,
                        column,
                        text,
                    )
                )
                continue
        first = by_identity.setdefault(pupil.identity_key, pupil.row)
        if first != pupil.row:
            column, text = header.position("nom")
            issues.add(
                RosterIssue(
                    _(
                        "same nom, prenom and date_naissance as row %(first)s: rows %(first)s and "
                        "%(second)s describe the same pupil; each pupil must appear once."
                    )
                    % {"first": first, "second": pupil.row},
                    pupil.row,
                    column,
                    text,
                )
            )


def parse_roster(data: bytes, filename: str, *, today: dt.date | None = None) -> ParsedRoster:
    """Read and validate a whole roster file; raise ``RosterError`` listing every problem found."""
    name = _display_name(filename)
    today = today or clock.today()
    try:
        text, encoding = decode_text(data, name)
    except FileError as error:
        raise RosterError(name, error.issues, error.total) from None
    text = unicodedata.normalize("NFC", text)
    header_line = first_line(text)
    if not header_line.strip():
        raise RosterError(
            name, [RosterIssue(_("row 1 is empty: the first row must be the header."), 1)]
        )
    delimiter = _detect_delimiter(header_line, name)
    read_issues = _IssueList()
    try:
        _delimiter, header_cells, data_rows = read_csv_rows(
            text, name, delimiters=(delimiter,), issues=read_issues
        )
    except FileError as error:
        raise RosterError(name, error.issues, error.total) from None
    header = _read_header(header_cells, delimiter, name)
    issues = _IssueList()
    rows: list[PupilRow] = []
    for row_number, cells in data_rows:
        pupil = _read_row(header, cells, row_number, issues, today)
        if pupil is not None:
            rows.append(pupil)
    # A row that could not be read stops the reading: it is listed after the rows before it.
    issues.extend(read_issues)
    if not rows and not issues.total:
        issues.add(
            RosterIssue(
                _(
                    "the file has a header but no pupil. An empty roster would mark every pupil as "
                    "having left, so it is refused."
                ),
                2,
            )
        )
    _check_duplicates(rows, header, issues)
    issues.raise_if_any(name)
    warnings = [
        _("Column %(column)s (“%(name)s”) is not part of the roster format and was ignored.")
        % {"column": column, "name": text}
        for column, text in header.ignored
    ]
    return ParsedRoster(
        filename=name,
        rows=rows,
        encoding=encoding,
        delimiter=delimiter,
        has_guardian_columns=any(c.startswith("resp") for c in header.columns),
        warnings=warnings,
        positions={name: header.position(name) for name in header.columns},
    )


# --------------------------------------------------------------------------- import


def roster_import_file(
    *, actor: Membership, data: bytes, filename: str, dry_run: bool = False
) -> ImportReport:
    """Import a roster file into the actor's school, or (``dry_run``) say what importing would do.

    Any supported kind of file is accepted (see ``alliance.pupils.imports.pipeline``).
    """
    # Imported here: the pipeline reads Alliance CSV files with this module's parser.
    from alliance.pupils.imports.pipeline import roster_import_file as import_file

    return import_file(actor=actor, data=data, filename=filename, dry_run=dry_run)
