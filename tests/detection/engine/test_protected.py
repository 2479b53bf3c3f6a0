"""Never an input: frames carrying a protected characteristic are refused."""

import polars as pl
import pytest

from alliance.detection.engine import (
    EngineInput,
    ProtectedColumnError,
    evaluate,
    protected_term,
)
from tests.detection.engine.helpers import absences, d, dated, pupils

PROTECTED_NAMES = [
    "sex",
    "Sexe",
    "gender",
    "nationality",
    "Nationalité",
    "nationalite_eleve",
    "bourse",
    "boursier",
    "scholarship",
    "health",
    "santé",
    "infirmerie",
    "nurse_visits",
    "passages_infirmerie",
    "religion",
    "ethnicity",
    "origine",
    "disability",
    "handicap",
    "date_naissance",
    "age_band",
    "imd_band",
    "PCS_responsable",
]


@pytest.mark.parametrize("column", PROTECTED_NAMES)
def test_pupils_frame_with_a_protected_column_is_refused(column):
    frame = pupils("a").with_columns(pl.lit("x").alias(column))
    with pytest.raises(ProtectedColumnError) as caught:
        evaluate(EngineInput(pupils=frame))
    assert caught.value.frame == "pupils"
    assert caught.value.column == column
    assert "never an input" in str(caught.value)


@pytest.mark.parametrize(
    ("frame_name", "frame"),
    [
        ("absences", absences([("a", d(2024, 11, 4), 1, False)])),
        ("lateness", dated([("a", d(2024, 11, 4))])),
        ("signs", dated([("a", d(2024, 11, 4), "fatigue")], sign=pl.String)),
    ],
)
def test_event_frames_with_a_protected_column_are_refused(frame_name, frame):
    carrying = frame.with_columns(pl.lit(1).alias("nurse_visit"))
    with pytest.raises(ProtectedColumnError, match=rf"^{frame_name}\.nurse_visit: "):
        evaluate(EngineInput(pupils=pupils("a"), **{frame_name: carrying}))


def test_refused_even_when_empty():
    frame = pupils("a").with_columns(pl.lit(None, dtype=pl.String).alias("nationality"))
    with pytest.raises(ProtectedColumnError):
        evaluate(EngineInput(pupils=frame))


@pytest.mark.parametrize(
    "column",
    ["average", "page", "stage", "message", "absences", "level", "division", "pupil_id", "sign"],
)
def test_ordinary_columns_are_not_mistaken_for_protected_ones(column):
    assert protected_term(column) is None


def test_unknown_ordinary_columns_are_ignored():
    frame = pupils("a").with_columns(pl.lit("note").alias("comment_ignored"))
    result = evaluate(EngineInput(pupils=frame))
    assert result.ranking.get_column("pupil_id").to_list() == ["a"]
