"""Each indicator on tiny hand-made frames, against values computed by hand."""

import polars as pl
import pytest

from alliance.detection.engine import EngineInput, InputFrameError, RuleSet, evaluate
from tests.detection.engine.helpers import (
    TRIMESTERS,
    absences,
    d,
    dated,
    inputs,
    marks,
    pupils,
    value,
)

NOV = d(2024, 11, 1)
OCT = d(2024, 10, 1)


def test_absent_and_unjustified_half_days_per_month():
    frame = absences(
        [
            ("a", d(2024, 11, 4), 2, False),
            ("a", d(2024, 11, 5), 1, None),  # justification unknown: not justified
            ("a", d(2024, 11, 12), 2, True),
            ("a", d(2024, 10, 8), 1, False),
        ]
    )
    result = evaluate(inputs(pupils("a"), absences=frame))
    monthly = result.monthly
    assert value(monthly, "a", "absent_half_days", month=NOV) == 5
    assert value(monthly, "a", "unjustified_half_days", month=NOV) == 3
    assert value(monthly, "a", "absent_half_days", month=OCT) == 1
    assert value(monthly, "a", "unjustified_half_days", month=OCT) == 1


def test_half_days_computed_from_the_dates_and_the_calendar():
    frame = pl.DataFrame(
        {
            "pupil_id": ["a", "b", "c"],
            # a: Monday to Friday (2+2+1+2+2); b: one Wednesday; c: a morning only
            "start_date": [d(2024, 11, 4), d(2024, 11, 6), d(2024, 11, 7)],
            "end_date": [d(2024, 11, 8), d(2024, 11, 6), d(2024, 11, 7)],
            "half_day": [None, None, "morning"],
        }
    )
    monthly = evaluate(inputs(pupils("a", "b", "c"), absences=frame)).monthly
    assert value(monthly, "a", "absent_half_days", month=NOV) == 9
    assert value(monthly, "b", "absent_half_days", month=NOV) == 1
    assert value(monthly, "c", "absent_half_days", month=NOV) == 1


def test_absence_rate_uses_the_school_calendar():
    frame = absences([("a", d(2024, 11, 4), 19, False)])
    monthly = evaluate(inputs(pupils("a"), absences=frame), as_of=d(2024, 11, 30)).monthly
    assert value(monthly, "a", "school_half_days", month=NOV) == 38
    assert value(monthly, "a", "absence_rate", month=NOV) == pytest.approx(0.5)
    given = pl.DataFrame({"month": [NOV], "half_days": [40]})
    monthly = evaluate(inputs(pupils("a"), absences=frame, school_days=given)).monthly
    assert value(monthly, "a", "absence_rate", month=NOV) == pytest.approx(19 / 40)


def test_a_partial_month_counts_school_half_days_up_to_as_of():
    frame = absences([("a", d(2024, 11, 4), 1, False)])
    monthly = evaluate(inputs(pupils("a"), absences=frame)).monthly  # as of 4 November
    assert value(monthly, "a", "school_half_days", month=NOV) == 4  # Friday 1st, Monday 4th


def test_a_custom_calendar_changes_the_school_half_days():
    rules = RuleSet.from_document({"calendar": {"half_days": {"wednesday": 2}}})
    frame = absences([("a", d(2024, 11, 4), 1, False)])
    monthly = evaluate(inputs(pupils("a"), absences=frame), rules, as_of=d(2024, 11, 30)).monthly
    assert value(monthly, "a", "school_half_days", month=NOV) == 42


def test_lateness_sanctions_and_signs_per_month():
    lateness = dated([("a", d(2024, 11, 4)), ("a", d(2024, 11, 5)), ("a", d(2024, 10, 1))])
    sanctions = dated(
        [
            ("a", d(2024, 11, 4), 1, False),
            ("a", d(2024, 11, 6), 2, False),
            ("a", d(2024, 11, 7), 3, True),
            ("a", d(2024, 11, 8), 4, False),
        ],
        severity=pl.Int64,
        exclusion=pl.Boolean,
    )
    signs = dated(
        [
            ("a", d(2024, 11, 4), "isolation"),
            ("a", d(2024, 11, 20), "isolation"),
            ("a", d(2024, 11, 21), "fatigue"),
        ],
        sign=pl.String,
    )
    monthly = evaluate(
        inputs(pupils("a"), lateness=lateness, sanctions=sanctions, signs=signs)
    ).monthly
    assert value(monthly, "a", "lateness", month=NOV) == 2
    assert value(monthly, "a", "lateness", month=OCT) == 1
    assert value(monthly, "a", "incidents", month=NOV) == 4
    assert value(monthly, "a", "punishments", month=NOV) == 1
    assert value(monthly, "a", "sanctions", month=NOV) == 2
    assert value(monthly, "a", "exclusions", month=NOV) == 1
    assert value(monthly, "a", "observed_signs", month=NOV) == 2
    assert value(monthly, "a", "observed_signs", month=OCT) == 0


def test_every_pupil_has_every_month_with_zeros():
    frame = absences([("a", d(2024, 9, 10), 1, False), ("a", d(2024, 11, 4), 1, False)])
    monthly = evaluate(inputs(pupils("a", "b"), absences=frame)).monthly
    assert monthly.height == 2 * 3
    assert value(monthly, "b", "absent_half_days", month=OCT) == 0


def test_marks_average_share_under_10_and_subjects_under_10():
    frame = marks(
        [
            # maths: (8×1 + 14×3) / 4 = 12.5; french: 6 and 10 → 8 (10/20 is not under 10)
            ("a", "T1", "maths", 8.0, 20.0, 1.0),
            ("a", "T1", "maths", 14.0, 20.0, 3.0),
            ("a", "T1", "french", 3.0, 10.0, 1.0),
            ("a", "T1", "french", 10.0, 20.0, 1.0),
        ]
    )
    periods = evaluate(inputs(pupils("a"), marks=frame, periods=TRIMESTERS)).periods
    assert value(periods, "a", "average", period="T1") == pytest.approx((12.5 + 8) / 2)
    assert value(periods, "a", "share_under_10", period="T1") == pytest.approx(2 / 4)
    assert value(periods, "a", "subjects_under_10", period="T1") == 1


def test_special_codes_are_not_marks():
    frame = marks([("a", "T1", "maths", 12.0), ("a", "T1", "maths", None)])
    periods = evaluate(inputs(pupils("a"), marks=frame, periods=TRIMESTERS)).periods
    assert value(periods, "a", "share_under_10", period="T1") == 0.0
    assert value(periods, "a", "average", period="T1") == 12.0


def test_average_drop_compares_with_the_previous_period_that_has_marks():
    frame = marks(
        [
            ("a", "T1", "maths", 14.0),
            ("a", "T3", "maths", 9.0),
            ("b", "T1", "maths", 10.0),
            ("b", "T2", "maths", 12.0),
        ]
    )
    periods = evaluate(inputs(pupils("a", "b"), marks=frame, periods=TRIMESTERS)).periods
    assert value(periods, "a", "average_drop", period="T1") is None
    assert value(periods, "a", "average_drop", period="T3") == pytest.approx(5.0)
    assert value(periods, "b", "average_drop", period="T2") == pytest.approx(-2.0)


def test_gap_to_the_level_average_is_per_level_and_period():
    pupil_frame = pl.concat([pupils("a", "b", level="5e"), pupils("c", level="4e")])
    frame = marks(
        [("a", "T1", "maths", 8.0), ("b", "T1", "maths", 14.0), ("c", "T1", "maths", 4.0)]
    )
    periods = evaluate(inputs(pupil_frame, marks=frame, periods=TRIMESTERS)).periods
    assert value(periods, "a", "gap_to_level", period="T1") == pytest.approx(3.0)
    assert value(periods, "b", "gap_to_level", period="T1") == pytest.approx(-3.0)
    assert value(periods, "c", "gap_to_level", period="T1") == pytest.approx(0.0)


def test_periods_are_ordered_by_their_start_not_their_name():
    periods_frame = pl.DataFrame(
        {
            "period": ["second", "first"],
            "start_date": [d(2025, 1, 1), d(2024, 9, 1)],
            "end_date": [d(2025, 6, 30), d(2024, 12, 31)],
        }
    )
    frame = marks([("a", "first", "maths", 15.0), ("a", "second", "maths", 11.0)])
    periods = evaluate(inputs(pupils("a"), marks=frame, periods=periods_frame)).periods
    assert value(periods, "a", "average_drop", period="second") == pytest.approx(4.0)


def test_period_counts_feed_the_period_indicators():
    counts = pl.DataFrame(
        {
            "pupil_id": ["a"],
            "period": ["T1"],
            "half_days_absent": [12],
            "unjustified_half_days": [5],
            "lateness_count": [7],
        }
    )
    result = evaluate(inputs(pupils("a"), period_counts=counts, periods=TRIMESTERS))
    periods = result.periods
    assert value(periods, "a", "absent_half_days", period="T1") == 12
    assert value(periods, "a", "unjustified_half_days", period="T1") == 5
    assert value(periods, "a", "lateness", period="T1") == 7
    assert value(periods, "a", "months", period="T1") == 3.0


def test_period_counts_need_the_periods_frame():
    counts = pl.DataFrame({"pupil_id": ["a"], "period": ["T1"], "half_days_absent": [3]})
    with pytest.raises(InputFrameError, match="period_counts"):
        evaluate(inputs(pupils("a"), period_counts=counts))


def test_events_of_unknown_pupils_are_dropped_and_counted():
    frame = absences([("a", d(2024, 11, 4), 1, False), ("ghost", d(2024, 11, 4), 9, False)])
    result = evaluate(inputs(pupils("a"), absences=frame))
    assert set(result.monthly.get_column("pupil_id")) == {"a"}
    assert set(result.ranking.get_column("pupil_id")) == {"a"}
    assert result.dropped_events == {"absences": 1}


def test_as_of_ignores_later_events_and_ends_the_window():
    frame = absences([("a", d(2024, 10, 7), 1, False), ("a", d(2024, 11, 4), 4, False)])
    result = evaluate(inputs(pupils("a"), absences=frame), as_of=d(2024, 10, 31))
    assert result.monthly.get_column("month").to_list() == [OCT]
    assert result.alerts.filter(pl.col("period") == "2024-11").height == 0


def test_missing_columns_and_bad_types_are_named():
    with pytest.raises(InputFrameError, match=r"absences\.start_date: missing column"):
        evaluate(inputs(pupils("a"), absences=pl.DataFrame({"pupil_id": ["a"]})))
    bad = pl.DataFrame({"pupil_id": ["a"], "date": ["not a date"]})
    with pytest.raises(InputFrameError, match=r"lateness\.date"):
        evaluate(inputs(pupils("a"), lateness=bad))
    with pytest.raises(InputFrameError, match=r"pupils\.pupil_id: each pupil must appear once"):
        evaluate(EngineInput(pupils=pupils("a", "a")))


def test_long_indicator_frame_has_every_value():
    frame = absences([("a", d(2024, 11, 4), 3, False)])
    long = evaluate(inputs(pupils("a"), absences=frame)).indicators
    row = long.filter(
        (pl.col("indicator") == "unjustified_half_days") & (pl.col("period") == "2024-11")
    )
    assert row.get_column("value").item() == 3.0
    assert row.get_column("granularity").item() == "month"
