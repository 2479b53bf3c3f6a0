"""Alerts: every (pupil, indicator, month or period) at or over a threshold, explained.

An alert row says which indicator, its value, the threshold it reached, the level
(vigilance or alerte), the period, since when (the first period of the unbroken run of
periods at or over that same threshold), whether it is the legal threshold of L131-8, the
date by which the value was known (``known_on``: the last event counted, never later than
the end of the period), and a sentence that says all of it.
"""

from __future__ import annotations

import polars as pl

from alliance.detection.engine.catalogue import (
    INDICATORS,
    LEGAL_INDICATOR,
    LEGAL_REFERENCE,
    LEGAL_THRESHOLD,
    MONTHLY_INDICATORS,
    PERIOD_INDICATORS,
    IndicatorSpec,
)
from alliance.detection.engine.rules import IndicatorRule, RuleSet

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
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
    "explanation": pl.String,
}


def _format(expr: pl.Expr, spec: IndicatorSpec, language: str) -> pl.Expr:
    if spec.unit in ("rate", "share"):
        text = (expr * 100).round(0).cast(pl.Int64).cast(pl.String) + pl.lit(" %")
    else:
        text = (
            pl.when(expr == expr.round(0))
            .then(expr.round(0).cast(pl.Int64).cast(pl.String))
            .otherwise(expr.round(1).cast(pl.String))
        )
        if language == "fr":
            text = text.str.replace(".", ",", literal=True)
        if spec.unit == "half-days":
            text = text + pl.lit(" half-days" if language == "en" else " demi-journées")
        elif spec.unit == "points":
            text = text + pl.lit(" points")
    return text


def _month_text(expr: pl.Expr, language: str) -> pl.Expr:
    names = MONTHS_EN if language == "en" else MONTHS_FR
    return (
        expr.dt.month().replace_strict(
            {index + 1: name for index, name in enumerate(names)}, return_dtype=pl.String
        )
        + pl.lit(" ")
        + expr.dt.year().cast(pl.String)
    )


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
    language: str,
) -> pl.LazyFrame:
    spec = INDICATORS[code]
    scale = pl.col("_scale") if scaled and spec.scales_with_months else pl.lit(1.0)
    frame = base.with_columns(
        pl.col(code).cast(pl.Float64).alias("value"),
        (pl.lit(rule.vigilance) * scale).alias("_thr_v"),
        (pl.lit(rule.alerte) * scale).alias("_thr_a"),
    ).with_columns(
        _conditions(pl.col("value"), pl.col("_thr_v"), spec).alias("_ge_v"),
        _conditions(pl.col("value"), pl.col("_thr_a"), spec).alias("_ge_a"),
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
    monthly = granularity == "month"
    frame = _since(frame, pl.col("_continued_v").not_(), "v", labelled=not monthly)
    frame = _since(
        frame, pl.col("_ge_a") & pl.col("_continued_a").not_(), "a", labelled=not monthly
    )
    if monthly:
        # Month labels are written only for the alert rows (strftime is not free).
        frame = frame.with_columns(
            pl.col("_start").dt.strftime("%Y-%m").alias("_label"),
            pl.col("_since_start_v").dt.strftime("%Y-%m").alias("_since_v"),
            pl.col("_since_start_a").dt.strftime("%Y-%m").alias("_since_a"),
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
    if granularity == "month":
        period_text = _month_text(pl.col("_start"), language)
        since_text = _month_text(pl.col("since_start"), language)
    else:
        word = "period" if language == "en" else "période"
        period_text = pl.lit(f"{word} ") + pl.col("_label")
        since_text = pl.lit(f"{word} ") + pl.col("since")
    if language == "en":
        sentence = (
            pl.lit(spec.label_en + ": ")
            + _format(pl.col("value"), spec, language)
            + pl.lit(" in ")
            + period_text
            + pl.lit(" (")
            + pl.col("level")
            + pl.lit(" threshold: ")
            + _format(pl.col("threshold"), spec, language)
            + pl.lit("), since ")
            + since_text
        )
        legal_text = f" — legal threshold reached (Code de l'éducation, {LEGAL_REFERENCE})"
    else:
        sentence = (
            pl.lit(spec.label_fr + " : ")
            + _format(pl.col("value"), spec, language)
            + pl.lit(" en ")
            + period_text
            + pl.lit(" (seuil d'")
            + pl.col("level")
            + pl.lit(" : ")
            + _format(pl.col("threshold"), spec, language)
            + pl.lit("), depuis ")
            + since_text
        )
        sentence = sentence.str.replace("seuil d'vigilance", "seuil de vigilance", literal=True)
        legal_text = f" — seuil légal atteint (Code de l'éducation, art. {LEGAL_REFERENCE})"
    frame = frame.with_columns(
        pl.when(pl.col("legal"))
        .then(sentence + pl.lit(legal_text))
        .otherwise(sentence)
        .alias("explanation"),
        pl.lit(code).alias("indicator"),
        pl.lit(granularity).alias("granularity"),
        pl.col("_label").alias("period"),
        pl.col("_start").alias("period_start"),
        pl.col("_known").alias("known_on"),
    )
    return frame.select("pupil_id", *ALERT_SCHEMA).cast(ALERT_SCHEMA)  # type: ignore[arg-type]


def _monthly_shared(monthly: pl.DataFrame) -> pl.DataFrame:
    """What every monthly indicator's alerts need, computed once (the frame is sorted by
    pupil then month, and has every month: a row follows the one before when it is the
    same pupil)."""
    return monthly.with_columns(
        (pl.col("month").dt.year() * 12 + pl.col("month").dt.month()).cast(pl.Int64).alias("_t"),
        (pl.col("pupil_id") == pl.col("pupil_id").shift(1)).fill_null(False).alias("_follows"),
    )


def _monthly_base(shared: pl.DataFrame, code: str) -> pl.LazyFrame:
    return shared.lazy().select(
        "pupil_id",
        code,
        "_t",
        "_follows",
        pl.col("month").alias("_start"),
        pl.min_horizontal(pl.col(KNOWN_ON_COLUMN[code]), pl.col("month_end")).alias("_known"),
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
        code,
        pl.col("period_order").alias("_t"),
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
    monthly: pl.DataFrame, periods: pl.DataFrame, rules: RuleSet, language: str = "fr"
) -> pl.DataFrame:
    found: list[pl.LazyFrame] = []
    shared = _monthly_shared(monthly) if monthly.height else monthly
    for code, rule in rules.indicators.items():
        effective = _effective_rule(rule)
        if effective is None:
            continue
        if code in MONTHLY_INDICATORS and monthly.height:
            found.append(
                _indicator_alerts(
                    _monthly_base(shared, code), code, effective, "month", False, language
                )
            )
        if (
            (code in PERIOD_INDICATORS or code in periods.columns)
            and periods.height
            and periods.get_column(code).null_count() < periods.height
        ):
            found.append(
                _indicator_alerts(
                    _period_base(periods, code), code, effective, "period", True, language
                )
            )
    pupil_dtype = monthly.schema["pupil_id"] if monthly.width else periods.schema["pupil_id"]
    if not found:
        return pl.DataFrame(schema={"pupil_id": pupil_dtype, **ALERT_SCHEMA})
    return (
        pl.concat(found, how="vertical")
        .sort(["pupil_id", "period_start", "indicator"], nulls_last=True)
        .collect()
    )
