"""Tiny hand-made frames for the engine's tests.

Calendar facts used in the expectations (default calendar: Monday, Tuesday, Thursday,
Friday 2 half-days, Wednesday 1, weekend 0): November 2024 starts on a Friday and has
2 + 4 × 9 = 38 school half-days; October 2024 has 41; 4 November 2024 is a Monday.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from alliance.detection.engine import EngineInput

d = dt.date


def pupils(*ids: str, level: str = "5e", division: str = "5A") -> pl.DataFrame:
    return pl.DataFrame(
        {"pupil_id": list(ids), "level": [level] * len(ids), "division": [division] * len(ids)}
    )


def absences(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """rows: (pupil_id, start_date, half_days, justified)."""
    return pl.DataFrame(
        rows,
        schema={
            "pupil_id": pl.String,
            "start_date": pl.Date,
            "half_days": pl.Int64,
            "justified": pl.Boolean,
        },
        orient="row",
    )


def dated(rows: list[tuple[Any, ...]], **schema: Any) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"pupil_id": pl.String, "date": pl.Date, **schema}, orient="row"
    )


def marks(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """rows: (pupil_id, period, subject, mark[, out_of, coefficient])."""
    full = [row + (20.0, 1.0)[len(row) - 4 :] for row in rows]
    return pl.DataFrame(
        full,
        schema={
            "pupil_id": pl.String,
            "period": pl.String,
            "subject": pl.String,
            "mark": pl.Float64,
            "out_of": pl.Float64,
            "coefficient": pl.Float64,
        },
        orient="row",
    )


TRIMESTERS = pl.DataFrame(
    {
        "period": ["T1", "T2", "T3"],
        "start_date": [d(2024, 9, 2), d(2024, 12, 1), d(2025, 3, 1)],
        "end_date": [d(2024, 11, 30), d(2025, 2, 28), d(2025, 6, 30)],
    }
)


def inputs(pupil_frame: pl.DataFrame, **frames: pl.DataFrame) -> EngineInput:
    return EngineInput(pupils=pupil_frame, **frames)


def value(frame: pl.DataFrame, pupil: str, column: str, **where: Any) -> Any:
    rows = frame.filter(pl.col("pupil_id") == pupil)
    for key, expected in where.items():
        rows = rows.filter(pl.col(key) == expected)
    assert rows.height == 1, rows
    return rows.get_column(column).item()
