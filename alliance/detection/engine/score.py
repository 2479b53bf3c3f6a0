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

from alliance.detection.engine.catalogue import INDICATORS, MONTHLY_INDICATORS
from alliance.detection.engine.rules import RuleSet

#: A reason's fields: the current alert's, all that ``explain`` needs to write its sentence.
REASON_FIELDS = (
    "indicator",
    "granularity",
    "period",
    "period_start",
    "value",
    "threshold",
    "level",
    "since",
    "since_start",
    "legal",
)
#: Each indicator's place in the catalogue: the order of reasons that tie.
CATALOGUE_ORDER = {code: index for index, code in enumerate(INDICATORS)}


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


def _ratio(code: str, value: pl.Expr, alerte: float, months: pl.Expr, cap: float) -> pl.Expr:
    spec = INDICATORS[code]
    if spec.direction == "below":
        ratio = (pl.lit(spec.neutral) - value) / (spec.neutral - alerte)
    else:
        scaled = pl.lit(alerte) * (months if spec.scales_with_months else pl.lit(1.0))
        ratio = value / scaled
    return ratio.clip(0.0, cap).fill_null(0.0)


def ratios_need_alerts(rules: RuleSet) -> bool:
    """Whether the score is read from the current alerts (the ``levels`` method); the
    ``weighted`` one is computed from the indicators alone."""
    return rules.score.method == "levels"


def indicator_ratios(
    monthly: pl.DataFrame, periods: pl.DataFrame, rules: RuleSet
) -> list[pl.DataFrame]:
    """The ``weighted`` score's ratios (value over alerte, capped), each frame one row per
    pupil: the monthly indicators' (one pass over the window), the period ones' (one pass
    over the periods). They need no alert: ``evaluate`` computes each as soon as its frame
    is built."""
    return monthly_ratios(monthly, rules) + period_ratios(periods, rules)


def monthly_ratios(monthly: pl.DataFrame, rules: RuleSet) -> list[pl.DataFrame]:
    """The monthly indicators' ratios (``indicator_ratios``): none or one frame."""
    start = window_start(monthly, rules)
    window = monthly.filter(pl.col("month") >= start) if start is not None else monthly.clear()
    enabled = rules.enabled_rules()
    ratio_frames: list[pl.DataFrame] = []
    monthly_rules = [rule for rule in enabled if rule.code in MONTHLY_INDICATORS]
    if window.height and monthly_rules:
        # The window is the pupils × months grid, in order: each pupil's months are
        # ``per_pupil`` consecutive rows, summed as one fixed-size array (no group-by).
        per_pupil = window.get_column("month").n_unique()
        ratio_frames.append(
            window.select(
                pl.col("pupil_id").gather_every(per_pupil),
                *[
                    _ratio(
                        rule.code,
                        # Months of the window before the data began count as zero.
                        pl.col(rule.code)
                        .cast(pl.Float64)
                        .fill_null(0.0)
                        .reshape((-1, per_pupil))
                        .arr.sum()
                        / rules.score.window_months,
                        rule.alerte,
                        pl.lit(1.0),
                        rules.score.cap,
                    ).alias(rule.code)
                    for rule in monthly_rules
                ],
            )
        )
    return ratio_frames


def period_ratios(periods: pl.DataFrame, rules: RuleSet) -> list[pl.DataFrame]:
    """The period indicators' ratios (``indicator_ratios``): none or one frame."""
    enabled = rules.enabled_rules()
    ratio_frames: list[pl.DataFrame] = []
    period_rules = [rule for rule in enabled if rule.code in periods.columns]
    if periods.height and period_rules:
        # Each pupil's latest value of each indicator (and that period's length): carried
        # forward over the frame sorted by pupil then period, kept where it is still the
        # same pupil's, read on each pupil's last row (no per-group expressions).
        ordered = periods.sort("pupil_id", "period_order")
        carried = []
        for rule in period_rules:
            has = pl.col(rule.code).is_not_null()
            owner = pl.when(has).then(pl.col("pupil_id")).forward_fill()
            own = owner == pl.col("pupil_id")
            carried += [
                pl.when(own)
                .then(pl.when(has).then(pl.col(rule.code)).forward_fill())
                .otherwise(None)
                .cast(pl.Float64)
                .alias(rule.code),
                pl.when(own)
                .then(pl.when(has).then(pl.col("months")).forward_fill())
                .otherwise(None)
                .alias(f"_months_{rule.code}"),
            ]
        latest = (
            ordered.lazy()
            .select("pupil_id", *carried)
            .filter(pl.col("pupil_id").is_last_distinct())
            .select(
                "pupil_id",
                *[
                    _ratio(
                        rule.code,
                        pl.col(rule.code),
                        rule.alerte,
                        pl.col(f"_months_{rule.code}"),
                        rules.score.cap,
                    ).alias(rule.code)
                    for rule in period_rules
                ],
            )
            .collect()
        )
        ratio_frames.append(latest)
    return ratio_frames


def score_pupils(
    pupils: pl.DataFrame,
    monthly: pl.DataFrame,
    periods: pl.DataFrame,
    rules: RuleSet,
    current: pl.DataFrame | None = None,
    ratios: list[pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """Every pupil's contributions and score, ranked (best first): the ranking without its
    reasons. ``levels`` reads the current alerts (``current``, required then); ``weighted``
    the indicators' ratios (``ratios``: ``indicator_ratios``' frames, if already
    computed)."""
    ranking = pupils.select("pupil_id", "level", "division")
    enabled = rules.enabled_rules()
    contribution_columns = [contribution_column(rule.code) for rule in enabled]
    # Each indicator's ratio (value over alerte, capped); an indicator fed both monthly and
    # per period (counts) keeps the larger.
    ratio_frames: list[pl.DataFrame] = []
    if ratios_need_alerts(rules):
        if current is None:
            raise ValueError("the levels score is read from the current alerts")
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
    elif ratios is not None:
        ratio_frames = ratios
    else:
        ratio_frames = indicator_ratios(monthly, periods, rules)
    # Each frame has one row per pupil: joined, an indicator in both keeps the larger.
    for frame in ratio_frames:
        both = [code for code in frame.columns[1:] if code in ranking.columns]
        ranking = (
            ranking.join(
                frame.rename({code: f"{code}_other" for code in both}),
                on="pupil_id",
                how="left",
                maintain_order="left",
            )
            .with_columns([pl.max_horizontal(code, f"{code}_other").alias(code) for code in both])
            .drop([f"{code}_other" for code in both])
        )
    ranking = ranking.with_columns(
        [
            (
                (pl.col(rule.code).fill_null(0.0) if rule.code in ranking.columns else pl.lit(0.0))
                * rule.weight
            ).alias(contribution_column(rule.code))
            for rule in enabled
        ]
    ).select("pupil_id", "level", "division", *contribution_columns)

    score = (
        pl.sum_horizontal(contribution_columns).round(6) if contribution_columns else pl.lit(0.0)
    )
    # Ranked here (a sort of plain columns); the reasons are joined in that order: a sort
    # would otherwise move every pupil's list of reasons.
    return (
        ranking.with_columns(score.alias("score"))
        .sort(["score", "pupil_id"], descending=[True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
    )


def rank_pupils(
    pupils: pl.DataFrame,
    monthly: pl.DataFrame,
    periods: pl.DataFrame,
    current: pl.DataFrame,
    rules: RuleSet,
    scored: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The ranking; ``current``: the current alerts (``compute_alerts``' second frame);
    ``scored``: ``score_pupils``' frame when already computed."""
    if scored is None:
        scored = score_pupils(pupils, monthly, periods, rules, current)
    enabled = rules.enabled_rules()
    contribution_columns = [contribution_column(rule.code) for rule in enabled]
    # Each reason's contribution, picked from its pupil's row (a join on the pupil alone,
    # not on pupil and indicator name over an unpivoted frame).
    contribution = (
        pl.coalesce(
            [
                pl.when(pl.col("indicator") == rule.code).then(
                    pl.col(contribution_column(rule.code))
                )
                for rule in enabled
            ]
        )
        if enabled
        else pl.lit(None, dtype=pl.Float64)
    )
    reasons = (
        current.lazy()
        .join(scored.lazy().select("pupil_id", *contribution_columns), on="pupil_id", how="left")
        .with_columns(
            contribution.alias("_contribution"),
            pl.col("indicator")
            .replace_strict(CATALOGUE_ORDER, default=len(CATALOGUE_ORDER))
            .alias("_catalogue"),
        )
        # Ties (same level, same contribution: two capped indicators) in catalogue order,
        # so that the same data always give the same reasons in the same order. Sorted by
        # pupil first: each pupil's reasons are then consecutive (a cheaper group-by).
        .sort(
            ["pupil_id", "_rank", "_contribution", "_catalogue"],
            descending=[False, True, True, False],
            nulls_last=True,
        )
        .group_by("pupil_id", maintain_order=True)
        .agg(
            pl.struct(*REASON_FIELDS).alias("reasons"),
            pl.col("indicator").alias("reason_indicators"),
            (pl.col("level") == "alerte").sum().cast(pl.Int64).alias("alerte_count"),
            (pl.col("level") == "vigilance").sum().cast(pl.Int64).alias("vigilance_count"),
            pl.col("legal").any().alias("legal"),
            pl.col("since_start").min().alias("since"),
        )
        .collect()
        # One chunk: gathering lists of structs spread over chunks is slow (the join below).
        .rechunk()
    )
    ranking = scored.join(reasons, on="pupil_id", how="left", maintain_order="left").with_columns(
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
