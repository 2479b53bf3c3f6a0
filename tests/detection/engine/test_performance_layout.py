"""What the fast paths of the engine must keep: orders, exact sums, stable ties."""

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from alliance.demo.academie import AS_OF, generate
from alliance.detection.engine import EngineInput, evaluate

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
