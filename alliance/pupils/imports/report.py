"""What an import did, or what its dry run announces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alliance.pupils.imports.records import ColumnUse
from alliance.pupils.models import RosterImport, RosterSource


@dataclass(frozen=True)
class ReportItem:
    """One pupil in the report: where the file names them, who they are, what changes.

    ``name`` is shown only to people who may read pupils and is never stored.
    """

    locator: str
    name: str = ""
    fields: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """What an import did, or what a dry run would do.

    Counts, ``warnings``, ``details`` and ``not_imported`` carry no personal data; the
    item lists (``created_items``…) do, and are shown to the importer only.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    left: int = 0
    divisions_created: int = 0
    ambiguous: int = 0
    skipped: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    source_format: str = RosterSource.ALLIANCE_CSV
    full_roster: bool = True
    details: list[str] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)
    columns: list[ColumnUse] = field(default_factory=list)
    created_items: list[ReportItem] = field(default_factory=list)
    updated_items: list[ReportItem] = field(default_factory=list)
    leaving_items: list[ReportItem] = field(default_factory=list)
    ambiguous_items: list[ReportItem] = field(default_factory=list)
    new_divisions: list[str] = field(default_factory=list)
    #: Pupils the file lists: the size of the import (a large one runs in the background).
    records: int = 0
    #: SHA-256 of the file, and of the plan: the confirmation must find the same plan.
    checksum: str = ""
    fingerprint: str = ""
    roster_import: RosterImport | None = None

    @property
    def rows(self) -> int:
        """Pupils in the file that were matched or created."""
        return self.created + self.updated + self.unchanged

    @property
    def source_label(self) -> str:
        return str(RosterSource(self.source_format).label)

    def outcome(self) -> dict[str, Any]:
        """Everything but how it was run: a dry run and the real import give the same outcome."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "left": self.left,
            "divisions_created": self.divisions_created,
            "ambiguous": self.ambiguous,
            "skipped": self.skipped,
            "warnings": list(self.warnings),
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "source_format": self.source_format,
            "created_items": list(self.created_items),
            "updated_items": list(self.updated_items),
            "leaving_items": list(self.leaving_items),
            "ambiguous_items": list(self.ambiguous_items),
            "new_divisions": list(self.new_divisions),
            "fingerprint": self.fingerprint,
        }

    def summary(self) -> dict[str, Any]:
        """What a background job keeps (JSON): counts, warnings (they name rows and ids, never
        a person), the source's format and encoding, the plan's fingerprint. No names."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "left": self.left,
            "ambiguous": self.ambiguous,
            "skipped": self.skipped,
            "divisions_created": self.divisions_created,
            "warnings": list(self.warnings),
            "source_format": str(self.source_format),
            "encoding": self.encoding,
            "fingerprint": self.fingerprint,
        }
