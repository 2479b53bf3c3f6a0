"""OULAD (Kuzilek et al. 2017) as the engine's event frames, for lead-time backtests.

A "pupil" is a registration (a student in one module presentation); the "level" is the
module presentation, so "the level's average" is the cohort's. Every presentation's day 0
is placed on 1 October 2013 (:data:`DAY_ZERO`), so one ``as_of`` date means the same point
in every course. The events come from the assessment timeline (``assessments.csv`` and
``studentAssessment.csv``; exams, which have no deadline, are left out):

- a deadline passed while the student was still registered, with no submission: one
  unjustified absent half-day on the deadline (a missed piece of work is an absence);
- a submission after its deadline (not a banked result): one lateness, on the day of the
  submission;
- every scored submission: a mark (score out of 100), in the trimester of its deadline
  (T1 October–December, T2 January–March, T3 April–June, T4 July–September), the
  subject being the assessment type (TMA, CMA).

Outcome: ``final_result`` (``Withdrawn`` is the positive), dated by ``date_unregistration``.
The outcomes file also carries, for the fairness report only, ``gender``, ``age_band``,
``disability``, ``imd_band`` and ``region``: they never reach the engine (its pupils frame
would refuse them) nor the model.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from alliance.detection.engine import EngineInput

DAY_ZERO = dt.date(2013, 10, 1)
POSITIVE = "Withdrawn"
FAIRNESS_GROUPS: tuple[str, ...] = ("gender", "age_band", "disability", "imd_band")
TRIMESTERS = (
    ("T1", dt.date(2013, 10, 1), dt.date(2013, 12, 31)),
    ("T2", dt.date(2014, 1, 1), dt.date(2014, 3, 31)),
    ("T3", dt.date(2014, 4, 1), dt.date(2014, 6, 30)),
    ("T4", dt.date(2014, 7, 1), dt.date(2014, 9, 30)),
)


def _read(directory: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(directory / name, null_values=[""], infer_schema_length=None)


def _day(column: str) -> pl.Expr:
    return pl.lit(DAY_ZERO) + pl.duration(days=pl.col(column))


def _pupil_id() -> pl.Expr:
    return pl.concat_str(
        [pl.col("code_module"), pl.col("code_presentation"), pl.col("id_student").cast(pl.String)],
        separator="-",
    ).alias("pupil_id")


def load(directory: Path) -> tuple[EngineInput, pl.DataFrame]:
    """The engine's frames and the outcomes (pupil_id, outcome, date, fairness groups)."""
    info = _read(directory, "studentInfo.csv")
    registrations = _read(directory, "studentRegistration.csv")
    assessments = _read(directory, "assessments.csv").filter(
        (pl.col("assessment_type") != "Exam") & pl.col("date").is_not_null()
    )
    submissions = _read(directory, "studentAssessment.csv")

    students = info.join(
        registrations, on=["code_module", "code_presentation", "id_student"], how="left"
    ).with_columns(
        _pupil_id(),
        pl.concat_str(["code_module", "code_presentation"], separator="-").alias("level"),
    )
    pupils = students.select("pupil_id", "level", pl.col("level").alias("division"))
    outcomes = students.select(
        "pupil_id",
        pl.col("final_result").alias("outcome"),
        pl.when(pl.col("date_unregistration").is_not_null())
        .then(_day("date_unregistration"))
        .otherwise(None)
        .alias("date"),
        *FAIRNESS_GROUPS,
        "region",
    )

    expected = (
        students.select(
            "pupil_id",
            "id_student",
            "code_module",
            "code_presentation",
            "date_registration",
            "date_unregistration",
        )
        .join(assessments, on=["code_module", "code_presentation"], how="inner")
        .filter(
            (
                pl.col("date_unregistration").is_null()
                | (pl.col("date_unregistration") > pl.col("date"))
            )
            & (
                pl.col("date_registration").is_null()
                | (pl.col("date_registration") <= pl.col("date"))
            )
        )
        .join(submissions, on=["id_assessment", "id_student"], how="left")
    )
    absences = expected.filter(pl.col("date_submitted").is_null()).select(
        "pupil_id",
        _day("date").alias("start_date"),
        pl.lit(1, dtype=pl.Int64).alias("half_days"),
        pl.lit(False).alias("justified"),
    )
    lateness = expected.filter(
        pl.col("date_submitted").is_not_null()
        & (pl.col("is_banked") == 0)
        & (pl.col("date_submitted") > pl.col("date"))
    ).select(
        "pupil_id",
        _day("date_submitted").alias("date"),
        ((pl.col("date_submitted") - pl.col("date")) * 1440).cast(pl.Int64).alias("minutes"),
    )
    trimester = pl.lit("T4")
    for name, _, end in reversed(TRIMESTERS[:-1]):
        trimester = pl.when(_day("date") <= end).then(pl.lit(name)).otherwise(trimester)
    marks = expected.filter(pl.col("score").is_not_null()).select(
        "pupil_id",
        trimester.alias("period"),
        pl.col("score").cast(pl.Float64).alias("mark"),
        pl.lit(100.0).alias("out_of"),
        pl.col("assessment_type").alias("subject"),
        pl.when(pl.col("is_banked") == 1)
        .then(_day("date"))
        .otherwise(pl.max_horizontal(_day("date_submitted"), _day("date")))
        .alias("date"),
    )
    periods = pl.DataFrame(
        list(TRIMESTERS),
        schema={"period": pl.String, "start_date": pl.Date, "end_date": pl.Date},
        orient="row",
    )
    frames = EngineInput(
        pupils=pupils, absences=absences, lateness=lateness, marks=marks, periods=periods
    )
    return frames, outcomes


def write_events_dir(directory: Path, frames: EngineInput, outcomes: pl.DataFrame) -> Path:
    """Write the frames as the ``--events`` directory format, and ``outcomes.csv`` beside."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.frames().items():
        frame.write_csv(directory / f"{name}.csv")
    path = directory.parent / f"{directory.name}-outcomes.csv"
    outcomes.write_csv(path)
    return path
