"""OULAD: withdrawal backtest with lead time from the assessment timeline."""

import datetime as dt

import polars as pl
import pytest

from alliance.detection.backtest import BacktestOptions, backtest_events
from alliance.detection.backtest.datasets import oulad
from alliance.detection.engine import EngineInput, ProtectedColumnError, evaluate

AS_OF = dt.date(2013, 11, 30)  # two months into every presentation


@pytest.fixture(scope="module")
def oulad_frames(oulad_dir):
    return oulad.load(oulad_dir)


def test_event_frames_from_the_assessment_timeline(oulad_frames):
    frames, outcomes = oulad_frames
    assert frames.pupils.height == 32593
    assert outcomes.filter(pl.col("outcome") == "Withdrawn").height == 10156
    # Every withdrawal with a date is dated by date_unregistration from day zero.
    dated = outcomes.filter(pl.col("date").is_not_null())
    assert dated.get_column("date").min() < oulad.DAY_ZERO < dated.get_column("date").max()
    # Missed deadlines only while registered: none after the withdrawal date.
    missed = frames.absences.join(outcomes, on="pupil_id").filter(
        pl.col("date").is_not_null() & (pl.col("start_date") >= pl.col("date"))
    )
    assert missed.height == 0


def test_the_fairness_groups_never_reach_the_engine(oulad_frames):
    frames, outcomes = oulad_frames
    carrying = frames.pupils.join(outcomes.select("pupil_id", "gender"), on="pupil_id")
    with pytest.raises(ProtectedColumnError):
        evaluate(EngineInput(pupils=carrying))


def test_withdrawal_backtest_reports_positive_lead_time(oulad_frames):
    frames, outcomes = oulad_frames
    report = backtest_events(
        frames,
        outcomes,
        positive=oulad.POSITIVE,
        groups=["gender", "disability"],
        as_of=AS_OF,
        options=BacktestOptions(models=("logistic",)),
    )
    assert report["input"]["as_of"] == "2013-11-30"
    assert report["input"]["positives"] > 1000
    methods = {method["code"]: method for method in report["methods"]}
    assert set(methods) == {"school", "pronote_like", "abc", "model_logistic"}
    for code in ("school", "model_logistic"):
        lead = methods[code]["lead_time"]
        assert lead["flagged_before_outcome"] > 0
        assert lead["median_days"] > 0
        assert methods[code]["auc"] > 0.55
    assert methods["model_logistic"]["calibration"]["brier"] < 0.2
    assert methods["school"]["fairness"]["gender"]["flag"]["recall_gap"] is not None
