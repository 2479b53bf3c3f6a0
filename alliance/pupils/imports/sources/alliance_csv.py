"""Alliance's own roster CSV (docs/formats/roster.md), read by ``alliance.pupils.roster``."""

from __future__ import annotations

import datetime as dt

from alliance.pupils.imports.records import GuardianRecord, ParsedFile, PupilRecord, row_locator
from alliance.pupils.models import RosterSource
from alliance.pupils.roster import parse_roster

#: Record field → the format's column, to locate problems found while planning.
_FIELD_COLUMNS = {
    "last_name": "nom",
    "first_name": "prenom",
    "birth_date": "date_naissance",
    "division": "division",
    "national_id": "ine",
}


def parse(data: bytes, filename: str, *, today: dt.date, full_list: bool = False) -> ParsedFile:
    """The whole file, validated (``RosterError``). It is always the whole roster."""
    roster = parse_roster(data, filename, today=today)
    records = [
        PupilRecord(
            locator=row_locator(row.row),
            row=row.row,
            last_name=row.last_name,
            first_name=row.first_name,
            birth_date=row.birth_date,
            division=row.division,
            national_id=row.national_id,
            # A row without guardians says nothing about them: the recorded ones stay.
            guardians=tuple(GuardianRecord(*g.values()) for g in row.guardians) or None,
        )
        for row in roster.rows
    ]
    return ParsedFile(
        filename=roster.filename,
        source_format=RosterSource.ALLIANCE_CSV,
        records=records,
        full_roster=True,
        encoding=roster.encoding,
        delimiter=roster.delimiter,
        warnings=list(roster.warnings),
        positions={
            field: roster.positions[column]
            for field, column in _FIELD_COLUMNS.items()
            if column in roster.positions
        },
    )
