"""Plan and apply a roster import, whatever file it comes from.

1. ``read_roster_file`` detects the kind of file from its content and has the
   matching source parser read and validate the whole of it (``RosterError`` on
   any problem, located in the file).
2. ``_plan`` compares the records with the school's pupils, reading only: what
   is created, updated (and which fields), unchanged, marked as having left,
   ambiguous (listed, never guessed) or skipped. Its ``fingerprint`` sums it up.
3. A dry run stops there. The real import plans again inside its transaction
   (the school row locked), refuses with ``PlanChanged`` if the plan is not the
   one its dry run announced, and applies it with one audit event per write and
   a ``RosterImport`` history row without the file's personal data.

Progress (``alliance.jobs.progress``: the job's row, or a bar on the terminal) is
reported by stage: reading the file, checking each record (planned once outside
the transaction, so the progress page sees it), writing.

Pupils are matched by INE, then by SIECLE id (ELEVE_ID, then ELENOET), then by
names and birth date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.core.textfiles import FileError, FileIssue, IssueList, plain_text
from alliance.jobs.models import JobStage
from alliance.jobs.progress import Progress as StageProgress
from alliance.pupils.imports.detect import detect_format
from alliance.pupils.imports.errors import PlanChanged, RosterError
from alliance.pupils.imports.records import (
    GuardianRecord,
    ParsedFile,
    Progress,
    PupilRecord,
    identity_key,
)
from alliance.pupils.imports.report import ImportReport, ReportItem
from alliance.pupils.imports.sources import alliance_csv, pronote_csv, siecle_sheet, siecle_xml
from alliance.pupils.models import Guardian, Pupil, RosterImport, RosterSource
from alliance.pupils.perms import can_import_roster
from alliance.pupils.signals import pupil_left
from alliance.tenancy.models import Division, Membership, School, SchoolYear
from alliance.tenancy.services import division_get_or_create
from alliance.tenancy.years import current_school_year, school_year_label

#: Larger uploads are refused before being read (a school's SIECLE zip is well under this).
MAX_FILE_SIZE = 20 * 1024 * 1024
#: A ``progress(done, total)`` callable is called after this many pupils written (and at the end).
PROGRESS_EVERY = 50

_PARSERS: dict[str, Callable[..., ParsedFile]] = {
    RosterSource.ALLIANCE_CSV: alliance_csv.parse,
    RosterSource.SIECLE_XML: siecle_xml.parse,
    RosterSource.SIECLE_SHEET: siecle_sheet.parse,
    RosterSource.PRONOTE_CSV: pronote_csv.parse,
}
_PUPIL_FIELDS = (
    "last_name",
    "first_name",
    "birth_date",
    "division",
    "national_id",
    "source_id",
    "school_number",
    "entered_on",
    "left_on",
)


# --------------------------------------------------------------------------- reading


def read_roster_file(
    data: bytes, filename: str, *, today: dt.date, full_list: bool = False
) -> ParsedFile:
    """Detect the file's kind and read it whole; ``RosterError`` lists every problem found.

    ``full_list``: the user says a Pronote list holds every pupil (other sources know).
    """
    if len(data) > MAX_FILE_SIZE:
        raise RosterError(
            filename,
            [
                FileIssue(
                    _("the file is larger than %(max)s MB; is it the right file?")
                    % {"max": MAX_FILE_SIZE // (1024 * 1024)}
                )
            ],
        )
    try:
        source = detect_format(data, filename)
        parsed = _PARSERS[source](data, filename, today=today, full_list=full_list)
    except RosterError:
        raise
    except FileError as error:
        raise RosterError(error.filename, error.issues, error.total) from None
    return parsed


def _check_school(parsed: ParsedFile, school: School) -> None:
    if parsed.school_uai and parsed.school_uai.upper() != school.uai.upper():
        raise RosterError(
            parsed.filename,
            [
                FileIssue(
                    _(
                        "this file comes from the school %(file_uai)s (UAJ), not from this "
                        "school (%(uai)s): it was not imported."
                    )
                    % {"file_uai": parsed.school_uai, "uai": school.uai}
                )
            ],
        )


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class _NewDivision:
    code: str


@dataclass
class _Entry:
    locator: str
    name: str
    record: PupilRecord | None  # None: guardians only (a guardians file read alone)
    pupil: Pupil | None  # None: a pupil to create
    division: Division | _NewDivision | None  # None: no division given
    changes: dict[str, Any] = field(default_factory=dict)
    guardians: tuple[GuardianRecord, ...] | None = None
    guardians_changed: bool = False

    @property
    def is_update(self) -> bool:
        return self.pupil is not None and bool(self.changes or self.guardians_changed)

    def changed_labels(self) -> tuple[str, ...]:
        labels = [
            str(getattr(Pupil._meta.get_field(name), "verbose_name", name)) for name in self.changes
        ]
        if self.guardians_changed:
            labels.append(_("guardians"))
        return tuple(labels)


@dataclass
class _Ambiguous:
    record: PupilRecord
    candidates: list[Pupil]


@dataclass
class _Plan:
    entries: list[_Entry]
    leaving: list[Pupil]
    ambiguous: list[_Ambiguous]
    skipped: int
    new_divisions: dict[str, _NewDivision]
    warnings: list[str]

    @property
    def writes(self) -> int:
        """How many pupils applying the plan goes through (the writing stage's total)."""
        return len(self.entries) + len(self.leaving)

    def fingerprint(self, checksum: str) -> str:
        """The plan summed up: same file, same pupils in the same versions → same fingerprint."""
        summary = {
            "file": checksum,
            "entries": [
                [
                    e.locator,
                    e.pupil.pk if e.pupil else None,
                    e.pupil.version if e.pupil else None,
                    sorted(e.changes),
                    e.guardians_changed,
                ]
                for e in self.entries
            ],
            "leaving": [[p.pk, p.version] for p in self.leaving],
            "ambiguous": [[a.record.locator, [p.pk for p in a.candidates]] for a in self.ambiguous],
            "divisions": sorted(d.code for d in self.new_divisions.values()),
            "skipped": self.skipped,
        }
        encoded = json.dumps(summary, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()

    def report(self, parsed: ParsedFile, *, dry_run: bool, checksum: str) -> ImportReport:
        created = [e for e in self.entries if e.pupil is None]
        updated = [e for e in self.entries if e.is_update]
        return ImportReport(
            created=len(created),
            updated=len(updated),
            unchanged=len(self.entries) - len(created) - len(updated),
            left=len(self.leaving),
            divisions_created=len(self.new_divisions),
            ambiguous=len(self.ambiguous),
            skipped=self.skipped,
            dry_run=dry_run,
            warnings=[*parsed.warnings, *self.warnings],
            encoding=parsed.encoding,
            delimiter=parsed.delimiter,
            source_format=parsed.source_format,
            full_roster=parsed.full_roster,
            details=list(parsed.details),
            not_imported=list(parsed.not_imported),
            columns=list(parsed.columns),
            created_items=[ReportItem(e.locator, e.name) for e in created],
            updated_items=[ReportItem(e.locator, e.name, e.changed_labels()) for e in updated],
            leaving_items=[ReportItem("", _display(p)) for p in self.leaving],
            ambiguous_items=[
                ReportItem(
                    a.record.locator,
                    _display(a.record),
                    (
                        _("%(count)s pupils of the school have these names and this birth date")
                        % {"count": len(a.candidates)},
                    ),
                )
                for a in self.ambiguous
            ],
            new_divisions=sorted(d.code for d in self.new_divisions.values()),
            records=_size(parsed),
            checksum=checksum,
            fingerprint=self.fingerprint(checksum),
        )


def _size(parsed: ParsedFile) -> int:
    """The pupils a file lists (for a guardians file alone: the pupils whose guardians it gives)."""
    return len(parsed.records) + len(parsed.guardians_by_source_id or {})


def _display(person: Pupil | PupilRecord) -> str:
    return f"{person.last_name} {person.first_name}"


def _division_key(code: str) -> str:
    return " ".join(code.casefold().split())


def _loose_division_key(code: str) -> str:
    """Codes compared without case or spaces: "3 A" is "3A" (exports do not all space alike)."""
    return "".join(code.casefold().split())


def _existing_current_year(school: School, day: dt.date) -> SchoolYear | None:
    """The year ``current_school_year`` would return, without creating it."""
    return (
        school.years.filter(starts_on__lte=day, ends_on__gte=day).first()
        or school.years.filter(label=school_year_label(day)).first()
    )


def _complete(
    records: tuple[GuardianRecord, ...], recorded: Iterable[Guardian]
) -> tuple[GuardianRecord, ...]:
    """Fill what the file does not give (``None``) from the same person already recorded."""
    known = {(plain_text(g.last_name), plain_text(g.first_name)): g for g in recorded}
    completed = []
    for record in records:
        same = known.get((plain_text(record.last_name), plain_text(record.first_name)))

        def fill(value: str | None, name: str, same: Guardian | None = same) -> str:
            if value is not None:
                return value
            return str(getattr(same, name)) if same is not None else ""

        completed.append(
            replace(
                record,
                phone=fill(record.phone, "phone"),
                email=fill(record.email, "email"),
                address=fill(record.address, "address"),
            )
        )
    return tuple(completed)


def _guardian_values(guardians: Iterable[Guardian | GuardianRecord]) -> list[tuple[Any, ...]]:
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


class _Divisions:
    """The current year's divisions, and those the import would create."""

    def __init__(self, school: School, parsed: ParsedFile, today: dt.date):
        year = _existing_current_year(school, today)
        known = list(Division.objects.filter(school_year=year).order_by("pk")) if year else []
        self.exact = {_division_key(d.code): d for d in known}
        self.loose: dict[str, Division] = {}
        for division in known:
            self.loose.setdefault(_loose_division_key(division.code), division)
        self.may_create = parsed.may_create_divisions or not known
        self.new: dict[str, _NewDivision] = {}

    def find(self, code: str) -> Division | _NewDivision | None:
        key = _division_key(code)
        found = self.exact.get(key) or self.loose.get(_loose_division_key(code))
        if found is not None:
            return found
        if not self.may_create:
            return None
        return self.new.setdefault(key, _NewDivision(code))


def _plan(
    school: School, parsed: ParsedFile, today: dt.date, progress: StageProgress | None = None
) -> _Plan:
    """Compare the file with the school's pupils. Reads only; may raise ``RosterError``.

    ``progress`` advances by one per record (and per pupil of a guardians file).
    """
    progress = progress or StageProgress()
    issues = IssueList(RosterError)
    warnings: list[str] = []
    divisions = _Divisions(school, parsed, today)
    pupils = list(Pupil.objects.filter(school=school).prefetch_related("guardians").order_by("pk"))
    by_ine = {p.national_id: p for p in pupils if p.national_id}
    by_source_id = {p.source_id: p for p in pupils if p.source_id}
    by_school_number: dict[str, list[Pupil]] = {}
    by_identity: dict[tuple[str, str, dt.date], list[Pupil]] = {}
    for known in pupils:
        if known.school_number:
            by_school_number.setdefault(known.school_number, []).append(known)
        known_key = identity_key(known.last_name, known.first_name, known.birth_date)
        by_identity.setdefault(known_key, []).append(known)

    matched: dict[int, str] = {}  # pupil pk → locator of the record matched with it
    protected: set[int] = set()  # candidates of ambiguous records: not marked as having left
    entries: list[_Entry] = []
    ambiguous: list[_Ambiguous] = []
    skipped = parsed.skipped

    for record in parsed.records:
        progress.advance()
        pupil, candidates = _match(record, by_ine, by_source_id, by_school_number, by_identity)
        if len(candidates) > 1:
            ambiguous.append(_Ambiguous(record, candidates))
            protected.update(p.pk for p in candidates)
            continue
        if pupil is None and candidates == [] and record.national_id:
            others = by_identity.get(
                identity_key(record.last_name, record.first_name, record.birth_date), []
            )
            if any(p.national_id and p.national_id != record.national_id for p in others):
                warnings.append(
                    _(
                        "%(where)s: a pupil with the same names and birth date but another INE "
                        "is already recorded; a new pupil is created."
                    )
                    % {"where": record.locator}
                )
        if pupil is not None:
            first = matched.setdefault(pupil.pk, record.locator)
            if first != record.locator:
                issues.add(
                    parsed.issue(
                        record,
                        "last_name",
                        _(
                            "%(first)s and %(second)s both correspond to the same pupil already "
                            "recorded (matched by INE, SIECLE id or names and birth date)."
                        )
                        % {"first": first, "second": record.locator},
                    )
                )
                continue
        holder = by_source_id.get(record.source_id) if record.source_id else None
        if holder is not None and holder is not pupil:
            issues.add(
                parsed.issue(
                    record,
                    "source_id",
                    _(
                        "the SIECLE id %(id)s is recorded for another pupil, whose INE is not "
                        "this one; correct the INE or the records."
                    )
                    % {"id": record.source_id},
                )
            )
            continue
        left_on = record.left_on if record.left_on and record.left_on <= today else None
        if pupil is None and left_on is not None:
            skipped += 1  # a pupil who left before Alliance knew them is not created
            continue
        division: Division | _NewDivision | None = None
        if record.division:
            division = divisions.find(record.division)
            if division is None:
                issues.add(
                    parsed.issue(
                        record,
                        "division",
                        _(
                            "the division “%(code)s” is unknown this school year; import the "
                            "SIECLE roster first, or check the code."
                        )
                        % {"code": record.division},
                    )
                )
                continue
        recorded = list(pupil.guardians.all()) if pupil is not None else []
        guardians = _complete(record.guardians, recorded) if record.guardians else None
        entry = _Entry(
            locator=record.locator,
            name=_display(record),
            record=record,
            pupil=pupil,
            division=division,
            guardians=guardians,
        )
        if pupil is not None:
            entry.changes = _pupil_changes(pupil, record, division, left_on)
            entry.guardians_changed = bool(guardians) and _guardian_values(
                recorded
            ) != _guardian_values(guardians or ())
        entries.append(entry)

    if parsed.guardians_by_source_id is not None:
        for source_id, guardians in parsed.guardians_by_source_id.items():
            progress.advance()
            known_pupil = by_source_id.get(source_id)
            if known_pupil is None:
                skipped += 1
                continue
            recorded = list(known_pupil.guardians.all())
            completed = _complete(guardians, recorded)
            entries.append(
                _Entry(
                    locator=f"ELEVE_ID {source_id}",
                    name=_display(known_pupil),
                    record=None,
                    pupil=known_pupil,
                    division=None,
                    guardians=completed,
                    guardians_changed=_guardian_values(recorded) != _guardian_values(completed),
                )
            )
    issues.raise_if_any(parsed.filename)

    leaving: list[Pupil] = []
    if parsed.full_roster:
        leaving = [
            p for p in pupils if p.left_on is None and p.pk not in matched and p.pk not in protected
        ]
        current = sum(1 for p in pupils if p.left_on is None)
        if current >= 10 and len(leaving) * 5 > current:
            warnings.append(
                _(
                    "%(left)s of the %(current)s current pupils are not in the file and are marked "
                    "as having left: check that the file is the whole roster."
                )
                % {"left": len(leaving), "current": current}
            )
    if ambiguous:
        warnings.append(
            _(
                "%(count)s pupils of the file match several recorded pupils (same names and "
                "birth date, no id to tell them apart): they were neither created nor updated "
                "(%(where)s)."
            )
            % {"count": len(ambiguous), "where": ", ".join(a.record.locator for a in ambiguous)}
        )
    return _Plan(
        entries=entries,
        leaving=leaving,
        ambiguous=ambiguous,
        skipped=skipped,
        new_divisions=divisions.new,
        warnings=warnings,
    )


def _match(
    record: PupilRecord,
    by_ine: dict[str, Pupil],
    by_source_id: dict[str, Pupil],
    by_school_number: dict[str, list[Pupil]],
    by_identity: dict[tuple[str, str, dt.date], list[Pupil]],
) -> tuple[Pupil | None, list[Pupil]]:
    """The recorded pupil this record is, and the candidates when names decided (several: ambiguous).

    Order: INE, then SIECLE ELEVE_ID, then ELENOET, then names and birth date. A pupil
    recorded with another INE (or SIECLE id) than the record's is never its match.
    """

    def compatible(pupil: Pupil) -> bool:
        if record.national_id and pupil.national_id and pupil.national_id != record.national_id:
            return False
        return not (record.source_id and pupil.source_id and pupil.source_id != record.source_id)

    if record.national_id and (pupil := by_ine.get(record.national_id)) is not None:
        return pupil, [pupil]
    pupil = by_source_id.get(record.source_id) if record.source_id else None
    if pupil is not None and compatible(pupil):
        return pupil, [pupil]
    if record.school_number:
        numbered = [p for p in by_school_number.get(record.school_number, []) if compatible(p)]
        if len(numbered) == 1:
            return numbered[0], numbered
    key = identity_key(record.last_name, record.first_name, record.birth_date)
    candidates = [p for p in by_identity.get(key, []) if compatible(p)]
    if len(candidates) == 1:
        return candidates[0], candidates
    return None, candidates


def _pupil_changes(
    pupil: Pupil,
    record: PupilRecord,
    division: Division | _NewDivision | None,
    left_on: dt.date | None,
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if pupil.last_name != record.last_name and not (
        record.capitalised_last_name and plain_text(pupil.last_name) == plain_text(record.last_name)
    ):
        changes["last_name"] = record.last_name
    for name in ("first_name", "birth_date"):
        if getattr(pupil, name) != getattr(record, name):
            changes[name] = getattr(record, name)
    if division is not None and (
        isinstance(division, _NewDivision) or pupil.division_id != division.pk
    ):
        changes["division"] = division
    # Ids and the entry date are stored only when the file gives them: an empty cell keeps
    # the recorded value.
    for name in ("national_id", "source_id", "school_number", "entered_on"):
        value = getattr(record, name)
        if value and value != getattr(pupil, name):
            changes[name] = value
    if pupil.left_on != left_on:
        changes["left_on"] = left_on
    return changes


# --------------------------------------------------------------------------- apply


def _create_guardians(actor: Membership, pupil: Pupil, records: Iterable[GuardianRecord]) -> None:
    for record in records:
        guardian = Guardian.objects.create(
            school_id=pupil.school_id,
            pupil=pupil,
            last_name=record.last_name,
            first_name=record.first_name,
            relationship=record.relationship,
            legal_responsibility=record.legal_responsibility,
            phone=record.phone or "",
            email=record.email or "",
            address=record.address or "",
        )
        audit_record(action="create", target=guardian, membership=actor)


def _apply(
    actor: Membership,
    school: School,
    plan: _Plan,
    report: ImportReport,
    progress: StageProgress,
) -> RosterImport:
    today = clock.today()
    created_divisions: dict[_NewDivision, Division] = {}
    if plan.new_divisions:
        year = current_school_year(school, today)
        for new in plan.new_divisions.values():
            created_divisions[new] = division_get_or_create(school_year=year, code=new.code)

    def resolve(value: Any) -> Any:
        return created_divisions[value] if isinstance(value, _NewDivision) else value

    history = RosterImport.objects.create(
        school=school,
        membership=actor,
        imported_at=clock.now(),
        file_sha256=report.checksum,
        source_format=report.source_format,
        created_count=report.created,
        updated_count=report.updated,
        unchanged_count=report.unchanged,
        left_count=report.left,
        ambiguous_count=report.ambiguous,
        skipped_count=report.skipped,
        warnings=list(report.warnings),
    )
    audit_record(action="import", target=history, membership=actor)

    for entry in plan.entries:
        progress.advance()
        if entry.pupil is None:
            record = entry.record
            assert record is not None  # guardians-only entries always have a pupil
            pupil = Pupil.objects.create(
                school=school,
                last_name=record.last_name,
                first_name=record.first_name,
                birth_date=record.birth_date,
                division=resolve(entry.division),
                national_id=record.national_id,
                source_id=record.source_id,
                school_number=record.school_number,
                entered_on=record.entered_on,
            )
            audit_record(action="create", target=pupil, membership=actor)
            _create_guardians(actor, pupil, entry.guardians or ())
            continue
        if not entry.is_update:
            continue
        pupil = entry.pupil
        # New guardians are a change of the pupil's record too: its version goes up.
        for name, value in entry.changes.items():
            setattr(pupil, name, resolve(value))
        pupil.version += 1
        pupil.save(update_fields=[*entry.changes, "version", "updated_at"])
        audit_record(action="update", target=pupil, membership=actor)
        if entry.changes.get("left_on") is not None:
            pupil_left.send(sender=Pupil, pupil=pupil, actor=actor)
        if entry.guardians_changed:
            for guardian in list(pupil.guardians.all()):
                audit_record(action="delete", target=guardian, membership=actor)
                guardian.delete()
            _create_guardians(actor, pupil, entry.guardians or ())

    for pupil in plan.leaving:
        progress.advance()
        pupil.left_on = today
        pupil.version += 1
        pupil.save(update_fields=["left_on", "version", "updated_at"])
        audit_record(action="update", target=pupil, membership=actor)
        pupil_left.send(sender=Pupil, pupil=pupil, actor=actor)
    return history


# --------------------------------------------------------------------------- entry point


class _CallbackProgress(StageProgress):
    """The first contract, for callers that pass a callable: ``progress(done, total)`` every
    ``PROGRESS_EVERY`` pupils written and once at the end (``(0, 0)`` when nothing is written)."""

    def __init__(self, callback: Progress) -> None:
        super().__init__()
        self.callback = callback
        self._last: tuple[int, int] | None = None

    def report(self, *, force: bool) -> None:
        if self.stage_name != JobStage.WRITING:
            return
        due = self.done == self.total or (self.done and self.done % PROGRESS_EVERY == 0)
        if due and self._last != (self.done, self.total):
            self._last = (self.done, self.total)
            self.callback(self.done, self.total)


def _tracker(progress: Progress | StageProgress | None) -> StageProgress:
    if progress is None:
        return StageProgress()
    if isinstance(progress, StageProgress):
        return progress
    return _CallbackProgress(progress)


def roster_import_file(
    *,
    actor: Membership,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    full_list: bool = False,
    expected_fingerprint: str | None = None,
    progress: Progress | StageProgress | None = None,
) -> ImportReport:
    """Import a roster file of any supported kind into the actor's school, or (``dry_run``)
    say exactly what importing it would do.

    The whole file is validated before anything is written; a problem raises
    ``RosterError`` and leaves the database as it was. The import is one
    transaction. With ``expected_fingerprint`` (the dry run's), it raises
    ``PlanChanged`` and writes nothing unless the plan is still the one announced.
    ``full_list``: a Pronote list holds every pupil (those missing from it have left).

    ``progress``: an ``alliance.jobs.progress.Progress`` (a job's row, a terminal bar),
    told each stage (reading, checking each record, writing each pupil); or a callable,
    called as ``progress(done, total)`` while pupils are written.
    """
    if actor is None or not can_import_roster(actor):
        raise PermissionDenied
    tracker = _tracker(progress)
    today = clock.today()
    tracker.stage(JobStage.READING)
    parsed = read_roster_file(data, filename, today=today, full_list=full_list)
    _check_school(parsed, actor.school)
    checksum = hashlib.sha256(data).hexdigest()
    # Planned outside any transaction first: its progress is visible as it goes, and a plan
    # that is no longer the announced one is refused without locking anything.
    tracker.stage(JobStage.CHECKING, total=_size(parsed))
    plan = _plan(actor.school, parsed, today, tracker)
    if dry_run:
        report = plan.report(parsed, dry_run=True, checksum=checksum)
        tracker.finish()
        return report
    if expected_fingerprint is not None and plan.fingerprint(checksum) != expected_fingerprint:
        raise PlanChanged
    tracker.stage(JobStage.WRITING, total=plan.writes)
    with transaction.atomic():
        # One import at a time per school: the plan must see what the previous import wrote.
        school = School.objects.select_for_update().get(pk=actor.school_id)
        plan = _plan(school, parsed, today)
        report = plan.report(parsed, dry_run=False, checksum=checksum)
        if expected_fingerprint is not None and report.fingerprint != expected_fingerprint:
            raise PlanChanged
        if plan.writes != tracker.total:
            tracker.stage(JobStage.WRITING, total=plan.writes)
        # The history row, the pupils and their audit events are written in this one
        # transaction: any error, nothing written.
        report.roster_import = _apply(actor, school, plan, report, tracker)
    tracker.finish()
    return report
