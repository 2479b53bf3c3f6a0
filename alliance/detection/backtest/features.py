"""What the statistical model sees, and when it could have seen it.

Event data: one *snapshot* per pupil and month, built only from the engine's indicators
up to that month (the month's values, the mean of the last three months, the totals since
the start, the latest period's marks indicators already known at the month's end). The
snapshot is dated by the last event it counts (the end of the month when there was none):
that is when a team could have computed it, and what lead times are measured from.

A per-pupil table: every column except the outcome, the groups, the excluded columns and
the protected ones; text columns one-hot encoded, numbers as they are.
"""

from __future__ import annotations

import polars as pl

from alliance.detection.backtest.rulesets import ABC_ATTENDANCE_RATE
from alliance.detection.engine.catalogue import MONTHLY_INDICATORS, PERIOD_INDICATORS
from alliance.detection.engine.core import EngineResult

PERIOD_FEATURES = ("average", "average_drop", "gap_to_level", "share_under_10", "subjects_under_10")
COUNT_FEATURES = tuple(code for code in MONTHLY_INDICATORS if code != "absence_rate")


def monthly_snapshots(result: EngineResult) -> pl.DataFrame:
    """One row per pupil and month: model features, ABC flags, and the snapshot's date."""
    monthly = result.monthly.sort("pupil_id", "month")
    if not monthly.height:
        return pl.DataFrame()
    features: list[pl.Expr] = []
    for code in COUNT_FEATURES:
        value = pl.col(code).cast(pl.Float64)
        features += [
            value.alias(f"{code}__month"),
            value.rolling_mean(3, min_samples=1).over("pupil_id").alias(f"{code}__3m"),
            value.cum_sum().over("pupil_id").alias(f"{code}__total"),
        ]
    absent = pl.col("absent_half_days").cast(pl.Float64)
    school = pl.col("school_half_days").cast(pl.Float64)
    features += [
        pl.col("absence_rate").fill_null(0.0).alias("absence_rate__month"),
        (
            absent.rolling_sum(3, min_samples=1).over("pupil_id")
            / school.rolling_sum(3, min_samples=1).over("pupil_id").clip(lower_bound=1)
        ).alias("absence_rate__3m"),
        (
            absent.cum_sum().over("pupil_id")
            / school.cum_sum().over("pupil_id").clip(lower_bound=1)
        ).alias("absence_rate__total"),
        pl.int_range(1, pl.len() + 1).over("pupil_id").cast(pl.Float64).alias("months_observed"),
    ]
    known = [column for column in monthly.columns if column.startswith("known_on_")]
    snapshots = monthly.select(
        "pupil_id",
        "month",
        "month_end",
        pl.coalesce(pl.max_horizontal(known), pl.col("month_end")).alias("snapshot_date"),
        *features,
    )

    periods = result.periods
    period_columns = [
        code
        for code in PERIOD_INDICATORS
        if code in periods.columns and periods.get_column(code).null_count() < periods.height
    ]
    if periods.height and period_columns:
        known_periods = periods.select(
            "pupil_id",
            "period_order",
            pl.coalesce("known_on_marks", "period_end").alias("_known"),
            *period_columns,
        )
        latest = (
            snapshots.select("pupil_id", "month", "month_end")
            .join(known_periods, on="pupil_id", how="inner")
            .filter(pl.col("_known") <= pl.col("month_end"))
            .sort("period_order")
            .group_by("pupil_id", "month")
            .agg(
                [
                    pl.col(code).last().cast(pl.Float64).alias(f"{code}__latest")
                    for code in period_columns
                ]
            )
        )
        snapshots = snapshots.join(latest, on=["pupil_id", "month"], how="left")
    for code in PERIOD_FEATURES:
        if f"{code}__latest" not in snapshots.columns:
            snapshots = snapshots.with_columns(
                pl.lit(None, dtype=pl.Float64).alias(f"{code}__latest")
            )

    has_sanctions = monthly.get_column("incidents").sum() > 0
    snapshots = snapshots.with_columns(
        (pl.col("absence_rate__total") >= ABC_ATTENDANCE_RATE).alias("abc_attendance"),
        ((pl.col("incidents__total") >= 1) & pl.lit(has_sanctions)).alias("abc_behaviour"),
        (pl.col("subjects_under_10__latest") >= 1).fill_null(False).alias("abc_course"),
    ).with_columns(
        pl.sum_horizontal(
            pl.col("abc_attendance").cast(pl.Float64),
            pl.col("abc_behaviour").cast(pl.Float64),
            pl.col("abc_course").cast(pl.Float64),
        ).alias("abc_score")
    )
    return snapshots


def feature_columns(snapshots: pl.DataFrame) -> list[str]:
    return [column for column in snapshots.columns if "__" in column or column == "months_observed"]


def table_design(
    frame: pl.DataFrame, columns: list[str], max_levels: int = 30
) -> tuple[pl.DataFrame, list[str]]:
    """The model's design matrix from a table's columns: numbers as they are, text and
    yes/no one-hot (text columns with more than ``max_levels`` values are left out)."""
    numeric: list[pl.Expr] = []
    skipped: list[str] = []
    for column in columns:
        dtype = frame.schema[column]
        if dtype.is_numeric() or dtype == pl.Boolean:
            numeric.append(pl.col(column).cast(pl.Float64))
        else:
            values = frame.get_column(column).cast(pl.String).fill_null("(missing)")
            levels = sorted(values.unique().to_list())
            if len(levels) > max_levels:
                skipped.append(column)
                continue
            for level in levels[1:]:
                numeric.append((values == level).cast(pl.Float64).alias(f"{column}={level}"))
    return frame.select(numeric) if numeric else pl.DataFrame(), skipped
