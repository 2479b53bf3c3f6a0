"""What every source parser produces: normalised pupil records, whatever the file looked like.

A record names where it comes from (``locator``: "row 12", "ELEVE_ID 4567") without
personal data, so warnings kept in the import history can point at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from alliance.core.textfiles import FileIssue, plain_text

#: ``progress(done, total)``, called while an import is applied (for a background runner).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class GuardianRecord:
    """A guardian as a file gives them. ``None``: the file has no such column (a spreadsheet
    without addresses); the value recorded for the same person is then kept."""

    last_name: str
    first_name: str
    relationship: str
    legal_responsibility: bool
    phone: str | None = ""
    email: str | None = ""
    address: str | None = ""


@dataclass(frozen=True)
class PupilRecord:
    """One pupil as a file describes them. Empty values mean "the file does not say"."""

    locator: str
    last_name: str
    first_name: str
    birth_date: dt.date
    #: "" when the file gives no division: the recorded one is kept.
    division: str = ""
    national_id: str = ""
    #: SIECLE ELEVE_ID and ELENOET, without leading zeros.
    source_id: str = ""
    school_number: str = ""
    entered_on: dt.date | None = None
    #: The leaving date the file gives (possibly in the future).
    left_on: dt.date | None = None
    #: None: this file says nothing about guardians (the recorded ones are kept).
    guardians: tuple[GuardianRecord, ...] | None = None
    #: The row, for sources read by rows (CSV, spreadsheets); None for XML.
    row: int | None = None
    #: The source writes surnames in capitals (Pronote): "LEFÈVRE" does not rename "Lefèvre".
    capitalised_last_name: bool = False


@dataclass(frozen=True)
class ColumnUse:
    """How one column of a file was read, shown in the dry run so the mapping can be checked."""

    column: int
    header: str
    used_for: str


@dataclass
class ParsedFile:
    """A whole file, read and validated, ready to be compared with the school's pupils."""

    filename: str
    source_format: str
    records: list[PupilRecord]
    #: The file lists every pupil of the school: those missing from it have left.
    full_roster: bool
    encoding: str = ""
    delimiter: str = ""
    #: What the file is (export date, school…), for the report.
    details: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: What the file holds that is deliberately not imported.
    not_imported: list[str] = field(default_factory=list)
    columns: list[ColumnUse] = field(default_factory=list)
    #: field name → (column number, header), to locate errors found while planning.
    positions: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: A guardians file read without its pupils: guardians by SIECLE ELEVE_ID.
    guardians_by_source_id: dict[str, tuple[GuardianRecord, ...]] | None = None
    #: The school the file says it comes from (SIECLE UAJ), checked against the school.
    school_uai: str = ""
    #: A partial source (Pronote) must not invent divisions once the school has some.
    may_create_divisions: bool = True
    #: Guardian links skipped while reading (e.g. persons to contact only).
    skipped: int = 0

    def issue(self, record: PupilRecord, name: str, message: str) -> FileIssue:
        """A problem with ``record``'s ``name`` field, located as precisely as the file allows."""
        if record.row is not None:
            column, header = self.positions.get(name, (None, ""))
            return FileIssue(message, record.row, column, header)
        return FileIssue(
            _("%(where)s: %(message)s") % {"where": record.locator, "message": message}
        )


def french_phone(value: str) -> str:
    """A French number written as bare digits, spaced as usual ("0639981001" → "06 39 98 10 01").

    Other writings are kept as they are; a 9-digit number (a spreadsheet dropped its
    leading zero) gets it back.
    """
    digits = value.replace(" ", "")
    if digits.isdigit() and len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits
    if digits.isdigit() and len(digits) == 10 and digits.startswith("0"):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return value


def strip_zeros(value: str) -> str:
    """An id compared without leading zeros ("00412" = "412"), as re-saved spreadsheets lose them."""
    value = value.strip()
    return value.lstrip("0") or ("0" if value else "")


def identity_key(last_name: str, first_name: str, birth_date: dt.date) -> tuple[str, str, dt.date]:
    """How a pupil without ids is recognised: names without case or accents, and birth date."""
    return (plain_text(last_name), plain_text(first_name), birth_date)


def row_locator(row: int) -> str:
    """How a record read from a row is named in messages and in the import history."""
    return _("Row %(row)s") % {"row": row}
