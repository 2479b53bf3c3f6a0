"""From events to indicators: one wide frame per pupil and month, one per pupil and period.

Monthly (from ``absences``, ``lateness``, ``sanctions``, ``signs``): every known pupil has a
row for every month of the observation window, zeros included, so that "since when" can
see a month without events break a run. Per period (from ``marks`` and ``period_counts``):
a row where the pupil has marks or counts in that period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from alliance.detection.engine.catalogue import MONTHLY_INDICATORS
from alliance.detection.engine.rules import RuleSet
from alliance.detection.engine.schema import InputFrameError

DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Conformed:
    """The input frames, checked, typed, and limited to known pupils and to ``as_of``."""

    pupils: pl.DataFrame
    absences: pl.DataFrame | None
    lateness: pl.DataFrame | None
    sanctions: pl.DataFrame | None
    marks: pl.DataFrame | None
    period_counts: pl.DataFrame | None
    signs: pl.DataFrame | None
    periods: pl.DataFrame | None
    school_days: pl.DataFrame | None


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months = []
    current = dt.date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = month_end(current) + dt.timedelta(days=1)
    return months


def school_half_days_between(start: dt.date, end: dt.date, rules: RuleSet) -> int:
    """School half-days from ``start`` to ``end`` included, by the rules' weekday calendar."""
    if end < start:
        return 0
    weights = rules.calendar.half_days
    days = (end - start).days + 1
    full_weeks, rest = divmod(days, 7)
    total = full_weeks * sum(weights)
    for offset in range(rest):
        total += weights[(start.weekday() + offset) % 7]
    return total


def _weekday_weighted_days(start: pl.Expr, end: pl.Expr, rules: RuleSet) -> pl.Expr:
    """Vectorised school half-days from ``start`` to ``end`` included."""
    total: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for weekday, weight in enumerate(rules.calendar.half_days):
        if weight == 0:
            continue
        mask = [day == weekday for day in range(7)]
        count = pl.business_day_count(start, end.dt.offset_by("1d"), week_mask=mask)
        total = total + count.cast(pl.Int64) * weight
    return total


def event_dates(data: Conformed) -> list[dt.date]:
    """First and last dates of the dated events (empty when there are none)."""
    found: list[dt.date] = []
    for frame, column in (
        (data.absences, "start_date"),
        (data.absences, "end_date"),
        (data.lateness, "date"),
        (data.sanctions, "date"),
        (data.signs, "date"),
        (data.marks, "date"),
    ):
        if frame is not None and frame.height:
            series = frame.get_column(column).drop_nulls()
            if series.len():
                found += [series.min(), series.max()]  # type: ignore[list-item]
    return found


def _month_of(column: str) -> pl.Expr:
    return pl.col(column).dt.month_start().alias("month")


def monthly_frame(data: Conformed, rules: RuleSet, as_of: dt.date | None) -> pl.DataFrame:
    """One row per known pupil and month of the window, each monthly indicator a column.

    Each event kind is reduced to per-pupil-month sums in one lazy query; the sums are
    stacked and added up once, then spread on the pupils × months grid (zeros included).
    """
    pupil_dtype = data.pupils.schema["pupil_id"]
    parts: list[pl.LazyFrame] = []
    months_seen: list[dt.date] = []

    def seen(frame: pl.DataFrame, column: str) -> None:
        series = frame.get_column(column)
        months_seen.extend(
            dt.date(day.year, day.month, 1)
            for day in (series.min(), series.max())
            if isinstance(day, dt.date)
        )

    if data.absences is not None and data.absences.height:
        seen(data.absences, "start_date")
        absences = data.absences.lazy().with_columns(
            pl.col("end_date").fill_null(pl.col("start_date"))
        )
        if as_of is not None:
            absences = absences.with_columns(
                pl.min_horizontal(pl.col("end_date"), pl.lit(as_of)).alias("end_date")
            )
        half_days: pl.Expr = pl.col("half_days")
        if data.absences.get_column("half_days").null_count():
            # Only when some absence has no count: the calendar is the costly part.
            half_days = pl.coalesce(
                pl.col("half_days"),
                pl.when(pl.col("half_day").is_not_null() & (pl.col("half_day") != ""))
                .then(pl.lit(1, dtype=pl.Int64))
                .otherwise(None),
                _weekday_weighted_days(pl.col("start_date"), pl.col("end_date"), rules),
            )
        parts.append(
            absences.select(
                "pupil_id",
                _month_of("start_date"),
                half_days.alias("absent_half_days"),
                pl.when(pl.col("justified").fill_null(False))
                .then(0)
                .otherwise(half_days)
                .alias("unjustified_half_days"),
                pl.min_horizontal(pl.col("end_date"), pl.col("start_date").dt.month_end()).alias(
                    "known_on_absences"
                ),
            )
        )
    if data.lateness is not None and data.lateness.height:
        seen(data.lateness, "date")
        parts.append(
            data.lateness.lazy().select(
                "pupil_id",
                _month_of("date"),
                pl.lit(1, dtype=pl.Int64).alias("lateness"),
                pl.col("date").alias("known_on_lateness"),
            )
        )
    if data.sanctions is not None and data.sanctions.height:
        seen(data.sanctions, "date")
        parts.append(
            data.sanctions.lazy().select(
                "pupil_id",
                _month_of("date"),
                pl.lit(1, dtype=pl.Int64).alias("incidents"),
                (pl.col("severity") == 2).cast(pl.Int64).alias("punishments"),
                (pl.col("severity") >= 3).cast(pl.Int64).alias("sanctions"),
                pl.col("exclusion").fill_null(False).cast(pl.Int64).alias("exclusions"),
                pl.col("date").alias("known_on_sanctions"),
            )
        )
    signs = None
    if data.signs is not None and data.signs.height:
        seen(data.signs, "date")
        signs = (
            data.signs.lazy()
            .group_by("pupil_id", _month_of("date"))
            .agg(
                pl.col("sign").n_unique().cast(pl.Int64).alias("observed_signs"),
                pl.col("date").max().alias("known_on_signs"),
            )
        )
        parts.append(signs)
    if data.school_days is not None and data.school_days.height:
        seen(data.school_days, "month")

    count_columns = [code for code in MONTHLY_INDICATORS if code != "absence_rate"]
    known_columns = [
        "known_on_absences",
        "known_on_lateness",
        "known_on_sanctions",
        "known_on_signs",
    ]
    empty_schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "pupil_id": pupil_dtype,
        "month": pl.Date,
        "month_end": pl.Date,
        "school_half_days": pl.Int64,
        **dict.fromkeys(count_columns, pl.Int64),
        "absence_rate": pl.Float64,
        **dict.fromkeys(known_columns, pl.Date),
    }
    if not parts:
        return pl.DataFrame(schema=empty_schema)

    first = min(months_seen)
    last = as_of if as_of is not None else max(months_seen)
    months = month_range(first, last)
    if not months:
        return pl.DataFrame(schema=empty_schema)
    ends = [min(month_end(month), last) for month in months]
    calendar = pl.DataFrame(
        {
            "month": months,
            "month_end": ends,
            "school_half_days": [
                school_half_days_between(month, end, rules)
                for month, end in zip(months, ends, strict=True)
            ],
        },
        schema={"month": pl.Date, "month_end": pl.Date, "school_half_days": pl.Int64},
    )
    if data.school_days is not None and data.school_days.height:
        given = data.school_days.with_columns(pl.col("month").dt.month_start()).rename(
            {"half_days": "_given"}
        )
        calendar = (
            calendar.join(given, on="month", how="left")
            .with_columns(pl.coalesce("_given", "school_half_days").alias("school_half_days"))
            .drop("_given")
        )

    present_counts = [
        column for column in count_columns if any(column in part.collect_schema() for part in parts)
    ]
    present_known = [
        column for column in known_columns if any(column in part.collect_schema() for part in parts)
    ]
    sums = (
        pl.concat(parts, how="diagonal")
        .group_by("pupil_id", "month")
        .agg(
            *[pl.col(column).sum() for column in present_counts],
            *[pl.col(column).max() for column in present_known],
        )
    )
    grid = (
        data.pupils.lazy()
        .select("pupil_id")
        .join(calendar.lazy(), how="cross")
        .join(sums, on=["pupil_id", "month"], how="left")
        .with_columns(
            *[pl.col(column).fill_null(0).cast(pl.Int64) for column in present_counts],
            *[
                pl.lit(0, dtype=pl.Int64).alias(column)
                for column in count_columns
                if column not in present_counts
            ],
            *[
                pl.lit(None, dtype=pl.Date).alias(column)
                for column in known_columns
                if column not in present_known
            ],
        )
        .with_columns(
            pl.when(pl.col("school_half_days") > 0)
            .then(
                pl.min_horizontal(
                    pl.col("absent_half_days") / pl.col("school_half_days"), pl.lit(1.0)
                )
            )
            .otherwise(None)
            .alias("absence_rate")
        )
        .select(list(empty_schema))
        .sort("pupil_id", "month")
    )
    return grid.collect()


def _period_calendar(data: Conformed) -> pl.DataFrame:
    """Every period with its order, start, end and length in months."""
    names: set[str] = set()
    if data.marks is not None:
        names |= set(data.marks.get_column("period").unique().to_list())
    if data.period_counts is not None:
        names |= set(data.period_counts.get_column("period").unique().to_list())
    if data.periods is not None:
        given = data.periods.unique("period", keep="first")
        names |= set(given.get_column("period").to_list())
    else:
        given = pl.DataFrame(
            schema={"period": pl.String, "start_date": pl.Date, "end_date": pl.Date}
        )
    periods = pl.DataFrame({"period": sorted(names)}, schema={"period": pl.String}).join(
        given, on="period", how="left"
    )
    if data.marks is not None and data.marks.height:
        spans = data.marks.group_by("period").agg(
            pl.col("date").min().alias("_first"), pl.col("date").max().alias("_last")
        )
        periods = (
            periods.join(spans, on="period", how="left")
            .with_columns(
                pl.coalesce("start_date", "_first").alias("start_date"),
                pl.coalesce("end_date", "_last").alias("end_date"),
            )
            .drop("_first", "_last")
        )
    periods = periods.sort(["start_date", "period"], nulls_last=True).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("period_order"),
        pl.when(pl.col("start_date").is_not_null() & pl.col("end_date").is_not_null())
        .then(
            (((pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1) / DAYS_PER_MONTH)
            .round(0)
            .clip(lower_bound=1)
        )
        .otherwise(1.0)
        .alias("months"),
    )
    return periods.rename({"start_date": "period_start", "end_date": "period_end"})


def period_frame(
    data: Conformed,
    rules: RuleSet,
    as_of: dt.date | None,
    has_absence_events: bool,
    has_lateness_events: bool,
) -> pl.DataFrame:
    """One row per pupil and period with marks or counts, each period indicator a column."""
    pupil_dtype = data.pupils.schema["pupil_id"]
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "pupil_id": pupil_dtype,
        "period": pl.String,
        "period_order": pl.Int64,
        "period_start": pl.Date,
        "period_end": pl.Date,
        "months": pl.Float64,
        "average": pl.Float64,
        "average_drop": pl.Float64,
        "gap_to_level": pl.Float64,
        "share_under_10": pl.Float64,
        "subjects_under_10": pl.Int64,
        "unjustified_half_days": pl.Int64,
        "absent_half_days": pl.Int64,
        "absence_rate": pl.Float64,
        "lateness": pl.Int64,
        "known_on_marks": pl.Date,
        "known_on_counts": pl.Date,
    }
    has_marks = data.marks is not None and data.marks.height > 0
    has_counts = data.period_counts is not None and data.period_counts.height > 0
    if not has_marks and not has_counts:
        return pl.DataFrame(schema=schema)
    calendar = _period_calendar(data)
    if as_of is not None:
        calendar = calendar.filter(
            pl.col("period_start").is_null() | (pl.col("period_start") <= as_of)
        )
    frame: pl.DataFrame | None = None

    if has_marks:
        assert data.marks is not None
        # One pass over the marks: per subject, then per period from the subject sums.
        by_subject = (
            data.marks.lazy()
            .filter(pl.col("mark").is_not_null() & (pl.col("out_of") > 0))
            .with_columns((pl.col("mark") / pl.col("out_of") * 20).alias("_on_20"))
            .group_by("pupil_id", "period", "subject")
            .agg(
                (pl.col("_on_20") * pl.col("coefficient")).sum().alias("_weighted"),
                pl.col("coefficient").sum().alias("_coefficients"),
                pl.col("_on_20").mean().alias("_plain"),
                (pl.col("_on_20") < 10).sum().alias("_under"),
                pl.len().alias("_marks"),
                pl.col("date").max().alias("_last"),
            )
            .with_columns(
                pl.when(pl.col("_coefficients") > 0)
                .then(pl.col("_weighted") / pl.col("_coefficients"))
                .otherwise(pl.col("_plain"))
                .alias("_subject_average")
            )
        )
        frame = (
            by_subject.group_by("pupil_id", "period")
            .agg(
                pl.col("_subject_average").mean().alias("average"),
                (pl.col("_subject_average") < 10).sum().cast(pl.Int64).alias("subjects_under_10"),
                (pl.col("_under").sum() / pl.col("_marks").sum()).alias("share_under_10"),
                pl.col("_last").max().alias("known_on_marks"),
            )
            .collect()
        )

    if has_counts:
        assert data.period_counts is not None
        counts = data.period_counts.select(
            "pupil_id",
            "period",
            pl.col("half_days_absent").alias("absent_half_days"),
            pl.col("unjustified_half_days"),
            pl.col("lateness_count").alias("lateness"),
        )
        if has_absence_events:
            # Dated events are more precise than a period total: they win.
            counts = counts.with_columns(
                pl.lit(None, dtype=pl.Int64).alias("absent_half_days"),
                pl.lit(None, dtype=pl.Int64).alias("unjustified_half_days"),
            )
        if has_lateness_events:
            counts = counts.with_columns(pl.lit(None, dtype=pl.Int64).alias("lateness"))
        if frame is None:
            frame = counts
        else:
            frame = frame.join(counts, on=["pupil_id", "period"], how="full", coalesce=True)

    assert frame is not None
    frame = frame.join(calendar, on="period", how="inner")
    for column, dtype in schema.items():
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(column))

    if has_counts:
        spans = frame.select("period", "period_start", "period_end").unique("period")
        school = [
            school_half_days_between(start, end if as_of is None else min(end, as_of), rules)
            if start is not None and end is not None
            else None
            for start, end in zip(
                spans.get_column("period_start").to_list(),
                spans.get_column("period_end").to_list(),
                strict=True,
            )
        ]
        spans = spans.select("period").with_columns(pl.Series("_school", school, dtype=pl.Int64))
        frame = frame.join(spans, on="period", how="left").with_columns(
            pl.when(pl.col("_school") > 0)
            .then(pl.min_horizontal(pl.col("absent_half_days") / pl.col("_school"), pl.lit(1.0)))
            .otherwise(None)
            .alias("absence_rate"),
            pl.when(pl.col("absent_half_days").is_not_null())
            .then(pl.min_horizontal("period_end", pl.lit(as_of) if as_of else pl.col("period_end")))
            .otherwise(None)
            .alias("known_on_counts"),
        )

    frame = frame.join(data.pupils.select("pupil_id", "level"), on="pupil_id", how="left")
    frame = frame.sort("pupil_id", "period_order").with_columns(
        (pl.col("average").mean().over("level", "period") - pl.col("average")).alias(
            "gap_to_level"
        ),
        pl.coalesce(
            "known_on_marks",
            pl.min_horizontal("period_end", pl.lit(as_of)) if as_of else pl.col("period_end"),
        ).alias("known_on_marks"),
    )
    # average_drop compares with the pupil's previous period *that has an average*: carry
    # the last average (and whose it is) forward over the sorted frame, no window needed.
    has_average = pl.col("average").is_not_null()
    carried = pl.when(has_average).then(pl.col("average")).forward_fill()
    carried_owner = pl.when(has_average).then(pl.col("pupil_id")).forward_fill()
    frame = frame.with_columns(
        pl.when(carried_owner.shift(1) == pl.col("pupil_id"))
        .then(carried.shift(1) - pl.col("average"))
        .otherwise(None)
        .alias("average_drop")
    )
    return frame.select([pl.col(column).cast(dtype) for column, dtype in schema.items()])


def check_periods(data: Conformed) -> None:
    if data.period_counts is not None and data.period_counts.height and data.periods is None:
        raise InputFrameError(
            "period_counts",
            None,
            "counts per period need the periods frame (period, start_date, end_date): "
            "the thresholds are monthly and scale with the length of the period",
        )
