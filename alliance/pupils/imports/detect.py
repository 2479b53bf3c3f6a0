"""Which kind of roster file this is, from its content (never from its name alone)."""

from __future__ import annotations

import io
import re
import zipfile

from django.utils.translation import gettext as _

from alliance.core.textfiles import FileIssue, first_line, header_key
from alliance.pupils.imports.errors import RosterError
from alliance.pupils.models import RosterSource

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and other old Office files)
_XML_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<")
#: A Pronote list names its pupil column "Élève".
_PRONOTE_HEADERS = {"eleve", "eleves"}


def detect_format(data: bytes, filename: str) -> str:
    """A ``RosterSource`` value: zip of XML or XML → SIECLE XML; .xls/.xlsx → SIECLE
    spreadsheet; text whose header has an "Élève" column → Pronote list; other text →
    Alliance CSV (whose own checks then say what is wrong)."""
    if data.startswith(_ZIP):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            raise RosterError(
                filename,
                [
                    FileIssue(
                        _("the file looks like a zip archive but cannot be opened (truncated?).")
                    )
                ],
            ) from None
        if "xl/workbook.xml" in names:
            return RosterSource.SIECLE_SHEET
        if "content.xml" in names and "mimetype" in names:
            raise RosterError(
                filename,
                [
                    FileIssue(
                        _(
                            "OpenDocument spreadsheets (.ods) are not read: save it as .xlsx, "
                            "or export the list as CSV."
                        )
                    )
                ],
            )
        return RosterSource.SIECLE_XML
    if data.startswith(_OLE2):
        return RosterSource.SIECLE_SHEET
    if _XML_START.match(data[:1024]):
        return RosterSource.SIECLE_XML
    # Only the header matters here; the source's own reading checks the encoding, located.
    for encoding in ("utf-8-sig", "cp1252"):
        header = first_line(data[:4096].decode(encoding, errors="ignore").lstrip("\ufeff"))
        for delimiter in (";", ",", "\t"):
            keys = {header_key(cell.strip('"')) for cell in header.split(delimiter)}
            if keys & _PRONOTE_HEADERS:
                return RosterSource.PRONOTE_CSV
    return RosterSource.ALLIANCE_CSV
