"""Importing an events file (absences, lateness, sanctions, marks, per-pupil counts).

The steps, as for the roster (``alliance.pupils.roster``):

1. ``read_table`` reads the file (CSV or .xlsx); an unreadable file raises ``FileError``.
2. The column mapping is the one given, a preset, or the one the school confirmed for
   the same headers (``alliance.detection.mapping``).
3. ``plan_rows`` reads every row, finds each row's pupil and computes its
   ``source_key``, collecting located problems without stopping at the first.
4. The plan is compared with what is already imported: new, updated (a corrected
   justification, a newer count), unchanged.
5. A dry run stops there and reports counts and problems. A real import refuses a file
   with any problem (``FileError``, nothing written); otherwise it writes everything in
   one transaction, with one ``EventImport`` history row and its audit event.

Progress is reported to a ``Progress`` (the job's row, or the terminal) outside the
transaction. Nothing of the file is kept: the history holds a checksum and counts.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.core.textfiles import FileError, FileIssue, IssueList
from alliance.detection.events import (
    MODELS,
    SKIP_NO_MARK,
    SKIP_OTHER_KIND,
    ReadContext,
    SourceKeys,
    read_row,
)
from alliance.detection.fields import KINDS_WITH_PERIOD, fields_for
from alliance.detection.mapping import (
    Mapping,
    check_mapping,
    fill_fuzzy,
    mapping_from_preset,
    saved_mapping,
)
from alliance.detection.matching import PupilDirectory
from alliance.detection.models import EventImport, EventKind, ImportedEvent
from alliance.detection.perms import can_import_events
from alliance.detection.presets import PRESETS_BY_NAME
from alliance.detection.tables import Table, read_table
from alliance.jobs.models import ImportJob, JobStage
from alliance.jobs.progress import Progress
from alliance.tenancy.models import Membership, School

#: The job handler name of event imports (``alliance.jobs.registry``).
HANDLER = "detection.events"
#: Rows written per UPDATE statement, keys per ``IN (…)`` query (SQLite: 999 parameters).
BATCH_SIZE = 500
#: Rows per ``executemany`` of the prepared INSERT (bounds the parameters held in memory).
INSERT_BATCH = 5000
#: The preview shows this many data rows.
PREVIEW_ROWS = 10
#: Rows read between two progress reports (a report per row cost a microsecond a row).
_PROGRESS_EVERY = 256
_PERIOD_MAX = 32


class EventFileError(FileError):
    """An events file that cannot be imported; nothing has been written."""


# --------------------------------------------------------------------------- report


@dataclass
class EventReport:
    """What an import did, or what a dry run would do: counts and located problems only."""

    kind: str
    dry_run: bool
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    skipped: int = 0
    error_rows: int = 0
    errors: list[str] = field(default_factory=list)
    error_total: int = 0
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    event_import: EventImport | None = None
    #: The mapping the file was read with, and the preset it came from (not in ``as_json``).
    mapping: Mapping = field(default_factory=dict)
    preset: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "error_rows": self.error_rows,
            "errors": list(self.errors),
            "error_total": self.error_total,
            "warnings": list(self.warnings),
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "event_import": str(self.event_import.public_id) if self.event_import else "",
        }


# --------------------------------------------------------------------------- mapping


def mapping_for_file(
    school: School,
    kind: str,
    table: Table,
    *,
    mapping: Mapping | None = None,
    preset: str = "",
    period: str = "",
) -> tuple[Mapping, str]:
    """The mapping to read ``table`` with, and the preset it came from; ``EventFileError`` if none.

    ``mapping`` (confirmed by the person) comes first, then ``preset`` (forced by name),
    then the mapping the school confirmed for the same headers.
    """
    headers = table.headers
    chosen_preset = ""
    if mapping is not None:
        chosen = {str(name): int(index) for name, index in mapping.items()}
    elif preset:
        found = PRESETS_BY_NAME.get(preset)
        if found is None or kind not in found.kinds:
            names = ", ".join(p.name for p in PRESETS_BY_NAME.values() if kind in p.kinds)
            raise EventFileError(
                table.filename,
                [
                    FileIssue(
                        _(
                            "“%(preset)s” is not a preset for this kind of file (presets: %(names)s)."
                        )
                        % {"preset": preset, "names": names or "—"}
                    )
                ],
            )
        chosen = mapping_from_preset(found, kind, table.header_keys)
        _check_preset_columns(found.name, kind, found.columns, chosen, table)
        fill_fuzzy(kind, table.header_keys, chosen, found)
        chosen_preset = found.name
    else:
        saved = saved_mapping(school, kind, headers)
        if saved is None:
            raise EventFileError(
                table.filename,
                [
                    FileIssue(
                        _(
                            "the columns of this file (these headers) have not been mapped yet: "
                            "confirm the mapping on the import page, or name a preset."
                        ),
                        1,
                    )
                ],
            )
        chosen, chosen_preset = dict(saved.mapping), saved.preset
    problems = check_mapping(kind, chosen, headers, period_given=bool(period))
    if problems:
        raise EventFileError(table.filename, [FileIssue(problem, 1) for problem in problems])
    return chosen, chosen_preset


def _check_preset_columns(
    preset: str, kind: str, columns: dict[str, tuple[str, ...]], chosen: Mapping, table: Table
) -> None:
    issues = IssueList(EventFileError)
    found = ", ".join(h for h in table.headers if h) or "—"
    for target in fields_for(kind):
        if target.required and target.name in columns and target.name not in chosen:
            issues.add(
                FileIssue(
                    _(
                        "the column “%(column)s” (%(field)s) that the preset %(preset)s reads is "
                        "missing (columns found: %(found)s)."
                    )
                    % {
                        "column": columns[target.name][0].upper(),
                        "field": target.label,
                        "preset": preset,
                        "found": found,
                    },
                    1,
                )
            )
    issues.raise_if_any(table.filename)


# --------------------------------------------------------------------------- plan


@dataclass
class PlannedEvent:
    row: int
    pupil_pk: int
    source_key: str
    values: dict[str, Any]


@dataclass
class Plan:
    kind: str
    rows: int
    events: list[PlannedEvent] = field(default_factory=list)
    issues: IssueList = field(default_factory=lambda: IssueList(EventFileError))
    error_rows: set[int] = field(default_factory=set)
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def warnings(self) -> list[str]:
        """Counts of what was left out or changed on purpose; never a cell's content."""
        words: list[str] = []
        if self.duplicates:
            words.append(
                ngettext(
                    "%(count)s row repeats an earlier row of the file; it was counted once.",
                    "%(count)s rows repeat earlier rows of the file; each was counted once.",
                    self.duplicates,
                )
                % {"count": self.duplicates}
            )
        if count := self.skipped[SKIP_OTHER_KIND]:
            words.append(
                ngettext(
                    "%(count)s row is about another kind of event (lateness, infirmary…) and was "
                    "skipped.",
                    "%(count)s rows are about another kind of event (lateness, infirmary…) and "
                    "were skipped.",
                    count,
                )
                % {"count": count}
            )
        if count := self.skipped[SKIP_NO_MARK]:
            words.append(
                ngettext(
                    "%(count)s row has no mark and was skipped.",
                    "%(count)s rows have no mark and were skipped.",
                    count,
                )
                % {"count": count}
            )
        if count := self.notes["health_reason"]:
            words.append(
                ngettext(
                    "%(count)s reason names a health matter: it was not stored (the event was).",
                    "%(count)s reasons name a health matter: they were not stored (the events "
                    "were).",
                    count,
                )
                % {"count": count}
            )
        if count := self.notes["reason_cut"]:
            words.append(
                ngettext(
                    "%(count)s reason was longer than 100 characters and was shortened.",
                    "%(count)s reasons were longer than 100 characters and were shortened.",
                    count,
                )
                % {"count": count}
            )
        return words


def _locate(table: Table, mapping: Mapping, row: int, field_name: str, message: str) -> FileIssue:
    index = mapping.get(field_name)
    if index is None:
        return FileIssue(message, row)
    header = table.headers[index] if index < len(table.headers) else ""
    return FileIssue(message, row, index + 1, header)


def plan_rows(
    *,
    school: School,
    kind: str,
    table: Table,
    mapping: Mapping,
    period: str = "",
    progress: Progress | None = None,
) -> Plan:
    """Read every row and find its pupil; reads the database, writes nothing."""
    progress = progress or Progress()
    progress.stage(JobStage.CHECKING, total=len(table.rows))
    directory = PupilDirectory(school)
    context = ReadContext(kind, period.strip()[:_PERIOD_MAX])
    plan = Plan(kind=kind, rows=len(table.rows))
    plan.issues.extend(table.issues)
    plan.error_rows.update(issue.row for issue in table.issues.issues if issue.row)
    planned: dict[str, PlannedEvent] = {}
    occurrences: dict[tuple[Any, ...], int] = {}
    keys = SourceKeys(school_key=str(school.public_id), kind=kind)
    pupil_keys: dict[int, str] = {}
    for done, (row, cells) in enumerate(table.rows, start=1):
        if not done % _PROGRESS_EVERY:
            progress.advance(_PROGRESS_EVERY)
        read = read_row(table, mapping, row, cells, context)
        if read.skip:
            plan.skipped[read.skip] += 1
            continue
        if not read.ok or read.ids is None:
            for issue in read.issues:
                plan.issues.add(issue)
            plan.error_rows.add(row)
            continue
        resolution = directory.resolve(read.ids)
        if resolution.pupil is None:
            field_name, message = resolution.problem or ("", "")
            if field_name == "last_name" and "last_name" not in mapping:
                field_name = "pupil_name"
            plan.issues.add(_locate(table, mapping, row, field_name, message))
            plan.error_rows.add(row)
            continue
        pupil = resolution.pupil
        identity = read.identity
        if kind == EventKind.MARKS:
            # Two equal marks of one pupil in one file are two marks (two assessments on
            # the same day): their rank among equals keeps them apart, and stable.
            seen = (pupil.pk, identity)
            rank = occurrences[seen] = occurrences.get(seen, 0) + 1
            identity = (*identity, rank)
        pupil_key = pupil_keys.get(pupil.pk)
        if pupil_key is None:
            pupil_key = pupil_keys[pupil.pk] = str(pupil.public_id)
        key = keys(pupil_key=pupil_key, identity=identity)
        earlier = planned.get(key)
        if earlier is not None:
            if earlier.values == read.values:
                plan.duplicates += 1
            else:
                plan.issues.add(
                    FileIssue(
                        _(
                            "this row and row %(first)s describe the same event of the same pupil "
                            "with different values; keep only the right one."
                        )
                        % {"first": earlier.row},
                        row,
                    )
                )
                plan.error_rows.add(row)
            continue
        plan.notes.update(read.notes)
        planned[key] = PlannedEvent(row, pupil.pk, key, read.values)
    progress.advance(len(table.rows) % _PROGRESS_EVERY)
    plan.events = list(planned.values())
    return plan


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Comparison:
    new: list[PlannedEvent] = field(default_factory=list)
    changed: list[ImportedEvent] = field(default_factory=list)
    unchanged: int = 0


def compare(school: School, kind: str, events: Sequence[PlannedEvent]) -> Comparison:
    """Sort the planned events into new, changed (with the new values set) and unchanged.

    One query reads the keys the school already has for this kind (from the unique
    (school, source_key) index); only the events whose key is known are read back, with
    just the stored values, to tell changed from unchanged.
    """
    model = MODELS[kind]
    comparison = Comparison()
    if not events:
        return comparison
    known_keys = set(
        model.objects.filter(school=school).values_list("source_key", flat=True).iterator()
    )
    again = [event for event in events if event.source_key in known_keys]
    if not again:
        comparison.new = list(events)
        return comparison
    names = list(events[0].values)
    stored: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for chunk in _chunks([e.source_key for e in again], BATCH_SIZE):
        for key, pk, *values in model.objects.filter(
            school=school, source_key__in=chunk
        ).values_list("source_key", "pk", *names):
            stored[key] = (pk, tuple(values))
    for event in events:
        found = stored.get(event.source_key)
        if found is None:
            comparison.new.append(event)
            continue
        pk, values = found
        if all(old == event.values[name] for name, old in zip(names, values, strict=True)):
            comparison.unchanged += 1
        else:
            # Only the stored values are read: the instance carries its pk and the new values
            # for ``bulk_update``.
            changed = model(pk=pk, school=school, source_key=event.source_key, **event.values)
            comparison.changed.append(changed)
    return comparison


# --------------------------------------------------------------------------- apply


#: Field classes whose values the database driver takes as they are (exact classes: a
#: subclass, such as an encrypted field, goes through its own ``get_db_prep_save``).
_AS_IS = {
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveIntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.ForeignKey,
}


def _unchanged(value: Any) -> Any:
    """The adapter of a column whose Python values the driver takes as they are."""
    return value


def _column_adapter(model_field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """How one column's Python values become the driver's parameters, as ``bulk_create`` would
    (``_unchanged`` when they need nothing: ``insert_events`` then calls nothing per value)."""
    ops = connection.ops
    kind = type(model_field)
    if kind in _AS_IS:
        return _unchanged
    if kind is models.DateField:
        return ops.adapt_datefield_value
    if kind is models.DecimalField and isinstance(model_field, models.DecimalField):
        if type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value:
            # The backend takes a Decimal as it is (SQLite, PostgreSQL).
            return _unchanged
        digits, places = model_field.max_digits, model_field.decimal_places
        return lambda value: (
            None if value is None else ops.adapt_decimalfield_value(value, digits, places)
        )
    if kind is models.DateTimeField:
        # Instants repeat (each lateness at 08:10 of the same day): adapted once each.
        adapted: dict[Any, Any] = {}

        def adapt(value: Any) -> Any:
            if value is None:
                return None
            found = adapted.get(value)
            if found is None:
                found = adapted[value] = model_field.get_db_prep_save(value, connection)
            return found

        return adapt
    return lambda value: model_field.get_db_prep_save(value, connection)


def random_uuids(count: int, *, native: bool) -> list[Any]:
    """``count`` version-4 UUIDs, as ``uuid.uuid4()`` makes them, from one read of the
    system's random source (``UUID`` objects when the database has a UUID type, else the
    32 hex digits Django stores)."""
    data = bytearray(os.urandom(16 * count))
    # RFC 9562: version 4 in the high nibble of byte 6, variant 10 in the top bits of byte 8.
    data[6::16] = bytes((byte & 0x0F) | 0x40 for byte in data[6::16])
    data[8::16] = bytes((byte & 0x3F) | 0x80 for byte in data[8::16])
    raw = bytes(data)
    if native:
        return [uuid.UUID(bytes=raw[start : start + 16]) for start in range(0, len(raw), 16)]
    return [raw[start : start + 16].hex() for start in range(0, len(raw), 16)]


def insert_events(
    model: Any, *, school: School, history: EventImport, events: Sequence[PlannedEvent]
) -> None:
    """Insert the new events: what ``bulk_create`` does, without building a model instance each.

    One prepared ``INSERT`` run with ``executemany`` (SQLite), or one ``COPY`` stream
    (PostgreSQL), through Django's connection, inside the import's transaction (all or
    nothing). Every concrete column is written: the values read,
    the school, the pupil, the key, the history row, a fresh public id, the timestamps (the
    app clock); each value goes through the column's own conversion (``_column_adapter``),
    so a field that encrypts or adapts its value keeps doing so.
    """
    if not events:
        return
    now = clock.now()
    fixed: dict[str, Any] = {
        "school": school.pk,
        "event_import": history.pk,
        "created_at": now,
        "updated_at": now,
    }
    columns = [f for f in model._meta.concrete_fields if not f.primary_key]
    value_names = set(events[0].values)
    # Column by column (a list comprehension each), then zipped into rows.
    values: list[Any] = []
    for column in columns:
        name, kind = column.name, type(column)
        adapt = _column_adapter(column)
        if name in value_names:
            if adapt is _unchanged:
                values.append([event.values[name] for event in events])
            else:
                values.append([adapt(event.values[name]) for event in events])
        elif name == "pupil":
            values.append([event.pupil_pk for event in events])
        elif name == "source_key":
            values.append([event.source_key for event in events])
        elif name in fixed:
            values.append(itertools.repeat(adapt(fixed[name]), len(events)))
        elif kind is models.UUIDField and column.default is uuid.uuid4:
            values.append(
                random_uuids(len(events), native=connection.features.has_native_uuid_field)
            )
        elif column.has_default():
            values.append([adapt(column.get_default()) for _ in range(len(events))])
        else:
            raise ValueError(f"no value for {model.__name__}.{name}")
    rows = list(zip(*values, strict=True))
    quote = connection.ops.quote_name
    # Names from the model's own meta, quoted by the backend; every value is a parameter.
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column.column) for column in columns)
    with connection.cursor() as cursor:
        driver = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(driver, "copy"):
            # PostgreSQL: one COPY stream (psycopg 3 writes each value with the same
            # adapters as a query's parameters). ``executemany`` sent a statement per row:
            # 9 s for a school's year against well under 1 s.
            with driver.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start : start + INSERT_BATCH])


def _apply(
    *,
    actor: Membership,
    school: School,
    kind: str,
    plan: Plan,
    report: EventReport,
    comparison: Comparison,
    checksum: str,
    job: ImportJob | None,
) -> EventImport:
    model = MODELS[kind]
    history = EventImport.objects.create(
        school=school,
        membership=actor,
        kind=kind,
        imported_at=clock.now(),
        file_sha256=checksum,
        rows_count=report.rows,
        created_count=report.new,
        updated_count=report.updated,
        unchanged_count=report.unchanged,
        duplicate_count=report.duplicates,
        skipped_count=report.skipped,
        warnings=list(report.warnings),
        job=job,
    )
    audit_record(action="import", target=history, membership=actor)
    insert_events(model, school=school, history=history, events=comparison.new)
    if comparison.changed:
        now = clock.now()
        for known in comparison.changed:
            known.event_import = history
            known.updated_at = now
        value_fields = list(plan.events[0].values) if plan.events else []
        model.objects.bulk_update(
            comparison.changed,
            fields=[*value_fields, "event_import", "updated_at"],
            batch_size=BATCH_SIZE,
        )
    return history


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the rows are read and written.

    Reading a file allocates a few hundred thousand small objects that all live until the
    end: the collector would walk them again and again, for about a tenth of the time,
    to free nothing (reference counting still frees everything else at once).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def events_import(
    *,
    actor: Membership,
    kind: str,
    data: bytes,
    filename: str,
    mapping: Mapping | None = None,
    preset: str = "",
    period: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
    job: ImportJob | None = None,
) -> EventReport:
    """Import an events file into the actor's school, or (``dry_run``) say what importing would do.

    A real import refuses any file with a problem (``EventFileError``, listing located
    problems) and writes nothing; otherwise one transaction writes the new and changed
    events, the ``EventImport`` history row and its audit event. Importing the same file
    again changes nothing. A dry run reports the same counts and the problems.
    """
    if actor is None or not can_import_events(actor):
        raise PermissionDenied
    if kind not in EventKind.values:
        raise ValueError(f"unknown kind of events: {kind!r}")
    with _collector_paused():
        return _events_import(
            actor=actor,
            kind=kind,
            data=data,
            filename=filename,
            mapping=mapping,
            preset=preset,
            period=period,
            dry_run=dry_run,
            progress=progress,
            job=job,
        )


def _events_import(
    *,
    actor: Membership,
    kind: str,
    data: bytes,
    filename: str,
    mapping: Mapping | None,
    preset: str,
    period: str,
    dry_run: bool,
    progress: Progress | None,
    job: ImportJob | None,
) -> EventReport:
    progress = progress or Progress()
    progress.stage(JobStage.READING)
    table = read_table(data, filename)
    school = actor.school
    chosen, chosen_preset = mapping_for_file(
        school, kind, table, mapping=mapping, preset=preset, period=period
    )
    if kind in KINDS_WITH_PERIOD and "period" not in chosen and not period.strip():
        raise EventFileError(table.filename, [FileIssue(_("give the period of this file."))])
    plan = plan_rows(
        school=school, kind=kind, table=table, mapping=chosen, period=period, progress=progress
    )
    report = EventReport(
        kind=kind,
        dry_run=dry_run,
        rows=plan.rows,
        duplicates=plan.duplicates,
        skipped=sum(plan.skipped.values()),
        error_rows=len(plan.error_rows),
        error_total=plan.issues.total,
        warnings=plan.warnings(),
        encoding=table.encoding,
        delimiter=table.delimiter,
        mapping=chosen,
        preset=chosen_preset,
    )
    if plan.issues:
        error = EventFileError(table.filename, plan.issues.issues, plan.issues.total)
        report.errors = error.message.splitlines()
        if not dry_run:
            raise error
    progress.stage(JobStage.COMPARING)
    if dry_run:
        comparison = compare(school, kind, plan.events)
        report.new, report.updated = len(comparison.new), len(comparison.changed)
        report.unchanged = comparison.unchanged
        progress.finish()
        return report
    checksum = hashlib.sha256(data).hexdigest()
    progress.stage(JobStage.WRITING)
    with transaction.atomic():
        # One import at a time per school: the comparison must see what the previous one wrote.
        school = School.objects.select_for_update().get(pk=actor.school_id)
        comparison = compare(school, kind, plan.events)
        report.new, report.updated = len(comparison.new), len(comparison.changed)
        report.unchanged = comparison.unchanged
        report.event_import = _apply(
            actor=actor,
            school=school,
            kind=kind,
            plan=plan,
            report=report,
            comparison=comparison,
            checksum=checksum,
            job=job,
        )
    progress.finish()
    return report


# --------------------------------------------------------------------------- preview


@dataclass
class PreviewCell:
    field: str
    label: str
    raw: str
    shown: str
    error: str = ""


@dataclass
class PreviewRow:
    row: int
    cells: list[PreviewCell]
    #: Where the row's pupil stands: found, or the problem (which never repeats a name).
    pupil_found: bool
    messages: list[str]
    skipped: bool


MASK = "•••"


def preview_rows(
    *,
    school: School,
    kind: str,
    table: Table,
    mapping: Mapping,
    period: str = "",
    show_identities: bool = True,
    limit: int = PREVIEW_ROWS,
) -> list[PreviewRow]:
    """The first rows as the import will read them: each mapped cell parsed, or its problem.

    For those who may not see pupils (the technical administrator), the cells that
    identify a pupil are masked.
    """
    directory = PupilDirectory(school)
    context = ReadContext(kind, period.strip()[:_PERIOD_MAX])
    targets = [t for t in fields_for(kind) if t.name in mapping]
    previews = []
    for row, cells in table.rows[:limit]:
        read = read_row(table, mapping, row, cells, context)
        shown_cells = []
        for target in targets:
            cell = read.cells.get(target.name)
            raw = cell.raw if cell else ""
            shown = cell.shown if cell else ""
            error = cell.error if cell else ""
            if target.identifies_pupil and not show_identities:
                raw, shown = (MASK if raw else ""), (MASK if shown and shown != "—" else shown)
            shown_cells.append(PreviewCell(target.name, str(target.label), raw, shown, error))
        located = {cell.error for cell in read.cells.values() if cell.error}
        messages = [issue.message for issue in read.issues if issue.message not in located]
        found = False
        if read.ok and not read.skip and read.ids is not None:
            resolution = directory.resolve(read.ids)
            found = resolution.pupil is not None
            if resolution.problem:
                messages.append(resolution.problem[1])
        previews.append(PreviewRow(row, shown_cells, found, messages, bool(read.skip)))
    return previews
