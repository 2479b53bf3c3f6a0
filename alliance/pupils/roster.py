"""Roster import: the school's list of pupils and their guardians, from a CSV file.

The format is described in ``docs/formats/roster.md``. An import runs in two steps:

1. ``parse_roster`` reads and validates the *whole* file (encoding, separator,
   header, every cell, duplicates). Any problem raises ``RosterError``, which
   names the file, the row (as a spreadsheet numbers it: the header is row 1)
   and the column, before anything is looked up or written.
2. ``_plan`` compares the rows with the school's pupils and decides, without
   writing, what to create, update, leave unchanged and mark as having left.
   A dry run stops there; a real import computes the same plan inside its
   transaction and applies it (``_apply``), so both report the same thing.

Nothing of the file's content is kept: the import history stores a SHA-256
checksum and counts; audit events name the objects, never their fields.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.pupils.models import Guardian, GuardianRelationship, Pupil, RosterImport
from alliance.pupils.perms import can_import_roster
from alliance.tenancy.models import Division, Membership, School, SchoolYear
from alliance.tenancy.services import division_get_or_create
from alliance.tenancy.years import current_school_year, school_year_label

#: At most this many problems are listed in one ``RosterError``.
MAX_ISSUES = 20
#: Separators accepted between columns (detected from the header row).
DELIMITERS = (";", ",")
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

_DATE_FR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DATE_FR_SHORT_YEAR = re.compile(r"\d{1,2}/\d{1,2}/\d{2}")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_INE = re.compile(r"\d{10}[A-Z]|\d{9}[A-Z]{2}")
_PHONE = re.compile(r"\+?[0-9][0-9 .\-()]{3,30}")
_EARLIEST_BIRTH_YEAR = 1900
_NAME_MAX = 100
_DIVISION_MAX = 32
_PHONE_MAX = 32
_EMAIL_MAX = 254
_ECHO_MAX = 40


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class RosterIssue:
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
        if self.row is not None:
            return _("%(file)s, row %(row)s: %(message)s") % values
        return _("%(file)s: %(message)s") % values


class RosterError(Exception):
    """A roster file that cannot be imported: every listed problem is located in the file.

    Nothing has been written when it is raised.
    """

    def __init__(self, filename: str, issues: Sequence[RosterIssue], total: int | None = None):
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


class _IssueList:
    """Collects problems, keeping the first ``MAX_ISSUES`` and counting the rest."""

    def __init__(self) -> None:
        self.issues: list[RosterIssue] = []
        self.total = 0

    def add(self, issue: RosterIssue) -> None:
        self.total += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(issue)

    def raise_if_any(self, filename: str) -> None:
        if self.total:
            raise RosterError(filename, self.issues, self.total)


class _CellError(ValueError):
    """A cell's value is invalid; the caller adds where it is."""


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


# --------------------------------------------------------------------------- report


@dataclass
class RosterReport:
    """What an import did, or what a dry run would do: counts only, no personal data."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    left: int = 0
    divisions_created: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    roster_import: RosterImport | None = None

    @property
    def rows(self) -> int:
        """Pupils in the file."""
        return self.created + self.updated + self.unchanged

    def outcome(self) -> dict[str, Any]:
        """Everything but how it was run: a dry run and the real import give the same outcome."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "left": self.left,
            "divisions_created": self.divisions_created,
            "warnings": list(self.warnings),
            "encoding": self.encoding,
            "delimiter": self.delimiter,
        }


# --------------------------------------------------------------------------- text helpers


def plain_text(value: str) -> str:
    """Lower case, without accents, ligatures or punctuation: for comparing names and headers."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped).split())


def _header_key(value: str) -> str:
    return plain_text(value).replace(" ", "")


def identity_key(last_name: str, first_name: str, birth_date: dt.date) -> tuple[str, str, dt.date]:
    """How a pupil without INE is recognised: names without case or accents, and birth date."""
    return (plain_text(last_name), plain_text(first_name), birth_date)


def _division_key(code: str) -> str:
    return " ".join(code.casefold().split())


def _clean(value: str) -> str:
    """Trim a cell and collapse inner spaces (non-breaking ones included)."""
    return " ".join(value.replace("\u00a0", " ").split())


def _clean_multiline(value: str) -> str:
    lines = (_clean(line) for line in value.splitlines())
    return "\n".join(line for line in lines if line)


def _echo(value: str) -> str:
    """A cell's value quoted in a message, shortened."""
    shown = value if len(value) <= _ECHO_MAX else value[: _ECHO_MAX - 1] + "…"
    return f"“{shown}”"


def _display_name(filename: str) -> str:
    return PurePath(filename.replace("\\", "/")).name or "roster.csv"


# --------------------------------------------------------------------------- decoding


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    """Return the text and the encoding's name: BOM → UTF-8; else strict UTF-8; else Windows-1252."""

    def fail(
        message: str, row: int | None = 1, column: int | None = None, name: str = ""
    ) -> RosterError:
        return RosterError(filename, [RosterIssue(message, row, column, name)])

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
    name = _clean(header[column - 1]) if column <= len(header) else ""
    return row, column, name


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
    if not value:
        raise _CellError(_("a date is required (JJ/MM/AAAA)."))
    expected = _("%(value)s is not a valid date (expected JJ/MM/AAAA).") % {"value": _echo(value)}
    if match := _DATE_FR.fullmatch(value):
        day, month, year = (int(part) for part in match.groups())
    elif match := _DATE_ISO.fullmatch(value):
        year, month, day = (int(part) for part in match.groups())
    elif _DATE_FR_SHORT_YEAR.fullmatch(value):
        raise _CellError(
            _("%(value)s: the year must have four digits (JJ/MM/AAAA).") % {"value": _echo(value)}
        )
    else:
        raise _CellError(expected)
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise _CellError(expected) from None
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

    def __init__(self, header: _Header, cells: list[str], row: int, issues: _IssueList):
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
    header: _Header, cells: list[str], row: int, issues: _IssueList, today: dt.date
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


def _check_duplicates(rows: Iterable[PupilRow], header: _Header, issues: _IssueList) -> None:
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
    text, encoding = _decode(data, name)
    text = unicodedata.normalize("NFC", text)
    header_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    if not header_line.strip():
        raise RosterError(
            name, [RosterIssue(_("row 1 is empty: the first row must be the header."), 1)]
        )
    delimiter = _detect_delimiter(header_line, name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    issues = _IssueList()
    rows: list[PupilRow] = []
    header: _Header | None = None
    row_number = 0
    try:
        for row_number, cells in enumerate(reader, start=1):
            if header is None:
                header = _read_header(cells, delimiter, name)
                continue
            if not any(_clean(cell) for cell in cells):
                continue  # blank rows, often left by spreadsheets, are skipped
            pupil = _read_row(header, cells, row_number, issues, today)
            if pupil is not None:
                rows.append(pupil)
    except csv.Error as error:
        issues.add(
            RosterIssue(
                _("the row could not be read (%(reason)s): unbalanced quotes, or a truncated file?")
                % {"reason": error},
                row_number + 1,
            )
        )
    if header is None:  # the header itself could not be read
        issues.raise_if_any(name)
        raise RosterError(name, [RosterIssue(_("the header could not be read."), 1)])
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
    )


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class _NewDivision:
    code: str


@dataclass
class _Entry:
    row: PupilRow
    pupil: Pupil | None  # None: a pupil to create
    division: Division | _NewDivision
    changes: dict[str, Any] = field(default_factory=dict)
    guardians_changed: bool = False

    @property
    def is_update(self) -> bool:
        return self.pupil is not None and bool(self.changes or self.guardians_changed)


@dataclass
class _Plan:
    entries: list[_Entry]
    leaving: list[Pupil]
    new_divisions: dict[str, _NewDivision]
    warnings: list[str]

    def report(self, parsed: ParsedRoster, *, dry_run: bool) -> RosterReport:
        created = sum(1 for e in self.entries if e.pupil is None)
        updated = sum(1 for e in self.entries if e.is_update)
        return RosterReport(
            created=created,
            updated=updated,
            unchanged=len(self.entries) - created - updated,
            left=len(self.leaving),
            divisions_created=len(self.new_divisions),
            dry_run=dry_run,
            warnings=[*parsed.warnings, *self.warnings],
            encoding=parsed.encoding,
            delimiter=parsed.delimiter,
        )


def _existing_current_year(school: School, day: dt.date) -> SchoolYear | None:
    """The year ``current_school_year`` would return, without creating it."""
    return (
        school.years.filter(starts_on__lte=day, ends_on__gte=day).first()
        or school.years.filter(label=school_year_label(day)).first()
    )


def _guardian_values(guardians: Iterable[Guardian | GuardianRow]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            g.last_name,
            g.first_name,
            str(g.relationship),
            g.legal_responsibility,
            g.phone,
            g.email,
            g.address,
        )
        for g in guardians
    )


def _plan(school: School, parsed: ParsedRoster, today: dt.date) -> _Plan:
    """Compare the file with the school's pupils. Reads only; may raise ``RosterError``."""
    year = _existing_current_year(school, today)
    divisions = (
        {_division_key(d.code): d for d in Division.objects.filter(school_year=year)}
        if year
        else {}
    )
    new_divisions: dict[str, _NewDivision] = {}
    pupils = list(Pupil.objects.filter(school=school).prefetch_related("guardians").order_by("pk"))
    by_ine = {p.national_id: p for p in pupils if p.national_id}
    by_identity: dict[tuple[str, str, dt.date], list[Pupil]] = {}
    for known in pupils:
        known_key = identity_key(known.last_name, known.first_name, known.birth_date)
        by_identity.setdefault(known_key, []).append(known)

    issues = _IssueList()
    warnings: list[str] = []
    matched: dict[int, int] = {}  # pupil pk → row
    entries: list[_Entry] = []
    for row in parsed.rows:
        pupil: Pupil | None = by_ine.get(row.national_id) if row.national_id else None
        if pupil is None:
            candidates = by_identity.get(row.identity_key, [])
            if row.national_id:
                # Both have an INE and they differ: not the same pupil.
                others = [p for p in candidates if p.national_id]
                candidates = [p for p in candidates if not p.national_id]
                if others and not candidates:
                    warnings.append(
                        _(
                            "Row %(row)s: a pupil with the same names and birth date but another INE "
                            "is already recorded; a new pupil is created."
                        )
                        % {"row": row.row}
                    )
            if len(candidates) > 1:
                issues.add(
                    RosterIssue(
                        _(
                            "%(count)s pupils of the school have this nom, prenom and "
                            "date_naissance; give the INE to tell which one this row is."
                        )
                        % {"count": len(candidates)},
                        row.row,
                    )
                )
                continue
            pupil = candidates[0] if candidates else None
        if pupil is not None:
            first = matched.setdefault(pupil.pk, row.row)
            if first != row.row:
                issues.add(
                    RosterIssue(
                        _(
                            "rows %(first)s and %(second)s both correspond to the same pupil already "
                            "recorded (one by INE, one by names and birth date)."
                        )
                        % {"first": first, "second": row.row},
                        row.row,
                    )
                )
                continue

        key = _division_key(row.division)
        division: Division | _NewDivision
        if key in divisions:
            division = divisions[key]
        else:
            division = new_divisions.setdefault(key, _NewDivision(row.division))
        entry = _Entry(row=row, pupil=pupil, division=division)
        if pupil is not None:
            entry.changes = _pupil_changes(pupil, row, division)
            entry.guardians_changed = bool(row.guardians) and _guardian_values(
                pupil.guardians.all()
            ) != _guardian_values(row.guardians)
        entries.append(entry)
    issues.raise_if_any(parsed.filename)

    leaving = [p for p in pupils if p.left_on is None and p.pk not in matched]
    current = sum(1 for p in pupils if p.left_on is None)
    if current >= 10 and len(leaving) * 5 > current:
        warnings.append(
            _(
                "%(left)s of the %(current)s current pupils are not in the file and are marked as "
                "having left: check that the file is the whole roster."
            )
            % {"left": len(leaving), "current": current}
        )
    return _Plan(entries=entries, leaving=leaving, new_divisions=new_divisions, warnings=warnings)


def _pupil_changes(
    pupil: Pupil, row: PupilRow, division: Division | _NewDivision
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("last_name", "first_name", "birth_date"):
        if getattr(pupil, name) != getattr(row, name):
            changes[name] = getattr(row, name)
    if isinstance(division, _NewDivision) or pupil.division_id != division.pk:
        changes["division"] = division
    # The INE is stored only when the file gives it: an empty cell keeps the one recorded.
    if row.national_id and row.national_id != pupil.national_id:
        changes["national_id"] = row.national_id
    if pupil.left_on is not None:
        changes["left_on"] = None
    return changes


# --------------------------------------------------------------------------- apply


def _create_guardians(actor: Membership, pupil: Pupil, rows: Iterable[GuardianRow]) -> None:
    for row in rows:
        guardian = Guardian.objects.create(
            school_id=pupil.school_id,
            pupil=pupil,
            last_name=row.last_name,
            first_name=row.first_name,
            relationship=row.relationship,
            legal_responsibility=row.legal_responsibility,
            phone=row.phone,
            email=row.email,
            address=row.address,
        )
        audit_record(action="create", target=guardian, membership=actor)


def _apply(
    actor: Membership, school: School, plan: _Plan, report: RosterReport, checksum: str
) -> RosterImport:
    today = clock.today()
    created_divisions: dict[_NewDivision, Division] = {}
    if plan.new_divisions:
        year = current_school_year(school, today)
        for new in plan.new_divisions.values():
            created_divisions[new] = division_get_or_create(school_year=year, code=new.code)

    def resolve(division: Division | _NewDivision) -> Division:
        return created_divisions[division] if isinstance(division, _NewDivision) else division

    history = RosterImport.objects.create(
        school=school,
        membership=actor,
        imported_at=clock.now(),
        file_sha256=checksum,
        created_count=report.created,
        updated_count=report.updated,
        unchanged_count=report.unchanged,
        left_count=report.left,
    )
    audit_record(action="import", target=history, membership=actor)

    for entry in plan.entries:
        row = entry.row
        if entry.pupil is None:
            pupil = Pupil.objects.create(
                school=school,
                last_name=row.last_name,
                first_name=row.first_name,
                birth_date=row.birth_date,
                division=resolve(entry.division),
                national_id=row.national_id,
            )
            audit_record(action="create", target=pupil, membership=actor)
            _create_guardians(actor, pupil, row.guardians)
            continue
        if not entry.is_update:
            continue
        pupil = entry.pupil
        for name, value in entry.changes.items():
            setattr(pupil, name, resolve(value) if name == "division" else value)
        pupil.version += 1
        pupil.save(update_fields=[*entry.changes, "version", "updated_at"])
        audit_record(action="update", target=pupil, membership=actor)
        if entry.guardians_changed:
            for guardian in list(pupil.guardians.all()):
                audit_record(action="delete", target=guardian, membership=actor)
                guardian.delete()
            _create_guardians(actor, pupil, row.guardians)

    for pupil in plan.leaving:
        pupil.left_on = today
        pupil.version += 1
        pupil.save(update_fields=["left_on", "version", "updated_at"])
        audit_record(action="update", target=pupil, membership=actor)
    return history


def roster_import_file(
    *, actor: Membership, data: bytes, filename: str, dry_run: bool = False
) -> RosterReport:
    """Import a roster file into the actor's school, or (``dry_run``) say what importing would do.

    The whole file is validated before anything is written; a problem raises
    ``RosterError`` and leaves the database as it was. The import itself is one
    transaction: pupils created or updated (only when something changed), pupils
    absent from the file marked as having left today, one audit event for the
    import and one per pupil written, and a ``RosterImport`` history row
    (checksum and counts, never the file's content).
    """
    if actor is None or not can_import_roster(actor):
        raise PermissionDenied
    today = clock.today()
    parsed = parse_roster(data, filename, today=today)
    if dry_run:
        plan = _plan(actor.school, parsed, today)
        return plan.report(parsed, dry_run=True)
    with transaction.atomic():
        # One import at a time per school: the plan must see what the previous import wrote.
        school = School.objects.select_for_update().get(pk=actor.school_id)
        plan = _plan(school, parsed, today)
        report = plan.report(parsed, dry_run=False)
        report.roster_import = _apply(actor, school, plan, report, hashlib.sha256(data).hexdigest())
    return report
