"""What the fast paths of the engine must keep: orders, exact sums, stable ties."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from alliance.demo.academie import AS_OF, generate
from alliance.detection.engine import (
    LEGAL_INDICATOR,
    EngineInput,
    RuleSet,
    ScoreSettings,
    evaluate,
)

d = dt.date


def test_unsorted_pupils_give_a_sorted_complete_grid_and_sorted_alerts():
    pupils = pl.DataFrame({"pupil_id": [30, 10, 20], "level": ["5e"] * 3, "division": ["5A"] * 3})
    absences = pl.DataFrame(
        {
            "pupil_id": [20, 30, 30, 10],
            "start_date": [d(2024, 11, 4), d(2024, 10, 7), d(2024, 11, 4), d(2024, 9, 9)],
            "half_days": [5, 4, 4, 6],
            "justified": [False, False, False, False],
        }
    )
    result = evaluate(EngineInput(pupils=pupils, absences=absences), as_of=d(2024, 11, 30))
    monthly = result.monthly
    assert monthly.get_column("pupil_id").to_list() == [10] * 3 + [20] * 3 + [30] * 3
    assert monthly.get_column("month").to_list()[:3] == [
        d(2024, 9, 1),
        d(2024, 10, 1),
        d(2024, 11, 1),
    ]
    assert monthly.filter(pl.col("pupil_id") == 30).get_column(
        "unjustified_half_days"
    ).to_list() == [0, 4, 4]
    alerts = result.alerts
    assert alerts.equals(alerts.sort("pupil_id", "period_start", "indicator"))
    since = alerts.filter(
        (pl.col("pupil_id") == 30) & (pl.col("indicator") == "unjustified_half_days")
    ).get_column("since")
    assert since.to_list() == ["2024-10", "2024-10"]


def test_a_subject_average_of_exactly_10_is_not_under_10():
    # 9.7, 10.1, 10.2 average exactly 10 — a float sum gives 9.999999999999998.
    pupils = pl.DataFrame({"pupil_id": ["a"], "level": ["5e"], "division": ["5A"]})
    marks = pl.DataFrame(
        {
            "pupil_id": ["a"] * 3,
            "period": ["T1"] * 3,
            "subject": ["ma"] * 3,
            "mark": [9.7, 10.1, 10.2],
            "date": [d(2024, 10, 1)] * 3,
        }
    )
    periods = evaluate(EngineInput(pupils=pupils, marks=marks)).periods
    assert periods.get_column("average").item() == 10.0
    assert periods.get_column("subjects_under_10").item() == 0


def test_reasons_that_tie_come_in_catalogue_order():
    pupils = pl.DataFrame({"pupil_id": [1], "level": ["5e"], "division": ["5A"]})
    # Both capped at the same contribution (weight 1 each): absent half-days and lateness.
    absences = pl.DataFrame(
        {
            "pupil_id": [1],
            "start_date": [d(2024, 11, 4)],
            "half_days": [60],
            "justified": [True],
        }
    )
    lateness = pl.DataFrame({"pupil_id": [1] * 40, "date": [d(2024, 11, 4)] * 40})
    result = evaluate(
        EngineInput(pupils=pupils, absences=absences, lateness=lateness), as_of=d(2024, 11, 30)
    )
    indicators = result.ranking.get_column("reason_indicators").item().to_list()
    assert indicators.index("absent_half_days") < indicators.index("lateness")


def test_two_runs_on_the_same_files_give_the_same_result():
    frames = generate(3000, seed=5)
    first = evaluate(EngineInput(**frames), as_of=AS_OF)
    second = evaluate(EngineInput(**frames), as_of=AS_OF)
    for name in ("monthly", "periods", "alerts", "ranking"):
        assert_frame_equal(getattr(first, name), getattr(second, name), check_exact=True)


def test_the_dense_marks_layout_gives_what_the_group_by_gives(monkeypatch):
    """Marks are summed in a dense pupils × periods × subjects array when it is small
    enough, by a group-by otherwise: both give the same period frame, exactly."""
    from alliance.detection.engine import indicators

    frames = generate(300, seed=3)
    marks = frames["marks"].with_columns(
        # Some marks without a date, out of something else than 20, or not counted.
        pl.when(pl.int_range(pl.len()) % 17 == 0)
        .then(None)
        .otherwise(pl.col("date"))
        .alias("date"),
        pl.when(pl.int_range(pl.len()) % 13 == 0)
        .then(10.0)
        .otherwise(pl.col("out_of"))
        .alias("out_of"),
        pl.when(pl.int_range(pl.len()) % 29 == 0)
        .then(None)
        .otherwise(pl.col("mark"))
        .alias("mark"),
    )
    given = EngineInput(**{**frames, "marks": marks})
    dense = evaluate(given, as_of=AS_OF)
    monkeypatch.setattr(indicators, "DENSE_CELLS_ALLOWANCE", -(10**12))
    grouped = evaluate(given, as_of=AS_OF)
    assert dense.periods.height > 0
    assert_frame_equal(dense.periods, grouped.periods)
    assert_frame_equal(dense.alerts, grouped.alerts)
    assert_frame_equal(dense.ranking, grouped.ranking)


def test_marks_with_coefficient_0_average_plainly_in_both_layouts(monkeypatch):
    """A subject whose marks all have coefficient 0 gets the plain mean of its marks: the
    dense layout sums the plain marks only when some coefficient is 0, and then gives
    what the group-by gives."""
    from alliance.detection.engine import indicators

    frames = generate(300, seed=4)
    first_subject = frames["marks"].get_column("subject").min()
    marks = frames["marks"].with_columns(
        pl.when(pl.col("subject") == first_subject)
        .then(0.0)
        .otherwise(pl.col("coefficient"))
        .alias("coefficient")
    )
    given = EngineInput(**{**frames, "marks": marks})
    dense = evaluate(given, as_of=AS_OF)
    monkeypatch.setattr(indicators, "DENSE_CELLS_ALLOWANCE", -(10**12))
    grouped = evaluate(given, as_of=AS_OF)
    assert_frame_equal(dense.periods, grouped.periods)
    assert_frame_equal(dense.alerts, grouped.alerts)
    assert_frame_equal(dense.ranking, grouped.ranking)
    # And the averages did change: the subject's marks count, unweighted.
    usual = evaluate(EngineInput(**frames), as_of=AS_OF)
    assert not dense.periods.get_column("average").equals(usual.periods.get_column("average"))


@pytest.mark.parametrize("method", ["weighted", "levels"])
def test_stages_side_by_side_give_what_they_give_one_after_the_other(monkeypatch, method):
    """On a large input ``evaluate`` runs independent stages in a thread pool: the result
    is exactly the one computed stage after stage (as on a school's small input)."""
    from alliance.detection.engine import core

    frames = generate(1500, seed=7)
    pupil_ids = frames["pupils"].get_column("pupil_id").head(400)
    periods = frames["periods"].get_column("period")
    # No dated absences but absences per period: counts feed period indicators too.
    counts = pl.DataFrame(
        {
            "pupil_id": pupil_ids.extend(pupil_ids),
            "period": [periods[0]] * 400 + [periods[1]] * 400,
            "half_days_absent": (pl.int_range(800, eager=True) % 23).cast(pl.Int64),
            "unjustified_half_days": (pl.int_range(800, eager=True) % 11).cast(pl.Int64),
            "lateness_count": (pl.int_range(800, eager=True) % 7).cast(pl.Int64),
        }
    )
    given = EngineInput(
        **{name: frame for name, frame in frames.items() if name != "absences"},
        period_counts=counts,
    )
    defaults = RuleSet.defaults()
    rules = replace(
        defaults,
        # The legal indicator's rule switched off: its legal flag still runs.
        indicators={
            **defaults.indicators,
            LEGAL_INDICATOR: replace(defaults.indicators[LEGAL_INDICATOR], enabled=False),
        },
        score=ScoreSettings(method=method),
    )
    pools: list[int] = []

    class CountedPool(ThreadPoolExecutor):
        def __init__(self, max_workers: int) -> None:
            pools.append(max_workers)
            super().__init__(max_workers=max_workers)

    monkeypatch.setattr(core, "ThreadPoolExecutor", CountedPool)
    monkeypatch.setattr(core, "CONCURRENT_MIN_ROWS", 0)
    side_by_side = evaluate(given, rules, as_of=AS_OF)
    assert pools and all(1 <= workers <= 2 for workers in pools)
    monkeypatch.setattr(core, "CONCURRENT_MIN_ROWS", 10**12)
    one_after_the_other = evaluate(given, rules, as_of=AS_OF)
    assert len(pools) == 1
    assert side_by_side.alerts.height > 0
    assert side_by_side.alerts.filter(pl.col("granularity") == "period").height > 0
    for name in ("monthly", "periods", "alerts", "ranking", "weights"):
        assert_frame_equal(
            getattr(side_by_side, name), getattr(one_after_the_other, name), check_exact=True
        )
