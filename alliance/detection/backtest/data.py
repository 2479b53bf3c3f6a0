"""Reading a backtest's inputs: a per-pupil table, or event files and outcomes.

Files are CSV, ``;`` or ``,`` (sniffed from the header unless given), UTF-8 (with or without
BOM) or Windows-1252. Dates are ISO (``2024-11-04``) or French (``04/11/2024``). Every
problem names the file and the column.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from alliance.detection.engine.schema import SCHEMAS, EngineInput


class BacktestInputError(ValueError):
    """A backtest input that cannot be read; the message says which file and column."""


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _sniff(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def read_csv(
    path: Path, separator: str | None = None, string_columns: tuple[str, ...] = ()
) -> pl.DataFrame:
    if not path.is_file():
        raise BacktestInputError(f"{path}: no such file")
    text = _decode(path)
    header = text.split("\n", 1)[0]
    separator = separator or _sniff(header)
    columns = [name.strip().strip('"') for name in header.rstrip("\r").split(separator)]
    overrides = {name: pl.String for name in string_columns if name in columns}
    try:
        return pl.read_csv(
            io.BytesIO(text.encode()),
            separator=separator,
            infer_schema_length=None,
            null_values=[""],
            schema_overrides=overrides,
        )
    except pl.exceptions.PolarsError as error:
        raise BacktestInputError(f"{path}: cannot be read as CSV ({error})") from error


# ------------------------------------------------------------------------- outcomes

_COMPARISON = re.compile(r"^\s*(<=|>=|<|>|==|=)\s*(.+)$")


def outcome_is_positive(series: pl.Series, positive: str) -> pl.Series:
    """True where the outcome is the positive one: a value (``Withdrawn``, several with
    ``|``), or a comparison for a number (``<10``, ``>=3``)."""
    match = _COMPARISON.match(positive)
    if match and match.group(1) != "=" and match.group(1) != "==":
        operator, operand = match.groups()
        try:
            threshold = float(operand)
        except ValueError as error:
            raise BacktestInputError(
                f"--positive {positive!r}: a comparison needs a number"
            ) from error
        try:
            numbers = series.cast(pl.Float64, strict=True)
        except pl.exceptions.PolarsError as error:
            raise BacktestInputError(
                f"--positive {positive!r}: column '{series.name}' is not numeric"
            ) from error
        compare = {
            "<": numbers < threshold,
            "<=": numbers <= threshold,
            ">": numbers > threshold,
            ">=": numbers >= threshold,
        }[operator]
        return compare.fill_null(False)
    if match:
        positive = match.group(2)
    values = {value.strip() for value in positive.split("|")}
    text = series.cast(pl.String).str.strip_chars()
    return text.is_in(list(values)).fill_null(False)


# ------------------------------------------------------------------------- a table

#: The column names a per-pupil table may use for what the rule sets read (compared
#: without case). Marks: one column per period, in the table's order.
TABLE_ABSENCES = ("absences", "absent_half_days", "half_days_absent", "nbabs")
TABLE_UNJUSTIFIED = ("unjustified_absences", "unjustified_half_days", "nbnj")
TABLE_LATENESS = ("lateness", "late", "nbret", "retards")
TABLE_INCIDENTS = ("incidents", "sanctions")
TABLE_MARK = re.compile(r"^(g\d+|t\d|s\d|mark_.+|average_.+|moyenne_.+|note_.+)$", re.IGNORECASE)

#: The calendar a table without dates is placed in (the shape of a French school year).
TABLE_YEAR_START = dt.date(2000, 9, 1)
TABLE_YEAR_END = dt.date(2001, 6, 30)


@dataclass(frozen=True)
class TableMapping:
    absences: str | None
    unjustified: str | None
    lateness: str | None
    incidents: str | None
    marks: tuple[str, ...]

    def describe(self) -> dict[str, Any]:
        return {
            "absences": self.absences,
            "unjustified_absences": self.unjustified,
            "lateness": self.lateness,
            "incidents": self.incidents,
            "marks": list(self.marks),
        }


def table_mapping(columns: list[str]) -> TableMapping:
    lower = {column.lower(): column for column in columns}

    def first(names: tuple[str, ...]) -> str | None:
        return next((lower[name] for name in names if name in lower), None)

    return TableMapping(
        absences=first(TABLE_ABSENCES),
        unjustified=first(TABLE_UNJUSTIFIED),
        lateness=first(TABLE_LATENESS),
        incidents=first(TABLE_INCIDENTS),
        marks=tuple(column for column in columns if TABLE_MARK.match(column)),
    )


def table_engine_input(frame: pl.DataFrame, mapping: TableMapping) -> EngineInput:
    """The engine's frames for a per-pupil table: the counts as one period (the year),
    each mark column as the average of one period (P1, P2… three months each)."""
    ids = pl.int_range(0, frame.height, dtype=pl.Int64, eager=True).alias("pupil_id")
    pupils = pl.DataFrame([ids]).with_columns(
        pl.lit("").alias("level"), pl.lit("").alias("division")
    )
    periods = [("year", TABLE_YEAR_START, TABLE_YEAR_END)]
    marks = None
    if mapping.marks:
        parts = []
        for index, column in enumerate(mapping.marks):
            period = f"P{index + 1}"
            start = dt.date(2000 + (8 + 3 * index) // 12, (8 + 3 * index) % 12 + 1, 1)
            end_month = (8 + 3 * index + 3) % 12 + 1
            end = dt.date(2000 + (8 + 3 * index + 3) // 12, end_month, 1) - dt.timedelta(days=1)
            periods.append((period, start, end))
            parts.append(
                pl.DataFrame(
                    [
                        ids,
                        pl.Series("period", [period] * frame.height, dtype=pl.String),
                        frame.get_column(column).cast(pl.Float64, strict=False).alias("mark"),
                    ]
                )
            )
        marks = pl.concat(parts).filter(pl.col("mark").is_not_null())
    counts = None
    if mapping.absences or mapping.unjustified or mapping.lateness:

        def count(column: str | None) -> pl.Series:
            if column is None:
                return pl.repeat(None, frame.height, dtype=pl.Int64, eager=True)
            return frame.get_column(column).cast(pl.Float64, strict=False).round(0).cast(pl.Int64)

        absent = count(mapping.absences)
        unjustified = count(mapping.unjustified)
        if mapping.absences is None:
            absent = unjustified
        counts = pl.DataFrame(
            [
                ids,
                pl.Series("period", ["year"] * frame.height, dtype=pl.String),
                absent.fill_null(0).alias("half_days_absent"),
                unjustified.alias("unjustified_half_days"),
                count(mapping.lateness).alias("lateness_count"),
            ]
        )
    return EngineInput(
        pupils=pupils,
        marks=marks,
        period_counts=counts,
        periods=pl.DataFrame(
            periods,
            schema={"period": pl.String, "start_date": pl.Date, "end_date": pl.Date},
            orient="row",
        ),
    )


# ------------------------------------------------------------------------- event files

EVENT_FILES = (
    "pupils",
    "absences",
    "lateness",
    "sanctions",
    "marks",
    "period_counts",
    "signs",
    "periods",
    "school_days",
)
TRUE_WORDS = {"1", "true", "vrai", "oui", "yes", "o", "y"}
FALSE_WORDS = {"0", "false", "faux", "non", "no", "n"}


def _parse_dates(series: pl.Series, where: str) -> pl.Series:
    if series.dtype == pl.Date:
        return series
    text = series.cast(pl.String).str.strip_chars()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        parsed = text.str.to_date(pattern, strict=False)
        if parsed.null_count() == text.null_count():
            return parsed
    bad = text.filter(text.is_not_null() & text.str.to_date("%Y-%m-%d", strict=False).is_null())
    raise BacktestInputError(
        f"{where}: dates must be YYYY-MM-DD or DD/MM/YYYY (found {bad.head(1).to_list()[0]!r})"
    )


def _parse_booleans(series: pl.Series, where: str) -> pl.Series:
    if series.dtype == pl.Boolean:
        return series
    text = series.cast(pl.String).str.strip_chars().str.to_lowercase()
    unknown = text.filter(text.is_not_null() & ~text.is_in(list(TRUE_WORDS | FALSE_WORDS)))
    if unknown.len():
        raise BacktestInputError(
            f"{where}: expected yes/no (found {unknown.head(1).to_list()[0]!r})"
        )
    return (
        pl.DataFrame([text.alias("v")])
        .select(
            pl.when(pl.col("v").is_in(list(TRUE_WORDS)))
            .then(True)
            .when(pl.col("v").is_in(list(FALSE_WORDS)))
            .then(False)
            .otherwise(None)
            .alias(series.name)
        )
        .to_series()
    )


def read_event_frame(path: Path, name: str) -> pl.DataFrame:
    frame = read_csv(
        path, string_columns=("pupil_id", "period", "level", "division", "subject", "sign")
    )
    converted = []
    schema = {column.name: column.dtype for column in SCHEMAS[name]}
    for column in frame.columns:
        series = frame.get_column(column)
        dtype = schema.get(column)
        where = f"{path}: column '{column}'"
        if dtype == pl.Date:
            series = _parse_dates(series, where)
        elif dtype == pl.Boolean:
            series = _parse_booleans(series, where)
        converted.append(series)
    return pl.DataFrame(converted)


def read_events_dir(directory: Path) -> EngineInput:
    """The engine's frames from ``pupils.csv``, ``absences.csv``… (see docs/detection/engine.md)."""
    if not directory.is_dir():
        raise BacktestInputError(f"{directory}: no such directory")
    found: dict[str, pl.DataFrame] = {}
    for name in EVENT_FILES:
        path = directory / f"{name}.csv"
        if path.is_file():
            found[name] = read_event_frame(path, name)
    if "pupils" not in found:
        raise BacktestInputError(f"{directory}: pupils.csv is required")
    return EngineInput(**found)


def read_outcomes(path: Path, target: str) -> pl.DataFrame:
    frame = read_csv(path, string_columns=("pupil_id",))
    for column in ("pupil_id", target, "date"):
        if column not in frame.columns:
            raise BacktestInputError(f"{path}: missing column '{column}'")
    return frame.with_columns(_parse_dates(frame.get_column("date"), f"{path}: column 'date'"))
