"""The adapter from the database to the detection engine: one school's input frames.

``engine_input_for(membership)`` reads, for the pupils ``membership`` may see
(``pupils.selectors.pupils_visible_to``; nothing for anyone else), the imported events and the
grid observations, and builds the engine's frames (``alliance.detection.engine.schema``):
one query per frame, ``values_list`` straight into Polars, never a query per pupil.

What never goes in (data minimisation, and the engine refuses protected columns anyway):
names, birth dates, guardians, sex, nationality, scholarship, anything about health; the
free-text reason of an absence; the account of a sanction; observations noted by a
secrecy-bound professional (none can be noted, and a former one would be left out); nurse
visits, which Alliance does not hold at all. ``pupil_id`` is the database key: it never
leaves the server (pages show the pupil's public id).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connections
from django.db.models import FloatField, Max, Min, Q, QuerySet
from django.db.models.functions import Cast

from alliance.core import clock
from alliance.detection.engine.schema import EngineInput
from alliance.detection.models import Absence, Lateness, Mark, Observation, PeriodCount, Sanction
from alliance.pupils.models import Pupil
from alliance.pupils.selectors import pupils_visible_to
from alliance.tenancy.models import SECRECY_BOUND_PROFESSIONS, Membership

PUPIL_ID = pl.Int64

PUPILS_SCHEMA = {"pupil_id": PUPIL_ID, "level": pl.String, "division": pl.String}
ABSENCES_SCHEMA = {
    "pupil_id": PUPIL_ID,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "half_days": pl.Int64,
    "half_day": pl.String,
    "justified": pl.Boolean,
}
LATENESS_SCHEMA = {
    "pupil_id": PUPIL_ID,
    "date": pl.Date,
    "minutes": pl.Int64,
    "justified": pl.Boolean,
}
SANCTIONS_SCHEMA = {
    "pupil_id": PUPIL_ID,
    "date": pl.Date,
    "severity": pl.Int64,
    "exclusion": pl.Boolean,
}
MARKS_SCHEMA = {
    "pupil_id": PUPIL_ID,
    "period": pl.String,
    "mark": pl.Float64,
    "out_of": pl.Float64,
    "coefficient": pl.Float64,
    "subject": pl.String,
    "date": pl.Date,
}
PERIOD_COUNTS_SCHEMA = {
    "pupil_id": PUPIL_ID,
    "period": pl.String,
    "half_days_absent": pl.Int64,
    "unjustified_half_days": pl.Int64,
    "lateness_count": pl.Int64,
}
SIGNS_SCHEMA = {"pupil_id": PUPIL_ID, "date": pl.Date, "sign": pl.String}
PERIODS_SCHEMA = {"period": pl.String, "start_date": pl.Date, "end_date": pl.Date}


@dataclass(frozen=True)
class PupilInfo:
    """What the watchlist shows of a pupil, read in the same query as the ``pupils`` frame."""

    pk: int
    public_id: Any
    first_name: str
    last_name: str
    division: str
    level: str


@dataclass(frozen=True)
class SchoolFrames:
    """The engine's input for one school as one member sees it, and who the pupils are."""

    input: EngineInput
    pupils: dict[int, PupilInfo]


def _frame(rows: Iterable[Sequence[Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def _query_frame(queryset: QuerySet[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """A ``values_list`` queryset's rows as the driver returns them, typed by Polars.

    The same SQL as the queryset (its filters, hence its visibility, unchanged), without
    Django's per-value converters: the drivers already give dates and numbers, and Polars
    turns SQLite's 0/1 into booleans by the schema. A school's year is ~150,000 values a
    frame; the converters were half of reading them.
    """
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def visible_pupils(membership: Membership | None, *, include_left: bool = False) -> QuerySet[Pupil]:
    pupils = pupils_visible_to(membership)
    if not include_left:
        pupils = pupils.filter(left_on__isnull=True)
    return pupils


def engine_input_for(
    membership: Membership | None,
    *,
    since: dt.date | None = None,
    include_left: bool = False,
) -> SchoolFrames:
    """The frames of the pupils ``membership`` sees (the school's pupils still there, by default).

    ``since`` keeps only the events from that day on (the current school year, typically);
    marks and period counts are kept whole (they are per period).
    """
    pupils_qs = visible_pupils(membership, include_left=include_left)
    rows = list(
        pupils_qs.values_list(
            "pk", "public_id", "first_name", "last_name", "division__code", "division__level"
        )
    )
    info = {
        pk: PupilInfo(pk, public_id, first, last, division or "", level or "")
        for pk, public_id, first, last, division, level in rows
    }
    pupils = _frame(
        ((pk, level or "", division or "") for pk, _p, _f, _l, division, level in rows),
        PUPILS_SCHEMA,
    )
    if not rows or membership is None:
        return SchoolFrames(EngineInput(pupils=pupils), info)

    school_id = membership.school_id
    # The pupils as a subquery: one statement per frame whatever the number of pupils.
    scope = {"school_id": school_id, "pupil__in": pupils_qs.values("pk")}

    def dated(queryset: QuerySet[Any], field: str) -> QuerySet[Any]:
        return queryset.filter(**{f"{field}__gte": since}) if since else queryset

    absences = _query_frame(
        dated(Absence.objects.filter(**scope), "end_date").values_list(
            "pupil_id", "start_date", "end_date", "half_days", "half_day", "justified"
        ),
        ABSENCES_SCHEMA,
    ).with_columns(pl.col("half_day").replace("", None))
    lateness = _query_frame(
        dated(Lateness.objects.filter(**scope), "date").values_list(
            "pupil_id", "date", "minutes", "justified"
        ),
        LATENESS_SCHEMA,
    )
    sanctions = _query_frame(
        dated(Sanction.objects.filter(**scope), "date").values_list(
            "pupil_id", "date", "severity", "exclusion"
        ),
        SANCTIONS_SCHEMA,
    )
    marks_qs = Mark.objects.filter(**scope, mark__isnull=False)
    if since:
        # Marks are per period; a dated mark of an earlier year is left out.
        marks_qs = marks_qs.filter(Q(date__isnull=True) | Q(date__gte=since))
    marks = _query_frame(
        marks_qs.annotate(
            mark_f=Cast("mark", FloatField()),
            out_of_f=Cast("out_of", FloatField()),
            coefficient_f=Cast("coefficient", FloatField()),
        ).values_list(
            "pupil_id", "period", "mark_f", "out_of_f", "coefficient_f", "subject", "date"
        ),
        MARKS_SCHEMA,
    )
    period_counts = _query_frame(
        PeriodCount.objects.filter(**scope).values_list(
            "pupil_id",
            "period",
            "half_days_absent",
            "unjustified_half_days",
            "lateness_count",
        ),
        PERIOD_COUNTS_SCHEMA,
    )
    signs = _query_frame(
        dated(
            Observation.objects.filter(**scope).exclude(
                recorded_by__profession__in=SECRECY_BOUND_PROFESSIONS
            ),
            "observed_on",
        ).values_list("pupil_id", "observed_on", "sign__code"),
        SIGNS_SCHEMA,
    )
    periods = None
    if period_counts.height:
        # Counts per period need the periods' dates (their thresholds scale with the months):
        # the span of the period's dated marks, or the usual calendar of a trimester or
        # semester label. Counts of a period that cannot be dated are left out.
        spans = {
            period: (first, last)
            for period, first, last in marks_qs.exclude(date__isnull=True)
            .values("period")
            .annotate(first=Min("date"), last=Max("date"))
            .values_list("period", "first", "last")
        }
        year_start = since or school_year_start(clock.today())
        dated_periods = []
        for label in period_counts.get_column("period").unique().sort().to_list():
            span = spans.get(label) or period_span_from_label(label, year_start)
            if span is not None:
                dated_periods.append((label, *span))
        periods = _frame(dated_periods, PERIODS_SCHEMA)
        period_counts = period_counts.filter(
            pl.col("period").is_in(periods.get_column("period").implode())
        )
    return SchoolFrames(
        EngineInput(
            pupils=pupils,
            absences=absences,
            lateness=lateness,
            sanctions=sanctions,
            marks=marks,
            period_counts=period_counts,
            signs=signs,
            periods=periods,
        ),
        info,
    )


def school_year_start(day: dt.date) -> dt.date:
    """The first of August before ``day``: events from then on belong to this school year."""
    return dt.date(day.year if day.month >= 8 else day.year - 1, 8, 1)


_TRIMESTERS = {1: ((9, 1), (11, 30)), 2: ((12, 1), (2, 28)), 3: ((3, 1), (7, 5))}
_SEMESTERS = {1: ((9, 1), (1, 31)), 2: ((2, 1), (7, 5))}


def period_span_from_label(label: str, year_start: dt.date) -> tuple[dt.date, dt.date] | None:
    """The usual dates of "T1", "Trimestre 2", "S1", "Semestre 2"… in the school year, or None."""
    text = label.strip().lower()
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) != 1:
        return None
    number = int(digits)
    table = _TRIMESTERS if text.startswith("t") else _SEMESTERS if text.startswith("s") else None
    if table is None or number not in table:
        return None
    (m1, d1), (m2, d2) = table[number]
    start_year = year_start.year
    start = dt.date(start_year + (m1 < 8), m1, d1)
    end = dt.date(start_year + (m2 < 8), m2, d2)
    return start, end
