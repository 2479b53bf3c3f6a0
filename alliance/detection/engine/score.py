"""The composite score that ranks pupils, with its weights and each indicator's share.

``weighted`` (the school's rule sets): each enabled indicator adds
``weight × min(current / alerte, cap)``, where ``current`` is the mean of the last
``window_months`` months for a monthly indicator, the latest period's value otherwise
(``(neutral − value) / (neutral − alerte)`` for the average, where lower is worse).
The score rises with every indicator and never jumps at a threshold; the thresholds still
say which reasons are shown. ``levels`` (Pronote-style): each indicator adds
``weight × level`` (vigilance 1, alerte 2) over the same window.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from alliance.detection.engine.alerts import LEVEL_RANK
from alliance.detection.engine.catalogue import INDICATORS, MONTHLY_INDICATORS
from alliance.detection.engine.rules import RuleSet


def contribution_column(code: str) -> str:
    return f"contribution_{code}"


def window_start(monthly: pl.DataFrame, rules: RuleSet) -> dt.date | None:
    """The first month of the window: the ``window_months`` months ending with the last
    month (the month of ``as_of``), whatever months the data happen to cover."""
    if not monthly.height:
        return None
    last = monthly.get_column("month").max()
    assert isinstance(last, dt.date)
    index = last.year * 12 + last.month - 1 - (rules.score.window_months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def _latest_per_indicator(periods: pl.DataFrame, code: str) -> pl.DataFrame:
    return (
        periods.filter(pl.col(code).is_not_null())
        .sort("period_order")
        .group_by("pupil_id")
        .agg(
            pl.col(code).last().cast(pl.Float64).alias("_value"),
            pl.col("months").last().alias("_months"),
            pl.col("period_order").last().alias("_order"),
        )
    )


def _ratio(code: str, value: pl.Expr, alerte: float, months: pl.Expr, cap: float) -> pl.Expr:
    spec = INDICATORS[code]
    if spec.direction == "below":
        ratio = (pl.lit(spec.neutral) - value) / (spec.neutral - alerte)
    else:
        scaled = pl.lit(alerte) * (months if spec.scales_with_months else pl.lit(1.0))
        ratio = value / scaled
    return ratio.clip(0.0, cap).fill_null(0.0)


def current_alerts(
    alerts: pl.DataFrame, periods: pl.DataFrame, start: dt.date | None
) -> pl.DataFrame:
    """The alerts that describe a pupil now: monthly ones in the window, period ones of the
    latest period the pupil has a value for; one per indicator (the latest, then the worst)."""
    monthly = alerts.filter(pl.col("granularity") == "month")
    if start is not None:
        monthly = monthly.filter(pl.col("period_start") >= start)
    else:
        monthly = monthly.clear()
    period_alerts = alerts.filter(pl.col("granularity") == "period")
    if period_alerts.height:
        latest = []
        for code in period_alerts.get_column("indicator").unique().to_list():
            latest.append(
                _latest_per_indicator(periods, code)
                .select("pupil_id", pl.col("_order"))
                .with_columns(pl.lit(code).alias("indicator"))
            )
        orders = periods.select("period", "period_order").unique("period")
        period_alerts = (
            period_alerts.join(orders, on="period", how="left")
            .join(pl.concat(latest), on=["pupil_id", "indicator"], how="inner")
            .filter(pl.col("period_order") == pl.col("_order"))
            .drop("period_order", "_order")
        )
    current = pl.concat([monthly, period_alerts], how="vertical")
    return (
        current.with_columns(
            pl.col("level").replace_strict(LEVEL_RANK, return_dtype=pl.Int64).alias("_rank")
        )
        .sort(["period_start", "_rank"], descending=True, nulls_last=True)
        .unique(["pupil_id", "indicator"], keep="first", maintain_order=True)
    )


def rank_pupils(
    pupils: pl.DataFrame,
    monthly: pl.DataFrame,
    periods: pl.DataFrame,
    alerts: pl.DataFrame,
    rules: RuleSet,
) -> pl.DataFrame:
    start = window_start(monthly, rules)
    window = monthly.filter(pl.col("month") >= start) if start is not None else monthly.clear()
    current = current_alerts(alerts, periods, start)
    ranking = pupils.select("pupil_id", "level", "division")
    enabled = rules.enabled_rules()
    contribution_columns = [contribution_column(rule.code) for rule in enabled]
    # Each indicator's ratio (value over alerte, capped), computed for all indicators in one
    # pass over the window and one over the periods; an indicator fed both monthly and per
    # period (counts) keeps the larger.
    ratio_frames: list[pl.DataFrame] = []
    if rules.score.method == "levels":
        if current.height:
            ratio_frames.append(
                current.filter(pl.col("indicator").is_in([rule.code for rule in enabled]))
                .group_by("pupil_id")
                .agg(
                    [
                        pl.col("_rank")
                        .filter(pl.col("indicator") == rule.code)
                        .max()
                        .cast(pl.Float64)
                        .alias(rule.code)
                        for rule in enabled
                    ]
                )
            )
    else:
        monthly_rules = [rule for rule in enabled if rule.code in MONTHLY_INDICATORS]
        if window.height and monthly_rules:
            ratio_frames.append(
                window.group_by("pupil_id").agg(
                    [
                        _ratio(
                            rule.code,
                            # Months of the window before the data began count as zero.
                            pl.col(rule.code).cast(pl.Float64).sum() / rules.score.window_months,
                            rule.alerte,
                            pl.lit(1.0),
                            rules.score.cap,
                        ).alias(rule.code)
                        for rule in monthly_rules
                    ]
                )
            )
        period_rules = [rule for rule in enabled if rule.code in periods.columns]
        if periods.height and period_rules:
            ordered = periods.sort("pupil_id", "period_order")
            latest = ordered.group_by("pupil_id").agg(
                [
                    _ratio(
                        rule.code,
                        pl.col(rule.code).drop_nulls().last().cast(pl.Float64),
                        rule.alerte,
                        pl.col("months").filter(pl.col(rule.code).is_not_null()).last(),
                        rules.score.cap,
                    ).alias(rule.code)
                    for rule in period_rules
                ]
            )
            ratio_frames.append(latest)
    if ratio_frames:
        ratios = (
            pl.concat(ratio_frames, how="diagonal")
            .group_by("pupil_id")
            .agg(
                [
                    pl.col(rule.code).max()
                    for rule in enabled
                    if any(rule.code in f.columns for f in ratio_frames)
                ]
            )
        )
        ranking = ranking.join(ratios, on="pupil_id", how="left")
    ranking = ranking.with_columns(
        [
            (
                (pl.col(rule.code).fill_null(0.0) if rule.code in ranking.columns else pl.lit(0.0))
                * rule.weight
            ).alias(contribution_column(rule.code))
            for rule in enabled
        ]
    ).select("pupil_id", "level", "division", *contribution_columns)

    reasons = (
        current.join(
            ranking.select("pupil_id", *contribution_columns)
            .unpivot(index="pupil_id", variable_name="_column", value_name="_contribution")
            .with_columns(pl.col("_column").str.strip_prefix("contribution_").alias("indicator")),
            on=["pupil_id", "indicator"],
            how="left",
        )
        .sort(["_rank", "_contribution"], descending=True, nulls_last=True)
        .group_by("pupil_id", maintain_order=True)
        .agg(
            pl.col("explanation").alias("reasons"),
            pl.col("indicator").alias("reason_indicators"),
            (pl.col("level") == "alerte").sum().cast(pl.Int64).alias("alerte_count"),
            (pl.col("level") == "vigilance").sum().cast(pl.Int64).alias("vigilance_count"),
            pl.col("legal").any().alias("legal"),
            pl.col("since_start").min().alias("since"),
        )
    )
    score = (
        pl.sum_horizontal(contribution_columns).round(6) if contribution_columns else pl.lit(0.0)
    )
    ranking = (
        ranking.with_columns(score.alias("score"))
        .join(reasons, on="pupil_id", how="left")
        .with_columns(
            pl.col("reasons").fill_null([]),
            pl.col("reason_indicators").fill_null([]),
            pl.col("alerte_count").fill_null(0),
            pl.col("vigilance_count").fill_null(0),
            pl.col("legal").fill_null(False),
            pl.when(pl.col("alerte_count").fill_null(0) > 0)
            .then(pl.lit("alerte"))
            .when(pl.col("vigilance_count").fill_null(0) > 0)
            .then(pl.lit("vigilance"))
            .otherwise(None)
            .alias("top_level"),
        )
        .sort(["score", "pupil_id"], descending=[True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
    )
    return ranking.select(
        "rank",
        "pupil_id",
        "level",
        "division",
        "score",
        "top_level",
        "alerte_count",
        "vigilance_count",
        "legal",
        "since",
        "reasons",
        "reason_indicators",
        *contribution_columns,
    )


def weights_frame(rules: RuleSet, language: str = "fr") -> pl.DataFrame:
    enabled = rules.enabled_rules()
    return pl.DataFrame(
        {
            "indicator": [rule.code for rule in enabled],
            "label": [INDICATORS[rule.code].label(language) for rule in enabled],
            "weight": [rule.weight for rule in enabled],
            "vigilance": [rule.vigilance for rule in enabled],
            "alerte": [rule.alerte for rule in enabled],
        },
        schema={
            "indicator": pl.String,
            "label": pl.String,
            "weight": pl.Float64,
            "vigilance": pl.Float64,
            "alerte": pl.Float64,
        },
    )
