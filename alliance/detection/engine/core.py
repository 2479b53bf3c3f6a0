"""``evaluate``: frames in, frames out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from alliance.detection.engine.alerts import compute_alerts
from alliance.detection.engine.catalogue import INDICATORS
from alliance.detection.engine.indicators import (
    Conformed,
    check_periods,
    event_dates,
    monthly_frame,
    period_frame,
)
from alliance.detection.engine.rules import RuleSet
from alliance.detection.engine.schema import EngineInput, InputFrameError, conform
from alliance.detection.engine.score import rank_pupils, weights_frame, window_start

EVENT_DATE_COLUMN = {
    "absences": "start_date",
    "lateness": "date",
    "sanctions": "date",
    "signs": "date",
    "marks": "date",
}


@dataclass(frozen=True)
class EngineResult:
    """What the engine computed.

    - ``monthly``: one row per pupil and month of the window, each monthly indicator a column;
    - ``periods``: one row per pupil and period with marks or counts;
    - ``alerts``: every indicator at or over a threshold, structured (indicator, value,
      threshold, level, period, since when, legal): ``explain(alerts)`` writes the sentence
      of the rows someone reads;
    - ``ranking``: every known pupil, ranked by the composite score, with reasons and each
      indicator's contribution (``contribution_<indicator>``);
    - ``weights``: the enabled indicators, their thresholds and weights.
    """

    monthly: pl.DataFrame
    periods: pl.DataFrame
    alerts: pl.DataFrame
    ranking: pl.DataFrame
    weights: pl.DataFrame
    rules: RuleSet
    as_of: dt.date | None
    dropped_events: dict[str, int] = field(default_factory=dict)

    @property
    def indicators(self) -> pl.DataFrame:
        """Every indicator value, long: pupil, granularity, period, indicator, value."""
        parts = []
        monthly_codes = [code for code in INDICATORS if code in self.monthly.columns]
        if self.monthly.height:
            parts.append(
                self.monthly.select(
                    "pupil_id",
                    pl.lit("month").alias("granularity"),
                    pl.col("month").dt.strftime("%Y-%m").alias("period"),
                    pl.col("month").alias("period_start"),
                    *[pl.col(code).cast(pl.Float64) for code in monthly_codes],
                ).unpivot(
                    index=["pupil_id", "granularity", "period", "period_start"],
                    variable_name="indicator",
                    value_name="value",
                )
            )
        period_codes = [code for code in INDICATORS if code in self.periods.columns]
        if self.periods.height:
            parts.append(
                self.periods.select(
                    "pupil_id",
                    pl.lit("period").alias("granularity"),
                    "period",
                    "period_start",
                    *[pl.col(code).cast(pl.Float64) for code in period_codes],
                )
                .unpivot(
                    index=["pupil_id", "granularity", "period", "period_start"],
                    variable_name="indicator",
                    value_name="value",
                )
                .filter(pl.col("value").is_not_null())
            )
        if not parts:
            return pl.DataFrame(
                schema={
                    "pupil_id": self.ranking.schema["pupil_id"],
                    "granularity": pl.String,
                    "period": pl.String,
                    "period_start": pl.Date,
                    "indicator": pl.String,
                    "value": pl.Float64,
                }
            )
        return pl.concat(parts, how="vertical")


def _prepare(frames: EngineInput, as_of: dt.date | None) -> tuple[Conformed, dict[str, int]]:
    given = frames.frames()
    pupils = conform("pupils", given["pupils"], None)
    if pupils.get_column("pupil_id").is_duplicated().any():
        raise InputFrameError("pupils", "pupil_id", "each pupil must appear once")
    pupil_dtype = pupils.schema["pupil_id"]
    known_ids = pupils.get_column("pupil_id").implode()
    prepared: dict[str, pl.DataFrame | None] = {}
    dropped: dict[str, int] = {}
    for name in (
        "absences",
        "lateness",
        "sanctions",
        "marks",
        "period_counts",
        "signs",
        "periods",
        "school_days",
    ):
        frame = given.get(name)
        if frame is None:
            prepared[name] = None
            continue
        frame = conform(name, frame, pupil_dtype)
        if "pupil_id" in frame.columns:
            # A hash membership test, and a filter only when some pupil is unknown: much
            # cheaper than a semi-join, which gathers every column even when all are known.
            known = frame.get_column("pupil_id").is_in(known_ids)
            unknown = frame.height - int(known.sum())
            if unknown:
                dropped[name] = unknown
                frame = frame.filter(known)
        if as_of is not None and name in EVENT_DATE_COLUMN:
            column = EVENT_DATE_COLUMN[name]
            keep = frame.select(pl.col(column).is_null() | (pl.col(column) <= as_of)).to_series()
            if not keep.all():
                frame = frame.filter(keep)
        prepared[name] = frame
    data = Conformed(pupils=pupils, **prepared)
    check_periods(data)
    return data, dropped


def evaluate(
    frames: EngineInput,
    rules: RuleSet | None = None,
    *,
    as_of: dt.date | None = None,
    language: str = "fr",
) -> EngineResult:
    """Compute the indicators, the alerts and the ranking.

    ``as_of``: only events dated on or before it count, and the monthly window ends with
    its month (a backtest replays the year this way). By default, the last event's date.
    ``language``: the weights' labels; the alerts' sentences are written by ``explain``.
    """
    rules = rules or RuleSet.defaults()
    data, dropped = _prepare(frames, as_of)
    if as_of is None:
        dates = event_dates(data)
        as_of = max(dates) if dates else None
    monthly = monthly_frame(data, rules, as_of)
    periods = period_frame(
        data,
        rules,
        as_of,
        has_absence_events=data.absences is not None and data.absences.height > 0,
        has_lateness_events=data.lateness is not None and data.lateness.height > 0,
    )
    alerts, current = compute_alerts(
        monthly, periods, rules, window_start=window_start(monthly, rules)
    )
    ranking = rank_pupils(data.pupils, monthly, periods, current, rules)
    return EngineResult(
        monthly=monthly,
        periods=periods,
        alerts=alerts,
        ranking=ranking,
        weights=weights_frame(rules, language),
        rules=rules,
        as_of=as_of,
        dropped_events=dropped,
    )
