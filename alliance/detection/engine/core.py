"""``evaluate``: frames in, frames out."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import polars as pl

from alliance.detection.engine.alerts import (
    assemble_alerts,
    monthly_alerts,
    period_alerts,
)
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
from alliance.detection.engine.score import (
    monthly_ratios,
    period_ratios,
    rank_pupils,
    ratios_need_alerts,
    score_pupils,
    weights_frame,
    window_start,
)

T = TypeVar("T")

EVENT_DATE_COLUMN = {
    "absences": "start_date",
    "lateness": "date",
    "sanctions": "date",
    "signs": "date",
    "marks": "date",
}

#: From this many event rows on, ``evaluate`` runs its two independent chains side by side
#: (the monthly grid and its alerts; the periods and theirs), then sorts every alert while
#: the ranking is built: each stage alone leaves a core idle in its single-threaded parts
#: (numpy sums, one-chunk Polars expressions, Python between queries), and numpy and
#: Polars release the GIL there. Below (a school: ~120,000 rows for 2,000 pupils), one
#: thread; the pool starts paying from about this size (measured: 3,500 pupils, 200,000
#: rows, 120 ms in the pool against 132 ms without).
CONCURRENT_MIN_ROWS = 200_000
#: At most this many stages at once (the machines are small: 2 cores is the target).
STAGE_WORKERS = 2


class _Stages:
    """Runs a stage in a thread of a bounded pool, or at once when the pool is off (small
    inputs): the result is the same either way, only when it is computed differs."""

    def __init__(self, pool: ThreadPoolExecutor | None) -> None:
        self.pool = pool

    def start(self, stage: Callable[..., T], *arguments: object) -> Callable[[], T]:
        if self.pool is None:
            value = stage(*arguments)
            return lambda: value
        future: Future[T] = self.pool.submit(stage, *arguments)
        return future.result


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
            # Filtered only when some event is later (a maximum, no mask of every row).
            latest = frame.get_column(column).max()
            if isinstance(latest, dt.date) and latest > as_of:
                frame = frame.filter(pl.col(column).is_null() | (pl.col(column) <= as_of))
        prepared[name] = frame
    data = Conformed(pupils=pupils, **prepared)
    check_periods(data)
    return data, dropped


def _collect(frame: pl.LazyFrame) -> pl.DataFrame:
    return frame.collect()


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
    rows = sum(
        frame.height
        for frame in (data.absences, data.lateness, data.sanctions, data.signs, data.marks)
        if frame is not None
    )
    pool = (
        ThreadPoolExecutor(max_workers=min(STAGE_WORKERS, os.cpu_count() or 1))
        if rows >= CONCURRENT_MIN_ROWS
        else None
    )
    ids = data.pupils.get_column("pupil_id").sort()
    weighted = not ratios_need_alerts(rules)

    try:
        stages = _Stages(pool)
        # Two chains side by side, each stage as soon as what it reads is ready: the
        # periods (marks) in a thread, the monthly grid, its alerts and ratios here; then
        # the period alerts in the thread while the period ratios and the score are
        # computed here; the current alerts and the ranking here, every alert sorted in
        # the thread.
        periods_of = stages.start(
            period_frame,
            data,
            rules,
            as_of,
            data.absences is not None and data.absences.height > 0,
            data.lateness is not None and data.lateness.height > 0,
        )
        monthly = monthly_frame(data, rules, as_of)
        by_month = monthly_alerts(monthly, rules)
        ratios = monthly_ratios(monthly, rules) if weighted else []
        periods = periods_of()
        by_period_of = stages.start(period_alerts, periods, ids, rules)
        scored = (
            score_pupils(
                data.pupils,
                monthly,
                periods,
                rules,
                ratios=ratios + period_ratios(periods, rules),
            )
            if weighted
            else None
        )
        everything, current = assemble_alerts(
            by_month,
            by_period_of(),
            rules,
            window_start(monthly, rules),
            pupil_dtype=data.pupils.schema["pupil_id"],
        )
        alerts_of = stages.start(_collect, everything)
        ranking = rank_pupils(data.pupils, monthly, periods, current, rules, scored=scored)
        alerts = alerts_of()
    finally:
        if pool is not None:
            pool.shutdown()
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
