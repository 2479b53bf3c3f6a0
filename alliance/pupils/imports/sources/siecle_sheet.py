"""SIECLE's spreadsheet export "Élèves complète" (.xls or .xlsx; docs/formats/siecle-spreadsheet.md).

About 136 columns; Alliance reads a few, found by their header (compared without
case, accents, spaces, non-breaking spaces or punctuation, so "Repr. Lég." and
"repr. légal" are the same), never by their position. Copies re-saved by a
spreadsheet are read too: codes turned into numbers (leading zeros lost), dates
turned into date cells, duplicate or blank headers, one row per structure (the
rows of one pupil are merged; the division is the structure of type D).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings as python_warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from alliance.core.textfiles import (
    CellError,
    FileIssue,
    IssueList,
    clean_cell,
    display_name,
    echo,
    header_key,
    parse_french_date,
)
from alliance.pupils.imports.errors import RosterError
from alliance.pupils.imports.records import (
    ColumnUse,
    GuardianRecord,
    ParsedFile,
    PupilRecord,
    french_phone,
    identity_key,
    row_locator,
    strip_zeros,
)
from alliance.pupils.imports.sources.siecle_xml import RELATIONSHIP_CODES
from alliance.pupils.models import GuardianRelationship, RosterSource
from alliance.pupils.roster import parse_date, parse_ine

#: Limits: a school's export is far below them.
MAX_ROWS = 20_000
MAX_COLUMNS = 500
MAX_UNZIPPED = 100 * 1024 * 1024
_HEADER_SEARCH_ROWS = 10
_NAME_MAX = 100
_DIVISION_MAX = 32
_PHONE_MAX = 32
_PHONE = re.compile(r"\+?[0-9][0-9 .\-()]{3,30}")
#: Excel's day 0, for dates stored as plain numbers.
_EXCEL_EPOCH = dt.date(1899, 12, 30)

Cell = str | float | int | bool | dt.date | dt.datetime | None

# --------------------------------------------------------------------------- headers

_PUPIL_HEADERS = {
    "last_name": {"nomdefamille", "nom", "nomeleve", "nomdefamilleeleve", "nomfamille"},
    "first_name": {"prenom", "prenom1", "prenomeleve"},
    "birth_date": {
        "datedenaissance",
        "datenaissance",
        "datenaiss",
        "datenais",
        "nele",
        "neele",
    },
    "division": {"division", "classe", "codedivision"},
    "structure": {"structure", "codestructure", "structures"},
    "structure_type": {"typestructure", "typedestructure"},
    "national_id": {
        "ine",
        "numeronational",
        "nnational",
        "numnational",
        "idnational",
        "identifiantnational",
        "ineeleve",
        "inernie",
        "inebea",
    },
    "source_id": {"eleveid", "ideleve", "identifianteleve", "identifiantsiecle"},
    "school_number": {
        "elenoet",
        "numeroeleve",
        "neleve",
        "numeleve",
        "numeroeleveetablissement",
        "numerointerne",
        "ninterne",
    },
    "entered_on": {
        "dateentree",
        "datedentree",
        "dateentreeetablissement",
        "dateentreeetab",
        "dateentreedansletablissement",
        "datedentreedansletablissement",
    },
    "left_on": {
        "datesortie",
        "datedesortie",
        "datesortieetablissement",
        "datesortiedeletablissement",
        "datedesortiedeletablissement",
    },
    "school_uai": {"uaj", "uai", "rne", "codeetablissement"},
}
_GUARDIAN_HEADERS = {
    "last_name": {"nom", "nomdefamille", "nomfamille"},
    "usage_name": {"nomdusage", "nomusage"},
    "first_name": {"prenom", "prenom1"},
    "relationship": {"lien", "liendeparente", "lienparente", "parente", "codeparente"},
    "email": {
        "courriel",
        "email",
        "mail",
        "mel",
        "adresseelectronique",
        "adressemail",
        "adressemel",
    },
    "mobile": {"telportable", "telephoneportable", "portable", "telmobile", "telephonemobile"},
    "home": {"teldomicile", "telephonedomicile", "telpersonnel", "telephonepersonnel", "tel"},
    "work": {
        "teltravail",
        "telprofessionnel",
        "telephonetravail",
        "telephoneprofessionnel",
        "telpro",
    },
    "line1": {"adresse", "adresse1", "ligne1adresse", "ligne1", "adresseligne1"},
    "line2": {"adresse2", "ligne2adresse", "ligne2", "adresseligne2"},
    "line3": {"adresse3", "ligne3adresse", "ligne3", "adresseligne3"},
    "line4": {"adresse4", "ligne4adresse", "ligne4", "adresseligne4"},
    "postal_code": {"codepostal", "cp"},
    "town": {"commune", "ville", "libellepostal", "communederesidence"},
    "country": {"pays"},
}
# Longest first: "autre repr. légal" must not be read as "repr. légal".
_GUARDIAN_SUFFIXES = sorted(
    [
        *(
            (f"autre{stem}", 2)
            for stem in (
                "reprleg",
                "reprlegal",
                "representantlegal",
                "resplegal",
                "responsablelegal",
            )
        ),
        *(
            (f"{stem}{n}", n)
            for stem in (
                "reprleg",
                "reprlegal",
                "representantlegal",
                "resplegal",
                "responsablelegal",
            )
            for n in (1, 2)
        ),
        *(
            (stem, 1)
            for stem in (
                "reprleg",
                "reprlegal",
                "representantlegal",
                "resplegal",
                "responsablelegal",
            )
        ),
    ],
    key=lambda pair: -len(pair[0]),
)
_PUPIL_KEYS = {key: name for name, keys in _PUPIL_HEADERS.items() for key in keys}
_GUARDIAN_KEYS = {key: name for name, keys in _GUARDIAN_HEADERS.items() for key in keys}

_RELATIONSHIP_WORDS = {
    "mere": GuardianRelationship.MOTHER,
    "pere": GuardianRelationship.FATHER,
    "tuteur": GuardianRelationship.GUARDIAN,
    "tutrice": GuardianRelationship.GUARDIAN,
    "tuteurtutrice": GuardianRelationship.GUARDIAN,
    "tuteurlegal": GuardianRelationship.GUARDIAN,
    "ase": GuardianRelationship.CHILD_WELFARE,
    "aidesocialealenfance": GuardianRelationship.CHILD_WELFARE,
    "frere": GuardianRelationship.SIBLING,
    "soeur": GuardianRelationship.SIBLING,
    "freresoeur": GuardianRelationship.SIBLING,
    "frereousoeur": GuardianRelationship.SIBLING,
    "grandparent": GuardianRelationship.GRANDPARENT,
    "grandsparents": GuardianRelationship.GRANDPARENT,
    "grandpere": GuardianRelationship.GRANDPARENT,
    "grandmere": GuardianRelationship.GRANDPARENT,
    "autremembredelafamille": GuardianRelationship.OTHER_FAMILY,
    "autrefamille": GuardianRelationship.OTHER_FAMILY,
    "educateur": GuardianRelationship.EDUCATOR,
    "educatrice": GuardianRelationship.EDUCATOR,
    "assistantfamilial": GuardianRelationship.FOSTER_CARER,
    "assistantefamiliale": GuardianRelationship.FOSTER_CARER,
    "eleve": GuardianRelationship.SELF,
    "autre": GuardianRelationship.OTHER,
    "autrelien": GuardianRelationship.OTHER,
}


def classify_header(text: str) -> tuple[str, int] | None:
    """What a header names: (field, 0) for the pupil, (field, 1 or 2) for a guardian, or None."""
    key = header_key(text)
    if not key:
        return None
    for suffix, number in _GUARDIAN_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            stem = key[: -len(suffix)]
            if stem in _GUARDIAN_KEYS:
                return _GUARDIAN_KEYS[stem], number
            return None
    if key in _PUPIL_KEYS:
        return _PUPIL_KEYS[key], 0
    return None


# --------------------------------------------------------------------------- workbook


def _fail(filename: str, message: str, row: int | None = None) -> RosterError:
    return RosterError(filename, [FileIssue(message, row)])


def _read_xls(data: bytes, name: str) -> list[list[Cell]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, logfile=io.StringIO(), on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception:
        raise _fail(
            name,
            _("the .xls workbook cannot be read (damaged, truncated or password-protected?)."),
        ) from None
    if sheet.nrows > MAX_ROWS or sheet.ncols > MAX_COLUMNS:
        raise _fail(name, _("the sheet is too large for a school's pupils export."))
    rows: list[list[Cell]] = []
    for index in range(sheet.nrows):
        row: list[Cell] = []
        for cell in sheet.row(index):
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    row.append(cell.value)
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                row.append(None)
            else:
                row.append(cell.value)
        rows.append(row)
    return rows


def _read_xlsx(data: bytes, name: str) -> list[list[Cell]]:
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
            raise _fail(name, _("the workbook is too large once unzipped."))
        with python_warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter here.
            python_warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            rows: list[list[Cell]] = []
            for values in sheet.iter_rows(values_only=True):
                if len(rows) >= MAX_ROWS or len(values) > MAX_COLUMNS:
                    raise _fail(name, _("the sheet is too large for a school's pupils export."))
                rows.append(list(values))
            book.close()
    except RosterError:
        raise
    except Exception:
        raise _fail(
            name,
            _("the .xlsx workbook cannot be read (damaged, truncated or password-protected?)."),
        ) from None
    return rows


def _text(value: Cell) -> str:
    """A cell as text: numbers without ".0", dates as JJ/MM/AAAA."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return clean_cell(str(value))


def _date(value: Cell) -> dt.date | None:
    """A date cell, a number of days since 1899-12-30 (a date cell whose format was lost), or text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 110_000:
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = _text(value)
    return parse_french_date(text) if text else None


# --------------------------------------------------------------------------- reading


@dataclass
class _Header:
    row: int
    texts: list[str]
    #: (field, guardian number) → column indexes (0-based), in order
    columns: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    blank: list[int] = field(default_factory=list)

    def position(self, name: str, guardian: int = 0) -> tuple[int, str]:
        index = self.columns[(name, guardian)][0]
        return index + 1, self.texts[index]


def _find_header(rows: list[list[Cell]], name: str) -> _Header:
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        texts = [_text(cell) for cell in row]
        found = {classify_header(text) for text in texts} - {None}
        if {("last_name", 0), ("first_name", 0), ("birth_date", 0)} <= found:
            header = _Header(row=index + 1, texts=texts)
            for column, text in enumerate(texts):
                kind = classify_header(text)
                if kind is None:
                    if text:
                        header.ignored.append(text)
                    else:
                        header.blank.append(column)
                    continue
                header.columns.setdefault(kind, []).append(column)
            return header
    raise _fail(
        name,
        _(
            "no header found in the first %(rows)s rows of the first sheet: expected columns such "
            "as “Nom de famille”, “Prénom 1”, “Date de naissance” and “Division” (is it SIECLE's "
            "“Élèves complète” export?)."
        )
        % {"rows": _HEADER_SEARCH_ROWS},
        1,
    )


class _RowReader:
    """The cells of one row, with located problems; duplicate columns must agree."""

    def __init__(self, header: _Header, cells: Sequence[Cell], row: int, issues: IssueList):
        self.header, self.cells, self.row, self.issues = header, cells, row, issues
        self.ok = True

    def _cell(self, index: int) -> Cell:
        return self.cells[index] if index < len(self.cells) else None

    def fail(self, index: int, message: str) -> None:
        self.ok = False
        self.issues.add(FileIssue(message, self.row, index + 1, self.header.texts[index]))

    def raw(self, name: str, guardian: int = 0) -> tuple[int, Cell] | None:
        """The first non-empty cell among the columns with this header (they must agree)."""
        indexes = self.header.columns.get((name, guardian), [])
        found: tuple[int, Cell] | None = None
        for index in indexes:
            value = self._cell(index)
            if _text(value) == "":
                continue
            if found is None:
                found = (index, value)
            elif _text(found[1]) != _text(value):
                self.fail(
                    index,
                    _(
                        "column %(first)s has the same header and another value (%(a)s, %(b)s): "
                        "which one is right?"
                    )
                    % {"first": found[0] + 1, "a": echo(_text(found[1])), "b": echo(_text(value))},
                )
        if found is None and indexes:
            return indexes[0], None
        return found

    def text(self, name: str, guardian: int = 0) -> str:
        found = self.raw(name, guardian)
        return _text(found[1]) if found else ""

    def parse(self, name: str, parser: Callable[..., Any], *args: Any, guardian: int = 0) -> Any:
        found = self.raw(name, guardian)
        if found is None:
            return None
        try:
            return parser(found[1], *args)
        except CellError as error:
            self.fail(found[0], str(error))
            return None


def _required_name(value: Cell) -> str:
    text = _text(value)
    if not text:
        raise CellError(_("a value is required."))
    if len(text) > _NAME_MAX:
        raise CellError(_("at most %(max)s characters.") % {"max": _NAME_MAX})
    return text


def _birth_date(value: Cell, today: dt.date) -> dt.date:
    date = _date(value)
    if date is None:
        raise CellError(_("a date is required (JJ/MM/AAAA)."))
    return parse_date(date.isoformat(), today)


def _ine(value: Cell) -> str:
    return parse_ine(_text(value))


def _division(value: Cell) -> str:
    text = _text(value)
    if len(text) > _DIVISION_MAX:
        raise CellError(_("at most %(max)s characters.") % {"max": _DIVISION_MAX})
    return text


def _relationship(value: str) -> GuardianRelationship | None:
    if value.isdigit():
        return RELATIONSHIP_CODES.get(value.zfill(2))
    return _RELATIONSHIP_WORDS.get(header_key(value))


@dataclass
class _Row:
    row: int
    values: dict[str, Any]
    guardians: tuple[GuardianRecord, ...] | None
    structures: list[tuple[str, str]]  # (code, type)


def _read_guardian(reader: _RowReader, number: int, warnings: list[str]) -> GuardianRecord | None:
    names = [n for (n, g) in reader.header.columns if g == number]
    if not any(reader.text(n, number) for n in names):
        return None
    where = _("Row %(row)s, guardian %(number)s") % {"row": reader.row, "number": number}
    last_name = reader.text("usage_name", number) or reader.text("last_name", number)
    if not last_name:
        found = reader.raw("last_name", number)
        message = _("the guardian’s name is required when other guardian cells are filled.")
        if found is not None:
            reader.fail(found[0], message)
        else:
            reader.ok = False
            reader.issues.add(FileIssue(message, reader.row))
        return None
    first_name = reader.text("first_name", number)
    if len(last_name) > _NAME_MAX or len(first_name) > _NAME_MAX:
        reader.ok = False
        reader.issues.add(
            FileIssue(_("at most %(max)s characters.") % {"max": _NAME_MAX}, reader.row)
        )
        return None
    code = reader.text("relationship", number)
    relationship = _relationship(code) if code else None
    if relationship is None:
        warnings.append(
            _("%(where)s: the link is missing or unknown; recorded as “other”.") % {"where": where}
        )
        relationship = GuardianRelationship.OTHER
    # A column the sheet lacks, or an empty cell, keeps what is recorded for this person
    # (``None``), as an empty INE does: a sheet often holds fewer contact columns than SIECLE.
    phone: str | None = None
    for kind in ("mobile", "home", "work"):
        value = french_phone(reader.text(kind, number))
        if not value:
            continue
        if len(value) <= _PHONE_MAX and _PHONE.fullmatch(value):
            phone = value
            break
        warnings.append(
            _("%(where)s: a phone number was not recognised; it was not imported.")
            % {"where": where}
        )
    email: str | None = reader.text("email", number) or None
    if email:
        try:
            validate_email(email)
        except ValidationError:
            warnings.append(
                _("%(where)s: the e-mail address is not valid; it was not imported.")
                % {"where": where}
            )
            email = None
    postal = reader.text("postal_code", number)
    if postal.isdigit() and len(postal) == 4:
        postal = "0" + postal  # stored as a number
    country = reader.text("country", number)
    lines = [reader.text(f"line{n}", number) for n in range(1, 5)]
    lines.append(" ".join(v for v in (postal, reader.text("town", number)) if v))
    if country and header_key(country) != "france":
        lines.append(country)
    address = "\n".join(line for line in lines if line)
    return GuardianRecord(
        last_name=last_name,
        first_name=first_name,
        relationship=str(relationship),
        legal_responsibility=True,  # the export's guardians are its legal representatives
        phone=phone,
        email=email,
        address=address or None,
    )


def _read_row(
    header: _Header,
    cells: Sequence[Cell],
    row: int,
    issues: IssueList,
    today: dt.date,
    warnings: list[str],
) -> _Row | None:
    reader = _RowReader(header, cells, row, issues)
    values = {
        "last_name": reader.parse("last_name", _required_name),
        "first_name": reader.parse("first_name", _required_name),
        "birth_date": reader.parse("birth_date", _birth_date, today),
        "division": reader.parse("division", _division) or "",
        "national_id": reader.parse("national_id", _ine) or "",
        "source_id": strip_zeros(reader.text("source_id")),
        "school_number": strip_zeros(reader.text("school_number")),
        "entered_on": reader.parse("entered_on", _date),
        "left_on": reader.parse("left_on", _date),
        "school_uai": reader.text("school_uai").upper(),
    }
    structure = reader.parse("structure", _division) or ""
    structures = [(structure, reader.text("structure_type").upper())] if structure else []
    has_guardians = any(g for (_name, g) in header.columns)
    guardians = tuple(
        g for number in (1, 2) if (g := _read_guardian(reader, number, warnings)) is not None
    )
    if not reader.ok:
        return None
    return _Row(row, values, guardians if has_guardians and guardians else None, structures)


def _group_key(values: dict[str, Any]) -> tuple[str, ...]:
    if values["source_id"]:
        return ("source_id", values["source_id"])
    if values["school_number"]:
        return ("school_number", values["school_number"])
    if values["national_id"]:
        return ("national_id", values["national_id"])
    last, first, birth = identity_key(
        values["last_name"], values["first_name"], values["birth_date"]
    )
    return ("identity", last, first, birth.isoformat())


def _merge(
    rows: list[_Row], header: _Header, issues: IssueList, has_type: bool
) -> PupilRecord | None:
    """The rows of one pupil (one per structure in some exports) as one record."""
    first = rows[0]
    values = first.values
    ok = True
    for other in rows[1:]:
        for name in ("last_name", "first_name", "birth_date"):
            if other.values[name] != values[name]:
                column, text = header.position(name)
                issues.add(
                    FileIssue(
                        _(
                            "rows %(first)s and %(second)s have the same pupil id but other "
                            "names or birth date."
                        )
                        % {"first": first.row, "second": other.row},
                        other.row,
                        column,
                        text,
                    )
                )
                ok = False
                break
    divisions = [r.values["division"] for r in rows if r.values["division"]]
    structures = [s for r in rows for s in r.structures]
    if has_type:
        divisions += [code for code, kind in structures if kind == "D"]
    elif structures and not divisions:
        divisions += [code for code, _kind in structures]
    distinct = list(dict.fromkeys(divisions))
    if len(distinct) > 1:
        where = ("division", 0) if ("division", 0) in header.columns else ("structure", 0)
        column, text = header.position(*where)
        issues.add(
            FileIssue(
                _(
                    "this pupil has several divisions (%(codes)s): with one row per structure, "
                    "the sheet needs a “Type structure” column (D for the division)."
                )
                % {"codes": ", ".join(distinct)},
                rows[-1].row,
                column,
                text,
            )
        )
        ok = False
    if not ok:
        return None
    return PupilRecord(
        locator=row_locator(first.row),
        row=first.row,
        last_name=values["last_name"],
        first_name=values["first_name"],
        birth_date=values["birth_date"],
        division=distinct[0] if distinct else "",
        national_id=values["national_id"],
        source_id=values["source_id"],
        school_number=values["school_number"],
        entered_on=values["entered_on"],
        left_on=values["left_on"],
        guardians=first.guardians,
    )


def parse(data: bytes, filename: str, *, today: dt.date, full_list: bool = False) -> ParsedFile:
    """The whole sheet, validated (``RosterError`` listing every problem found)."""
    name = display_name(filename, "eleves.xlsx")
    is_xlsx = data.startswith(b"PK\x03\x04")
    rows = _read_xlsx(data, name) if is_xlsx else _read_xls(data, name)
    header = _find_header(rows, name)
    issues = IssueList(RosterError)
    warnings: list[str] = []
    for column in header.blank:
        if any(_text(r[column]) for r in rows[header.row :] if column < len(r)):
            warnings.append(
                _("Column %(column)s has no header: it was not read.") % {"column": column + 1}
            )
    groups: dict[tuple[str, ...], list[_Row]] = {}
    for number, cells in enumerate(rows[header.row :], start=header.row + 1):
        if not any(_text(cell) for cell in cells):
            continue
        read = _read_row(header, cells, number, issues, today, warnings)
        if read is not None:
            groups.setdefault(_group_key(read.values), []).append(read)
    has_type = ("structure_type", 0) in header.columns
    records = [
        record
        for group in groups.values()
        if (record := _merge(group, header, issues, has_type)) is not None
    ]
    if not records and not issues:
        issues.add(
            FileIssue(
                _(
                    "the sheet has a header but no pupil. An empty roster would mark every pupil "
                    "as having left, so it is refused."
                ),
                header.row + 1,
            )
        )
    uais = {g[0].values["school_uai"] for g in groups.values() if g[0].values["school_uai"]}
    if len(uais) > 1:
        column, text = header.position("school_uai")
        issues.add(
            FileIssue(
                _("the sheet mixes several schools (%(codes)s).")
                % {"codes": ", ".join(sorted(uais))},
                None,
                column,
                text,
            )
        )
    _check_duplicates(records, header, issues)
    issues.raise_if_any(name)

    labels = _field_labels()
    columns = [
        ColumnUse(
            index + 1,
            header.texts[index],
            labels.get(field_name, field_name)
            if guardian == 0
            else _("guardian %(number)s: %(field)s")
            % {"number": guardian, "field": labels.get(field_name, field_name)},
        )
        for (field_name, guardian), indexes in header.columns.items()
        for index in indexes[:1]
    ]
    columns.sort(key=lambda c: c.column)
    shown = header.ignored[:12]
    not_imported = [
        _("Pupils: sex, regime, MEF, options and groups, usage name, other given names."),
    ]
    if header.ignored:
        not_imported.append(
            _("%(count)s columns not read: %(names)s%(more)s.")
            % {
                "count": len(header.ignored),
                "names": ", ".join(shown),
                "more": "…" if len(header.ignored) > len(shown) else "",
            }
        )
    return ParsedFile(
        filename=name,
        source_format=RosterSource.SIECLE_SHEET,
        records=records,
        full_roster=True,
        encoding=".xlsx" if is_xlsx else ".xls",
        details=[
            _("Sheet read from row %(row)s (the header); one pupil per row or per structure.")
            % {"row": header.row}
        ],
        warnings=warnings,
        not_imported=not_imported,
        columns=columns,
        positions={
            name_: header.position(name_) for (name_, guardian) in header.columns if guardian == 0
        },
        school_uai=next(iter(uais), ""),
    )


def _field_labels() -> dict[str, str]:
    return {
        "last_name": _("last name"),
        "usage_name": _("usage name"),
        "first_name": _("first name"),
        "birth_date": _("birth date"),
        "division": _("division"),
        "structure": _("structure"),
        "structure_type": _("structure type"),
        "national_id": _("INE"),
        "source_id": _("SIECLE id"),
        "school_number": _("pupil number (ELENOET)"),
        "entered_on": _("entry date"),
        "left_on": _("leaving date"),
        "school_uai": _("school (UAI)"),
        "relationship": _("link"),
        "email": _("e-mail"),
        "mobile": _("mobile phone"),
        "home": _("home phone"),
        "work": _("work phone"),
        "line1": _("address"),
        "line2": _("address"),
        "line3": _("address"),
        "line4": _("address"),
        "postal_code": _("postal code"),
        "town": _("town"),
        "country": _("country"),
    }


def _check_duplicates(records: list[PupilRecord], header: _Header, issues: IssueList) -> None:
    """Two pupils with the same INE (their ids differ, or they would have been merged)."""
    by_ine: dict[str, int] = {}
    for record in records:
        if not record.national_id:
            continue
        assert record.row is not None
        first = by_ine.setdefault(record.national_id, record.row)
        if first != record.row:
            column, text = header.position("national_id")
            issues.add(
                FileIssue(
                    _("same INE as row %(first)s: each pupil must appear once.") % {"first": first},
                    record.row,
                    column,
                    text,
                )
            )
