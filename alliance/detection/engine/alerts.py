"""Alerts: every (pupil, indicator, month or period) at or over a threshold, explained.

An alert row says which indicator, its value, the threshold it reached, the level
(vigilance or alerte), the period, since when (the first period of the unbroken run of
periods at or over that same threshold), whether it is the legal threshold of L131-8, the
date by which the value was known (``known_on``: the last event counted, never later than
the end of the period). The sentence that says all of it is written from these columns by
``alliance.detection.engine.explain.explain``, only for the alerts someone reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from alliance.detection.engine.catalogue import (
    INDICATORS,
    LEGAL_INDICATOR,
    LEGAL_THRESHOLD,
    MONTHLY_INDICATORS,
    PERIOD_INDICATORS,
    IndicatorSpec,
)
from alliance.detection.engine.indicators import rank_of
from alliance.detection.engine.rules import IndicatorRule, RuleSet

LEVEL_RANK = {"vigilance": 1, "alerte": 2}

KNOWN_ON_COLUMN = {
    "unjustified_half_days": "known_on_absences",
    "absent_half_days": "known_on_absences",
    "absence_rate": "known_on_absences",
    "lateness": "known_on_lateness",
    "incidents": "known_on_sanctions",
    "punishments": "known_on_sanctions",
    "sanctions": "known_on_sanctions",
    "exclusions": "known_on_sanctions",
    "observed_signs": "known_on_signs",
}

ALERT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "indicator": pl.String,
    "granularity": pl.String,
    "period": pl.String,
    "period_start": pl.Date,
    "value": pl.Float64,
    "threshold": pl.Float64,
    "level": pl.String,
    "since": pl.String,
    "since_start": pl.Date,
    "legal": pl.Boolean,
    "known_on": pl.Date,
}


def _month_lookup(expr: pl.Expr, texts: dict[dt.date, str]) -> pl.Expr:
    """A month's label or name, looked up among the monthly frame's months (every monthly
    alert's month and since-month is one of them)."""
    names = pl.Series(list(texts.values()), dtype=pl.String)
    keys = pl.Series(list(texts.keys()), dtype=pl.Date)
    return expr.replace_strict(keys, names, return_dtype=pl.String, default=None)


def _conditions(value: pl.Expr, threshold: pl.Expr, spec: IndicatorSpec) -> pl.Expr:
    reached = value >= threshold if spec.direction == "above" else value <= threshold
    return reached.fill_null(False)


def _effective_rule(rule: IndicatorRule) -> IndicatorRule | None:
    if rule.enabled:
        return rule
    if rule.code == LEGAL_INDICATOR:
        # The law's flag cannot be switched off with the indicator.
        return IndicatorRule(rule.code, LEGAL_THRESHOLD, LEGAL_THRESHOLD, 0.0, True)
    return None


def _since(frame: pl.LazyFrame, starts: pl.Expr, suffix: str, labelled: bool) -> pl.LazyFrame:
    """The first period of each run: carried forward from the rows that start a run."""
    first_row = pl.when(starts).then(pl.int_range(pl.len())).forward_fill()
    carried = [pl.col("_start").gather(pl.col("_first_row")).alias(f"_since_start_{suffix}")]
    if labelled:
        carried.append(pl.col("_label").gather(pl.col("_first_row")).alias(f"_since_{suffix}"))
    return (
        frame.with_columns(first_row.alias("_first_row")).with_columns(carried).drop("_first_row")
    )


def _indicator_alerts(
    base: pl.LazyFrame,
    code: str,
    rule: IndicatorRule,
    granularity: str,
    scaled: bool,
    months: Sequence[dt.date] = (),
) -> pl.LazyFrame:
    """One indicator's alerts. ``months``: for monthly alerts, every month of the frame —
    their labels and names are then looked up, not formatted row by row."""
    spec = INDICATORS[code]
    scale = pl.col("_scale") if scaled and spec.scales_with_months else pl.lit(1.0)
    # The conditions on every row; the value, thresholds and known-on date only on the
    # rows that reach vigilance (a small share of the pupils × months grid).
    value = pl.col(code).cast(pl.Float64)
    frame = base.with_columns(
        _conditions(value, pl.lit(rule.vigilance) * scale, spec).alias("_ge_v"),
        _conditions(value, pl.lit(rule.alerte) * scale, spec).alias("_ge_a"),
    )
    # The frame is sorted by pupil, then time. A row continues a run when the row before
    # is the same pupil, the period just before, and over the same threshold; computed on
    # the whole frame (a shift), then only the rows over vigilance are kept: every run of
    # either level lies whole among them, so "since" is carried forward on that small frame
    # with no window function (fast on an académie).
    follows = pl.col("_follows")
    frame = frame.with_columns(
        (pl.col("_ge_v") & pl.col("_ge_v").shift(1) & follows)
        .fill_null(False)
        .alias("_continued_v"),
        (pl.col("_ge_a") & pl.col("_ge_a").shift(1) & follows)
        .fill_null(False)
        .alias("_continued_a"),
    ).filter(pl.col("_ge_v"))
    frame = frame.with_columns(
        value.alias("value"),
        (pl.lit(rule.vigilance) * scale).alias("_thr_v"),
        (pl.lit(rule.alerte) * scale).alias("_thr_a"),
        pl.min_horizontal("_known", "_end").alias("_known") if granularity == "month" else "_known",
    )
    monthly = granularity == "month"
    frame = _since(frame, pl.col("_continued_v").not_(), "v", labelled=not monthly)
    frame = _since(
        frame, pl.col("_ge_a") & pl.col("_continued_a").not_(), "a", labelled=not monthly
    )
    if monthly:
        # Month labels are written only for the alert rows, looked up from the few months.
        labels = {month: month.strftime("%Y-%m") for month in months}
        frame = frame.with_columns(
            *[
                _month_lookup(pl.col(column), labels).alias(name)
                for column, name in (
                    ("_start", "_label"),
                    ("_since_start_v", "_since_v"),
                    ("_since_start_a", "_since_a"),
                )
            ]
        )
    legal = (
        (pl.col("value") >= LEGAL_THRESHOLD)
        if code == LEGAL_INDICATOR and granularity == "month"
        else pl.lit(False)
    )
    frame = frame.with_columns(
        pl.when(pl.col("_ge_a"))
        .then(pl.lit("alerte"))
        .otherwise(pl.lit("vigilance"))
        .alias("level"),
        pl.when(pl.col("_ge_a")).then("_thr_a").otherwise("_thr_v").alias("threshold"),
        pl.when(pl.col("_ge_a")).then("_since_a").otherwise("_since_v").alias("since"),
        pl.when(pl.col("_ge_a"))
        .then("_since_start_a")
        .otherwise("_since_start_v")
        .alias("since_start"),
        legal.alias("legal"),
    )
    frame = frame.with_columns(
        pl.lit(code).alias("indicator"),
        pl.lit(granularity).alias("granularity"),
        pl.col("_label").alias("period"),
        pl.col("_start").alias("period_start"),
        pl.col("_known").alias("known_on"),
    )
    return frame.select("pupil_id", *ALERT_SCHEMA, "_p").cast(ALERT_SCHEMA)  # type: ignore[arg-type]


def _monthly_shared(monthly: pl.DataFrame) -> pl.DataFrame:
    """What every monthly indicator's alerts need, computed once (the frame is sorted by
    pupil then month, and has every month: a row follows the one before when it is the
    same pupil)."""
    n_months = monthly.get_column("month").n_unique()
    return monthly.with_columns(
        (pl.col("pupil_id") == pl.col("pupil_id").shift(1)).fill_null(False).alias("_follows"),
        # The pupil's rank (the frame is the pupils × months grid, in order).
        (pl.int_range(pl.len(), dtype=pl.UInt64) // n_months).alias("_p"),
    )


def _monthly_base(shared: pl.DataFrame, code: str) -> pl.LazyFrame:
    return shared.lazy().select(
        "pupil_id",
        "_p",
        code,
        "_follows",
        pl.col("month").alias("_start"),
        pl.col(KNOWN_ON_COLUMN[code]).alias("_known"),
        pl.col("month_end").alias("_end"),
        pl.lit(1.0).alias("_scale"),
    )


def _period_base(periods: pl.DataFrame, code: str) -> pl.LazyFrame:
    known = (
        "known_on_counts"
        if code in ("absent_half_days", "unjustified_half_days", "absence_rate", "lateness")
        else "known_on_marks"
    )
    return periods.lazy().select(
        "pupil_id",
        "_p",
        code,
        (
            (pl.col("pupil_id") == pl.col("pupil_id").shift(1))
            & ((pl.col("period_order") - pl.col("period_order").shift(1)) == 1)
        )
        .fill_null(False)
        .alias("_follows"),
        pl.col("period").alias("_label"),
        pl.col("period_start").alias("_start"),
        pl.col(known).alias("_known"),
        pl.col("months").alias("_scale"),
    )


def compute_alerts(
    monthly: pl.DataFrame,
    periods: pl.DataFrame,
    rules: RuleSet,
    window_start: dt.date | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every alert, and the *current* ones (``assemble_alerts``, both collected)."""
    if monthly.height:
        # The pupils' ranks, as in the monthly grid: a single integer sort key.
        ids = monthly.get_column("pupil_id").gather_every(monthly.get_column("month").n_unique())
    else:
        ids = periods.get_column("pupil_id").unique().sort()
    everything, current = assemble_alerts(
        monthly_alerts(monthly, rules),
        period_alerts(periods, ids, rules),
        rules,
        window_start,
        pupil_dtype=monthly.schema["pupil_id"] if monthly.width else periods.schema["pupil_id"],
    )
    return everything.collect(), current


#: One granularity's alerts: each indicator's, collected (rows sorted by pupil then time,
#: with the pupil's rank ``_p``), and, per period, each pupil's latest period per indicator.
AlertParts = tuple[dict[str, pl.DataFrame], pl.DataFrame | None]


def monthly_alerts(monthly: pl.DataFrame, rules: RuleSet) -> AlertParts:
    """Every monthly indicator's alerts, computed together (shared work done once). They
    need only the monthly frame: ``evaluate`` computes them while the periods are built."""
    if not monthly.height:
        return {}, None
    shared = _monthly_shared(monthly)
    months = monthly.get_column("month").unique().sort().to_list()
    plans: dict[str, pl.LazyFrame] = {}
    for code, rule in rules.indicators.items():
        effective = _effective_rule(rule)
        if effective is not None and code in MONTHLY_INDICATORS:
            base = _monthly_base(shared, code)
            plans[code] = _indicator_alerts(base, code, effective, "month", False, months=months)
    return dict(zip(plans, pl.collect_all(list(plans.values())), strict=True)), None


def period_alerts(periods: pl.DataFrame, pupil_ids: pl.Series, rules: RuleSet) -> AlertParts:
    """Every period indicator's alerts and each pupil's latest period per indicator;
    ``periods`` sorted by pupil then period (as ``period_frame`` gives them); ``pupil_ids``:
    every pupil, sorted (their ranks make the alerts' sort key)."""
    period_codes = [
        code
        for code in rules.indicators
        if (code in PERIOD_INDICATORS or code in periods.columns)
        and periods.height
        and periods.get_column(code).null_count() < periods.height
    ]
    if not period_codes:
        return {}, None
    periods = periods.with_columns(
        rank_of(pl.col("pupil_id"), pupil_ids).cast(pl.UInt64).alias("_p")
    )
    plans: dict[str, pl.LazyFrame] = {}
    for code, rule in rules.indicators.items():
        effective = _effective_rule(rule)
        if effective is not None and code in period_codes:
            base = _period_base(periods, code)
            plans[code] = _indicator_alerts(base, code, effective, "period", True)
    collected = pl.collect_all([*plans.values(), _latest_periods(periods, period_codes)])
    latest = collected.pop()
    return dict(zip(plans, collected, strict=True)), latest


def assemble_alerts(
    monthly: AlertParts,
    periods: AlertParts,
    rules: RuleSet,
    window_start: dt.date | None,
    pupil_dtype: pl.DataType,
) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """Every alert, and the *current* ones (what describes a pupil now), from each
    granularity's parts (``monthly_alerts``, ``period_alerts``).

    Current: the monthly alerts of the score's window (from ``window_start``) and the period
    alerts of the latest period the pupil has a value for; one per indicator (the latest,
    then the worst), with a ``_rank`` column (vigilance 1, alerte 2). Every alert is
    returned still to sort (a lazy frame: the sort of millions of rows can run while the
    ranking reads the current alerts); the current ones collected.
    """
    order = {code: rank for rank, code in enumerate(sorted(rules.indicators))}
    # In the rules' order, each indicator's monthly part before its period part: the order
    # in which equal keys are stacked before the sort.
    parts = [
        (code, granularity, found[code])
        for code in rules.indicators
        for granularity, (found, _) in (("month", monthly), ("period", periods))
        if code in found
    ]
    latest_frame = periods[1]
    found: list[pl.LazyFrame] = []
    current: list[tuple[str, pl.LazyFrame]] = []
    for code, granularity, frame in parts:
        part = frame.lazy()
        found.append(
            part.with_columns(
                (
                    pl.col("_p") * 2**25 + _day_key(pl.col("period_start")) * 2**8 + order[code]
                ).alias("_key")
            ).drop("_p")
        )
        part = part.drop("_p")
        if granularity == "month" and window_start is not None:
            # Each part is sorted by pupil then month: the latest alert in the window is
            # the pupil's last row there.
            current.append(
                (
                    code,
                    part.filter(pl.col("period_start") >= window_start).filter(
                        pl.col("pupil_id").is_last_distinct()
                    ),
                )
            )
        elif granularity == "period" and latest_frame is not None:
            current.append(
                (
                    code,
                    part.join(
                        latest_frame.lazy().filter(pl.col("indicator") == code).drop("indicator"),
                        on=["pupil_id", "period"],
                        how="semi",
                    ),
                )
            )
    empty = pl.DataFrame(schema={"pupil_id": pupil_dtype, **ALERT_SCHEMA})
    if not found:
        return empty.lazy(), empty.with_columns(pl.lit(None, dtype=pl.Int64).alias("_rank"))
    # Sorted by pupil, period start, then indicator name, on one integer key (pupil rank,
    # day, the name's rank): much cheaper than sorting on three columns, one a string.
    everything = pl.concat(found, how="vertical").sort("_key").drop("_key")
    # Each part has at most one current alert per pupil; an indicator fed both monthly and
    # per period (counts) may have two: the latest, then the worst, is kept. Only those
    # indicators need the sort.
    rank = pl.when(pl.col("level") == "alerte").then(2).otherwise(1).cast(pl.Int64)
    twice = {code for code, _ in current if sum(code == other for other, _ in current) > 1}
    single = [part for code, part in current if code not in twice]
    double = [part for code, part in current if code in twice]
    if double:
        single.append(
            pl.concat(double, how="vertical")
            .with_columns(rank.alias("_rank"))
            .sort(["period_start", "_rank"], descending=True, nulls_last=True, maintain_order=True)
            .unique(["pupil_id", "indicator"], keep="first", maintain_order=True)
            .drop("_rank")
        )
    now = (
        pl.concat(single, how="vertical").with_columns(rank.alias("_rank"))
        if single
        else empty.lazy().with_columns(pl.lit(None, dtype=pl.Int64).alias("_rank"))
    )
    return everything, now.collect()


def _day_key(date: pl.Expr) -> pl.Expr:
    """A date as 17 bits that sort like it (1790 to 2148), a missing date last."""
    days = date.cast(pl.Int32).cast(pl.Int64) + 2**16
    return days.clip(0, 2**17 - 2).fill_null(2**17 - 1).cast(pl.UInt64)


def _latest_periods(periods: pl.DataFrame, codes: list[str]) -> pl.LazyFrame:
    """Per pupil and indicator, the latest period with a value (period, indicator)."""
    # The frame is sorted by pupil then period: each group's last value is the latest.
    return (
        periods.lazy()
        .group_by("pupil_id")
        .agg(
            [
                pl.col("period").filter(pl.col(code).is_not_null()).last().alias(code)
                for code in codes
            ]
        )
        .unpivot(index="pupil_id", variable_name="indicator", value_name="period")
        .filter(pl.col("period").is_not_null())
    )
