"""From one row of an events file to the values of one event (or a located problem).

``read_row`` reads the cells the mapping points at, with the parsers of
``alliance.detection.values``, and returns what identifies the pupil, what
identifies the event (its *identity*, the part of the normalised row that the
``source_key`` hashes) and the values to store. Attributes that a school corrects
later (justified, reason, minutes, counts) are not part of the identity: importing
the corrected file updates the event instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from alliance.core.textfiles import CellError, FileIssue, clean_cell
from alliance.core.textfiles import plain_text as _plain_text
from alliance.detection.fields import fields_for
from alliance.detection.matching import PupilIds
from alliance.detection.models import (
    Absence,
    EventKind,
    Lateness,
    Mark,
    MarkSpecial,
    PeriodCount,
    Sanction,
)
from alliance.detection.tables import Table
from alliance.detection.values import (
    MarkValue,
    When,
    aware,
    event_type_of,
    infer_exclusion,
    infer_severity,
    is_health_reason,
    parse_count,
    parse_decimal,
    parse_duration,
    parse_half_day,
    parse_half_days,
    parse_mark,
    parse_minutes,
    parse_severity,
    parse_time,
    parse_when,
    parse_yes_no,
)

# Typed loosely: django-stubs knows no manager on the abstract ``ImportedEvent``.
MODELS: dict[str, Any] = {
    EventKind.ABSENCES: Absence,
    EventKind.LATENESS: Lateness,
    EventKind.SANCTIONS: Sanction,
    EventKind.MARKS: Mark,
    EventKind.COUNTS: PeriodCount,
}

_INE = re.compile(r"\d{10}[A-Z]|\d{9}[A-Z]{2}")
_ID = re.compile(r"[0-9A-Za-z]{1,20}")
_NAME_MAX = 100
_REASON_MAX = 100
_PERIOD_MAX = 32
_NOON = dt.time(12, 0)


@functools.lru_cache(maxsize=65_536)
def plain_text(value: str) -> str:
    """``alliance.core.textfiles.plain_text``, remembered: identities repeat their subjects,
    periods and natures on thousands of rows."""
    return _plain_text(value)


# Why a row is not imported although it is valid.
SKIP_OTHER_KIND = "other_kind"
SKIP_NO_MARK = "no_mark"


_UNSET: Any = object()
#: ``map(cleaned.get, names, _EMPTY)``: each name's cleaned text, "" when it has none.
_EMPTY = itertools.repeat("")


class Cell:
    """One mapped cell as read: the text, the value shown in the preview, or the problem.

    The shown text of a parsed value is formatted only when asked for (the preview's
    rows, a problem): formatting every date of a 30,000-row file for display cost
    seconds for nothing.
    """

    __slots__ = ("_shown", "error", "raw", "value")

    def __init__(self, raw: str, shown: str = "", error: str = "", *, value: Any = _UNSET):
        self.raw = raw
        self._shown = shown
        self.error = error
        self.value = value

    @property
    def shown(self) -> str:
        if self.value is not _UNSET:
            self._shown, self.value = _shown(self.value), _UNSET
        return self._shown

    @shown.setter
    def shown(self, text: str) -> None:
        self._shown, self.value = text, _UNSET

    def __repr__(self) -> str:
        return f"Cell(raw={self.raw!r}, shown={self.shown!r}, error={self.error!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cell):
            return NotImplemented
        return (self.raw, self.shown, self.error) == (other.raw, other.shown, other.error)

    __hash__ = None  # type: ignore[assignment]


@dataclass
class ReadRow:
    row: int
    ids: PupilIds | None = None
    identity: tuple[Any, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)
    skip: str = ""
    cells: dict[str, Cell] = field(default_factory=dict)
    issues: list[FileIssue] = field(default_factory=list)
    #: Facts worth a warning (counted, never detailed): ``health_reason``, ``reason_cut``.
    notes: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.issues


def shown(value: Any) -> str:
    """A parsed value as the preview shows it."""
    return _shown(value)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, When):
        day = formats.date_format(value.date, "SHORT_DATE_FORMAT")
        return f"{day} {value.time:%H:%M}" if value.time else day
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, Decimal):
        return formats.number_format(value.normalize() if value == value.to_integral() else value)
    if isinstance(value, MarkValue):
        if value.special:
            return str(MarkSpecial(value.special).label)
        text = shown(value.mark)
        return f"{text} / {shown(value.out_of)}" if value.out_of is not None else text
    return str(value)


class CleanTexts(dict[str, str]):
    """Cell texts and their cleaned form (``clean_cell``), each cleaned on first lookup."""

    def __missing__(self, text: str) -> str:
        cleaned = self[text] = clean_cell(text)
        return cleaned


class RowReader:
    """Reads the mapped cells of one data row, keeping each cell's outcome and located problems."""

    def __init__(
        self,
        table: Table,
        mapping: dict[str, int],
        row: int,
        cells: list[str],
        memo: dict[Any, Any] | None = None,
    ):
        self.table = table
        self.mapping = mapping
        self.result = ReadRow(row=row)
        self.cells = cells
        self.memo: dict[Any, Any] = {} if memo is None else memo
        # Each distinct cell text cleaned once per import; a text met before (a date, a
        # class, a name) is looked up rather than cleaned again.
        texts = self.memo.get(CleanTexts)
        if texts is None:
            texts = self.memo[CleanTexts] = CleanTexts()
        width = len(cells)
        self.cleaned: dict[str, str] = {
            name: texts[cells[index]] for name, index in mapping.items() if index < width
        }

    def has(self, name: str) -> bool:
        return name in self.mapping

    def raw(self, name: str) -> str:
        """The cleaned text of the field's cell; ``""`` when unmapped or beyond the row's end."""
        return self.cleaned.get(name, "")

    def fail(self, name: str, message: str) -> None:
        index = self.mapping.get(name)
        cell = self.result.cells.get(name)
        if cell is not None:
            cell.error = message
        if index is None:
            self.result.issues.append(FileIssue(message, self.result.row))
            return
        header = self.table.headers[index] if index < len(self.table.headers) else ""
        self.result.issues.append(FileIssue(message, self.result.row, index + 1, header))

    def fail_row(self, message: str) -> None:
        self.result.issues.append(FileIssue(message, self.result.row))

    def parse(self, name: str, parser: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The cell parsed, or ``None`` (problem recorded); ``None`` too for an unmapped field."""
        if not self.has(name):
            return None
        raw = self.raw(name)
        cell = self.result.cells[name] = Cell(raw)
        # The same text parses to the same value: a file repeats its dates, times and
        # marks thousands of times, so each distinct cell is parsed once per import.
        key = (parser, raw, args, tuple(kwargs.items()) if kwargs else ())
        value = self.memo.get(key, _UNSET)
        if value is _UNSET:
            try:
                value = parser(raw, *args, **kwargs)
            except CellError as error:
                self.fail(name, str(error))
                return None
            self.memo[key] = value
        cell.value = value
        return value

    def optional(self, name: str, parser: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Like ``parse``, but an empty cell is ``None`` without a problem."""
        if name not in self.mapping:
            return None
        if not self.cleaned.get(name):
            self.result.cells[name] = Cell("", "—")
            return None
        return self.parse(name, parser, *args, **kwargs)

    def text(self, name: str, *, max_length: int, required: bool = False) -> str:
        if name not in self.mapping:
            return ""
        raw = self.cleaned.get(name, "")
        self.result.cells[name] = Cell(raw, raw or "—")
        if required and not raw:
            self.fail(name, _("a value is required."))
        elif len(raw) > max_length:
            self.fail(name, _("at most %(max)s characters.") % {"max": max_length})
        return raw


# --------------------------------------------------------------------------- pupil


def _parse_ine(value: str) -> str:
    ine = value.upper().replace(" ", "")
    if not _INE.fullmatch(ine):
        # The value is not repeated: an INE identifies a pupil.
        raise CellError(
            _("this is not a valid INE (10 digits and a letter, or 9 digits and 2 letters).")
        )
    return ine


def _parse_id(value: str) -> str:
    if not _ID.fullmatch(value.replace(" ", "")):
        raise CellError(_("this is not a valid pupil id (digits and letters only)."))
    return value.replace(" ", "")


def _parse_birth_date(value: str) -> dt.date:
    when = parse_when(value)
    return when.date


#: The cells ``_read_pupil`` reads; the kind's readers read the others.
_PUPIL_NAMES = (
    "ine",
    "school_number",
    "source_id",
    "pupil_name",
    "last_name",
    "first_name",
    "birth_date",
    "division",
)


def _split_names(mapping: dict[str, int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The mapped fields that describe the event, and those that identify the pupil."""
    events = tuple(name for name in mapping if name not in _PUPIL_NAMES)
    return events, tuple(name for name in mapping if name in _PUPIL_NAMES)


def _read_pupil(reader: RowReader) -> PupilIds:
    return PupilIds(
        ine=reader.optional("ine", _parse_ine) or "",
        school_number=reader.optional("school_number", _parse_id) or "",
        source_id=reader.optional("source_id", _parse_id) or "",
        pupil_name=reader.text("pupil_name", max_length=2 * _NAME_MAX),
        last_name=reader.text("last_name", max_length=_NAME_MAX),
        first_name=reader.text("first_name", max_length=_NAME_MAX),
        birth_date=reader.optional("birth_date", _parse_birth_date),
        division=reader.text("division", max_length=32),
    )


# --------------------------------------------------------------------------- kinds


def _reason(reader: RowReader) -> str:
    reason = reader.text("reason", max_length=10_000)
    if reason and is_health_reason(reason):
        reader.result.notes.add("health_reason")
        reader.result.cells["reason"].shown = _("(health matter: not stored)")
        return ""
    if len(reason) > _REASON_MAX:
        reader.result.notes.add("reason_cut")
        reason = reason[: _REASON_MAX - 1] + "…"
    return reason


def _other_kind(reader: RowReader, kind: str) -> bool:
    if not reader.has("event_type"):
        return False
    raw = reader.raw("event_type")
    found = event_type_of(raw)
    reader.result.cells["event_type"] = Cell(raw, raw or "—")
    if found == kind:
        return False
    reader.result.cells["event_type"].shown = _("(another kind: row skipped)")
    return True


def estimate_half_days(
    start: dt.date, start_time: dt.time | None, end: dt.date, end_time: dt.time | None
) -> int:
    """Half-days an absence covers when the file does not count them: mornings and afternoons
    from the start to the end, Sundays excepted (a time before noon ends in the morning)."""
    count = 0
    day = start
    while day <= end:
        if day.weekday() != 6:
            morning = not (day == start and start_time is not None and start_time >= _NOON)
            afternoon = not (day == end and end_time is not None and end_time <= _NOON)
            count += int(morning) + int(afternoon)
        day += dt.timedelta(days=1)
    return max(count, 1)


def _absence(reader: RowReader, context: ReadContext) -> None:
    if _other_kind(reader, EventKind.ABSENCES):
        reader.result.skip = SKIP_OTHER_KIND
        return
    start = reader.parse("start", parse_when)
    start_time = reader.optional("start_time", parse_time)
    end = reader.optional("end", parse_when)
    end_time = reader.optional("end_time", parse_time)
    half_day = reader.optional("half_day", parse_half_day) or ""
    half_days = reader.optional("half_days", parse_half_days)
    justified = reader.optional("justified", parse_yes_no)
    reason = _reason(reader)
    if start is None or not reader.result.ok:
        return
    st = start.time or start_time
    end_date = end.date if end is not None else start.date
    et = (end.time if end is not None else None) or end_time
    if end_date < start.date or (end_date == start.date and st and et and et < st):
        reader.fail(
            "end" if reader.has("end") else "end_time", _("the absence ends before it starts.")
        )
        return
    if half_days is None:
        half_days = 1 if half_day else estimate_half_days(start.date, st, end_date, et)
    reader.result.identity = (
        start.date.isoformat(),
        st.isoformat() if st else "",
        half_day,
        end_date.isoformat(),
        et.isoformat() if et else "",
    )
    reader.result.values = {
        "start_date": start.date,
        "end_date": end_date,
        "starts_at": context.aware(start.date, st),
        "ends_at": context.aware(end_date, et),
        "half_day": half_day,
        "half_days": half_days,
        "justified": justified,
        "reason": reason,
    }


def _lateness(reader: RowReader, context: ReadContext) -> None:
    if _other_kind(reader, EventKind.LATENESS):
        reader.result.skip = SKIP_OTHER_KIND
        return
    when = reader.parse("date", parse_when)
    time = reader.optional("time", parse_time)
    minutes = reader.optional("minutes", parse_minutes)
    justified = reader.optional("justified", parse_yes_no)
    reason = _reason(reader)
    if when is None or not reader.result.ok:
        return
    at = when.time or time
    reader.result.identity = (when.date.isoformat(), at.isoformat() if at else "")
    reader.result.values = {
        "date": when.date,
        "occurred_at": context.aware(when.date, at),
        "minutes": minutes,
        "justified": justified,
        "reason": reason,
    }


def _sanction(reader: RowReader, context: ReadContext) -> None:
    when = reader.parse("date", parse_when)
    time = reader.optional("time", parse_time)
    number = reader.text("incident_number", max_length=32)
    nature = reader.text("nature", max_length=_NAME_MAX, required=True)
    severity = reader.optional("severity", parse_severity)
    exclusion = reader.optional("exclusion", parse_yes_no)
    if exclusion is None:
        exclusion = infer_exclusion(nature)
    duration = reader.optional("duration", parse_duration, exclusion=exclusion)
    if when is None or not reader.result.ok:
        return
    at = when.time or time
    reader.result.identity = (
        number,
        when.date.isoformat(),
        at.isoformat() if at else "",
        plain_text(nature),
    )
    reader.result.values = {
        "date": when.date,
        "occurred_at": context.aware(when.date, at),
        "incident_number": number,
        "nature": nature,
        "severity": severity if severity is not None else infer_severity(nature),
        "exclusion": exclusion,
        "duration": duration[0] if duration else None,
        "duration_unit": duration[1] if duration else "",
    }


def _period(reader: RowReader, context: ReadContext) -> str:
    period = reader.text("period", max_length=_PERIOD_MAX) or context.period
    if not period:
        if reader.has("period"):
            reader.fail("period", _("the period is required."))
        else:
            reader.fail_row(_("the period is required."))
    return period


@functools.lru_cache(maxsize=4096)
def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


#: A mark's cells other than the mark: the same for every pupil of one assessment.
_MARK_CONTEXT = ("period", "subject", "date", "assessment", "out_of", "coefficient")


def _mark(reader: RowReader, context: ReadContext) -> None:
    # A class's marks of one assessment share their period, subject, date, assessment,
    # scale and coefficient: read once per import when they read without a problem, so
    # that each row only parses its mark. (A problem is never remembered: a row that
    # misses is read in full, as before, with its own messages.)
    key = ("mark", *map(reader.cleaned.get, _MARK_CONTEXT, _EMPTY))
    known = context.memo.get(key)
    if known is None:
        _mark_in_full(reader, context, key)
        return
    period, subject, when, assessment, out_of, coefficient, cells = known
    reader.result.cells.update(cells)
    if reader.has("mark") and not reader.raw("mark"):
        reader.result.cells["mark"] = Cell("", _("(no mark: row skipped)"))
        reader.result.skip = SKIP_NO_MARK
        return
    mark: MarkValue | None = reader.parse("mark", parse_mark)
    if mark is None:
        return
    _mark_values(reader, period, subject, when, assessment, mark, out_of, coefficient)


def _mark_in_full(reader: RowReader, context: ReadContext, key: tuple[Any, ...]) -> None:
    period = _period(reader, context)
    subject = reader.text("subject", max_length=_NAME_MAX, required=True)
    when = reader.optional("date", parse_when)
    assessment = reader.text("assessment", max_length=_NAME_MAX)
    if reader.has("mark") and not reader.raw("mark"):
        reader.result.cells["mark"] = Cell("", _("(no mark: row skipped)"))
        reader.result.skip = SKIP_NO_MARK
        return
    mark: MarkValue | None = reader.parse("mark", parse_mark)
    out_of = reader.optional("out_of", parse_decimal, positive=True)
    coefficient = reader.optional("coefficient", parse_decimal)
    if mark is None or not reader.result.ok:
        return
    context.memo[key] = (
        period,
        subject,
        when,
        assessment,
        out_of,
        coefficient,
        {name: reader.result.cells[name] for name in _MARK_CONTEXT if name in reader.result.cells},
    )
    _mark_values(reader, period, subject, when, assessment, mark, out_of, coefficient)


def _mark_values(
    reader: RowReader,
    period: str,
    subject: str,
    when: When | None,
    assessment: str,
    mark: MarkValue,
    out_of: Decimal | None,
    coefficient: Decimal | None,
) -> None:
    """Check the mark against its scale, then the row's identity and values."""
    if out_of is None:
        out_of = mark.out_of if mark.out_of is not None else Decimal("20.00")
    elif mark.out_of is not None and mark.out_of != out_of:
        reader.fail("mark", _("the mark’s own scale differs from the scale column."))
        return
    if coefficient is None:
        coefficient = Decimal("1.00")
    if mark.mark is not None and mark.mark > out_of:
        reader.fail(
            "mark",
            _("the mark is greater than the scale (%(scale)s).") % {"scale": _number(out_of)},
        )
        return
    reader.result.identity = (
        plain_text(period),
        plain_text(subject),
        when.date.isoformat() if when else "",
        plain_text(assessment),
        _number(mark.mark),
        mark.special,
        _number(out_of),
        _number(coefficient),
    )
    reader.result.values = {
        "period": period,
        "subject": subject,
        "date": when.date if when else None,
        "assessment": assessment,
        "mark": mark.mark,
        "special": mark.special,
        "out_of": out_of,
        "coefficient": coefficient,
    }


def _counts(reader: RowReader, context: ReadContext) -> None:
    period = _period(reader, context)
    absent = reader.parse("half_days_absent", parse_count)
    # An empty cell in a count column counts as 0; an unmapped column stays unknown.
    unjustified = reader.parse("unjustified_half_days", parse_count)
    invalid = reader.parse("invalid_reason_half_days", parse_count)
    lateness = reader.parse("lateness_count", parse_count)
    if absent is None or not reader.result.ok:
        return
    if unjustified is not None and unjustified > absent:
        reader.fail(
            "unjustified_half_days",
            _("more unjustified half-days (%(unjustified)s) than half-days absent (%(absent)s).")
            % {"unjustified": unjustified, "absent": absent},
        )
        return
    # One count per pupil and period: a newer file for the period updates it.
    reader.result.identity = (plain_text(period),)
    reader.result.values = {
        "period": period,
        "half_days_absent": absent,
        "unjustified_half_days": unjustified,
        "invalid_reason_half_days": invalid,
        "lateness_count": lateness,
    }


@dataclass
class ReadContext:
    kind: str
    #: The period given at upload, for files without a period column.
    period: str = ""
    #: Parsed cells and instants already computed during this import (values only, never
    #: problems): the same text, the same value.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    #: Events remembered, and rows that found theirs remembered (whether remembering pays).
    events_kept: int = field(default=0, compare=False)
    event_hits: int = field(default=0, compare=False)

    def aware(self, date: dt.date, time: dt.time | None) -> dt.datetime | None:
        """``values.aware``, computed once per distinct day and time of the import."""
        key = ("aware", date, time)
        found = self.memo.get(key, _UNSET)
        if found is _UNSET:
            found = self.memo[key] = aware(date, time)
        return found


_READERS: dict[str, Callable[[RowReader, ReadContext], None]] = {
    EventKind.ABSENCES: _absence,
    EventKind.LATENESS: _lateness,
    EventKind.SANCTIONS: _sanction,
    EventKind.MARKS: _mark,
    EventKind.COUNTS: _counts,
}


def read_row(
    table: Table, mapping: dict[str, int], row: int, cells: list[str], context: ReadContext
) -> ReadRow:
    """Read one data row. Problems are in ``.issues``; a valid row to leave out has ``.skip``."""
    reader = RowReader(table, mapping, row, cells, context.memo)
    # What depends only on the file and the mapping, worked out on the first row.
    shape = context.memo.get(("shape", id(table), id(mapping)))
    if shape is None:
        width = table.width
        shape = context.memo[("shape", id(table), id(mapping))] = (
            width,
            max(len(table.headers), width),
            _split_names(mapping),
        )
    width, beyond, names = shape
    if len(cells) < width:
        missing = len(cells)
        reader.result.issues.append(
            FileIssue(
                _(
                    "this row has %(found)s fields but the header has %(expected)s: it stops "
                    "before this column (truncated file, or a separator other than "
                    "“%(delimiter)s”?)."
                )
                % {
                    "found": len(cells),
                    "expected": width,
                    "delimiter": table.delimiter or ";",
                },
                row,
                missing + 1,
                table.headers[missing],
            )
        )
        return reader.result
    if len(cells) > beyond and any(clean_cell(cell) for cell in cells[beyond:]):
        reader.fail_row(
            _(
                "a value beyond the header’s last column (a “%(delimiter)s” inside a value must "
                "be in quotes)."
            )
            % {"delimiter": table.delimiter or ";"}
        )
        return reader.result
    result = reader.result
    # The event's cells and the pupil's cells are read apart, each remembered by their texts
    # for the rest of the import when they read without a problem: a year of absences
    # repeats the same days and the same pupils thousands of times. A row with a problem is
    # always read in full, so that its messages carry its own row number.
    # (Marks rarely repeat: past a few thousand kept and seldom found again, no more are kept.)
    remember = context.events_kept < 5000 or context.event_hits > context.events_kept
    cleaned = reader.cleaned
    # Once remembering has stopped paying, the rows are read without looking (the few kept
    # events would give the same values as reading them).
    event_key = ("event", *map(cleaned.get, names[0], _EMPTY)) if remember else None
    known = context.memo.get(event_key) if remember else None
    if known is not None:
        context.event_hits += 1
        result.identity, values, result.skip, notes, known_cells = known
        result.values = dict(values)
        result.notes = set(notes)
        result.cells.update(known_cells)
    else:
        _READERS[context.kind](reader, context)
        if result.ok and event_key is not None:
            context.events_kept += 1
            context.memo[event_key] = (
                result.identity,
                dict(result.values),
                result.skip,
                frozenset(result.notes),
                dict(result.cells),
            )
    if result.skip:
        return result
    pupil_key = ("pupil", *map(cleaned.get, names[1], _EMPTY))
    ids = context.memo.get(pupil_key)
    if ids is None:
        before = len(result.issues)
        ids = _read_pupil(reader)
        if len(result.issues) == before and ids.given():
            context.memo[pupil_key] = (
                ids,
                {n: result.cells[n] for n in _PUPIL_NAMES if n in result.cells},
            )
    else:
        ids, pupil_cells = ids
        result.cells.update(pupil_cells)
    if not ids.given() and reader.result.ok:
        first = next(
            (f.name for f in fields_for(context.kind) if f.identifies_pupil and f.name in mapping),
            "",
        )
        message = _("the pupil is not identified: these cells are empty.")
        if first:
            reader.fail(first, message)
        else:
            reader.fail_row(message)
    reader.result.ids = ids
    return reader.result


def source_key(*, school_key: str, kind: str, pupil_key: str, identity: tuple[Any, ...]) -> str:
    """SHA-256 of the school, the kind, the pupil and the event's identity (JSON, canonical)."""
    payload = json.dumps([school_key, kind, pupil_key, *identity], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


#: ``json.dumps(..., ensure_ascii=False)`` makes a new encoder at each call; one for every
#: row writes the same text, a microsecond a row sooner.
_json_text = json.JSONEncoder(ensure_ascii=False).encode
#: The encoder's own function for one string (``ensure_ascii=False``).
_json_string = json.encoder.encode_basestring


class SourceKeys:
    """``source_key`` for the rows of one import, the same hex digest, made faster: the JSON of
    the school, the kind and each pupil is written once, each row adds its identity's."""

    def __init__(self, *, school_key: str, kind: str) -> None:
        self.school_key = school_key
        self.kind = kind
        self._prefixes: dict[Any, str] = {}

    def __call__(self, *, pupil_key: str, identity: tuple[Any, ...]) -> str:
        prefix = self._prefixes.get(pupil_key)
        if prefix is None:
            whole = json.dumps([self.school_key, self.kind, pupil_key], ensure_ascii=False)
            prefix = self._prefixes[pupil_key] = whole[:-1]
        payload = f"{prefix}, {_json_items(identity)}]" if identity else f"{prefix}]"
        return hashlib.sha256(payload.encode()).hexdigest()


def _json_items(items: tuple[Any, ...]) -> str:
    """The items of a JSON array, as ``json.dumps(list(items), ensure_ascii=False)`` writes
    them between its brackets: strings and whole numbers written directly (an identity
    holds nothing else), anything else by the encoder."""
    parts = []
    for item in items:
        kind = type(item)
        if kind is str:
            parts.append(_json_string(item))
        elif kind is int:
            parts.append(int.__repr__(item))
        else:
            parts.append(_json_text(item))
    return ", ".join(parts)
