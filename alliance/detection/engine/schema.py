"""The engine's input frames: their columns, their types, and what is refused.

Each frame maps directly from a model of ``alliance.detection.models`` (or a file in the
same columns, for a backtest): see ``docs/detection/engine.md``. Columns the engine does not
know are ignored, except the protected ones: a frame that carries a column named after a
protected characteristic (sex, nationality, scholarship, health, nurse visits, religion,
origin…) is refused with ``ProtectedColumnError``, whatever the column holds. The engine
never reads them, and refusing the frame keeps them from being passed "just in case".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from typing import Any

import polars as pl


class InputFrameError(ValueError):
    """An input frame that the engine cannot read: names the frame and the column."""

    def __init__(self, frame: str, column: str | None, message: str) -> None:
        self.frame = frame
        self.column = column
        where = f"{frame}.{column}" if column else frame
        super().__init__(f"{where}: {message}")


class ProtectedColumnError(InputFrameError):
    """An input frame carries a protected characteristic: never an input of the engine."""


#: Names (and name parts) of protected characteristics and data the engine must never
#: read: French and English, compared without accents or case, on the whole column name
#: and on each of its parts (``nurse_visits`` → ``nurse``, ``visits``).
PROTECTED_TERMS: frozenset[str] = frozenset(
    {
        # sex, gender, sexual orientation
        "sex",
        "sexe",
        "gender",
        "genre",
        "civilite",
        "civility",
        "orientation_sexuelle",
        "sexual_orientation",
        # nationality, origin, ethnicity, religion, language at home
        "nationality",
        "nationalite",
        "citizenship",
        "origin",
        "origine",
        "ethnicity",
        "ethnie",
        "ethnic",
        "race",
        "religion",
        "religious",
        "confession",
        "birthplace",
        "lieu_naissance",
        "pays_naissance",
        "country_of_birth",
        "mother_tongue",
        "langue_maternelle",
        # scholarship, family income, social category
        "bourse",
        "boursier",
        "bursary",
        "scholarship",
        "income",
        "revenu",
        "revenus",
        "pcs",
        "csp",
        "imd",
        "deprivation",
        # health, disability, nurse and medical visits
        "health",
        "sante",
        "infirmerie",
        "infirmier",
        "infirmiere",
        "nurse",
        "medical",
        "medecin",
        "doctor",
        "disability",
        "handicap",
        "pap",
        "pps",
        "mdph",
        "pregnancy",
        "grossesse",
        # age and date of birth
        "age",
        "age_band",
        "birth_date",
        "date_of_birth",
        "date_naissance",
        "dob",
        # place of residence, family situation
        "address",
        "adresse",
        "postcode",
        "code_postal",
        "region",
        "qpv",
        "family_situation",
        "situation_familiale",
        # political and union opinions
        "political",
        "politique",
        "union_membership",
        "syndicat",
    }
)


def _normalised(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def protected_term(column: str) -> str | None:
    """The protected term a column name carries, or None."""
    name = _normalised(column)
    if name in PROTECTED_TERMS:
        return name
    parts = name.split("_")
    for size in (2, 1):
        for start in range(len(parts) - size + 1):
            candidate = "_".join(parts[start : start + size])
            if candidate in PROTECTED_TERMS:
                return candidate
    return None


def protected_columns(columns: list[str]) -> list[str]:
    return [column for column in columns if protected_term(column) is not None]


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    required: bool = True
    #: The value a missing optional column takes (``None``: null).
    default: Any = None
    nullable: bool = False


def _col(
    name: str, dtype: Any, required: bool = True, default: Any = None, nullable: bool = False
) -> Column:
    return Column(name, dtype, required, default, nullable)


#: The frames and their columns. ``pupil_id`` may be any type, the same in every frame.
SCHEMAS: dict[str, tuple[Column, ...]] = {
    "pupils": (
        _col("pupil_id", None),
        _col("level", pl.String, required=False, default="", nullable=True),
        _col("division", pl.String, required=False, default="", nullable=True),
    ),
    "absences": (
        _col("pupil_id", None),
        _col("start_date", pl.Date),
        _col("end_date", pl.Date, required=False, nullable=True),
        _col("half_days", pl.Int64, required=False, nullable=True),
        _col("half_day", pl.String, required=False, nullable=True),
        _col("justified", pl.Boolean, required=False, nullable=True),
    ),
    "lateness": (
        _col("pupil_id", None),
        _col("date", pl.Date),
        _col("minutes", pl.Int64, required=False, nullable=True),
        _col("justified", pl.Boolean, required=False, nullable=True),
    ),
    "sanctions": (
        _col("pupil_id", None),
        _col("date", pl.Date),
        _col("severity", pl.Int64),
        _col("exclusion", pl.Boolean, required=False, default=False, nullable=True),
    ),
    "marks": (
        _col("pupil_id", None),
        _col("period", pl.String),
        _col("mark", pl.Float64, nullable=True),
        _col("out_of", pl.Float64, required=False, default=20.0),
        _col("coefficient", pl.Float64, required=False, default=1.0),
        _col("subject", pl.String, required=False, default="", nullable=True),
        _col("date", pl.Date, required=False, nullable=True),
    ),
    "period_counts": (
        _col("pupil_id", None),
        _col("period", pl.String),
        _col("half_days_absent", pl.Int64),
        _col("unjustified_half_days", pl.Int64, required=False, nullable=True),
        _col("lateness_count", pl.Int64, required=False, nullable=True),
    ),
    "signs": (
        _col("pupil_id", None),
        _col("date", pl.Date),
        _col("sign", pl.String),
    ),
    "periods": (
        _col("period", pl.String),
        _col("start_date", pl.Date),
        _col("end_date", pl.Date),
    ),
    "school_days": (
        _col("month", pl.Date),
        _col("half_days", pl.Int64),
    ),
}


@dataclass(frozen=True)
class EngineInput:
    """The frames the engine reads. Only ``pupils`` is required.

    ``pupils`` defines who exists: events of a pupil not in it are dropped (and counted in
    ``EngineResult.dropped_events``), and the outputs have rows for these pupils only.
    """

    pupils: pl.DataFrame
    absences: pl.DataFrame | None = None
    lateness: pl.DataFrame | None = None
    sanctions: pl.DataFrame | None = None
    marks: pl.DataFrame | None = None
    period_counts: pl.DataFrame | None = None
    signs: pl.DataFrame | None = None
    periods: pl.DataFrame | None = None
    school_days: pl.DataFrame | None = None

    def frames(self) -> dict[str, pl.DataFrame]:
        found = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is not None:
                found[item.name] = value
        return found


def refuse_protected(name: str, frame: pl.DataFrame) -> None:
    found = protected_columns(frame.columns)
    if found:
        column = found[0]
        raise ProtectedColumnError(
            name,
            column,
            f"'{column}' is a protected characteristic ({protected_term(column)}): never an "
            "input of the detection engine; remove the column",
        )


def conform(name: str, frame: pl.DataFrame, pupil_dtype: pl.DataType | None) -> pl.DataFrame:
    """Check one frame and return it with exactly the schema's columns, in their types."""
    if not isinstance(frame, pl.DataFrame):
        raise InputFrameError(name, None, "must be a polars DataFrame")
    refuse_protected(name, frame)
    columns: list[pl.Series] = []
    for column in SCHEMAS[name]:
        dtype = pupil_dtype if column.name == "pupil_id" else column.dtype
        if column.name not in frame.columns:
            if column.required:
                raise InputFrameError(name, column.name, "missing column")
            columns.append(
                pl.repeat(column.default, frame.height, dtype=dtype, eager=True).alias(column.name)
            )
            continue
        series = frame.get_column(column.name)
        if dtype is not None and series.dtype != dtype:
            try:
                series = series.cast(dtype, strict=True)
            except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as error:
                raise InputFrameError(
                    name,
                    column.name,
                    f"cannot be read as {dtype} (found {frame.schema[column.name]})",
                ) from error
        if not column.nullable and series.null_count():
            raise InputFrameError(name, column.name, f"{series.null_count()} empty value(s)")
        if column.default is not None and series.null_count():
            series = series.fill_null(column.default)
        columns.append(series.alias(column.name))
    return pl.DataFrame(columns)
