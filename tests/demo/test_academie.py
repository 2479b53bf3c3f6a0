"""The académie-scale bench files: deterministic, in the engine's columns, realistic shapes."""

import polars as pl
from polars.testing import assert_frame_equal

from alliance.demo import academie
from alliance.demo.detection import SLIDING_SHARE
from alliance.detection.engine import EngineInput, evaluate, protected_columns


def test_the_same_seed_gives_the_same_files_and_another_seed_others():
    first = academie.generate(300, seed=1)
    again = academie.generate(300, seed=1)
    other = academie.generate(300, seed=2)
    for name in academie.FILES:
        assert_frame_equal(first[name], again[name])
    assert not first["absences"].equals(other["absences"])


def test_the_volumes_and_shapes_follow_the_brief():
    frames = academie.generate(20_000, seed=0)
    per_pupil = {name: frames[name].height / 20_000 for name in academie.FILES}
    # 500,000 pupils: about 10 M absence rows, 15 M marks, 1 M incidents.
    assert 18 < per_pupil["absences"] < 23
    assert 28 < per_pupil["marks"] < 32
    assert 1.5 < per_pupil["sanctions"] < 2.5
    counts = (
        frames["pupils"]
        .join(frames["absences"].group_by("pupil_id").len(), on="pupil_id", how="left")
        .get_column("len")
        .fill_null(0)
    )
    # Most pupils miss few half-days; a tail of chronic absentees misses many.
    assert counts.median() < 15
    assert (counts >= 60).mean() > 0.04
    assert (counts <= 20).mean() > 0.6
    assert academie.SLIDING_SHARE == SLIDING_SHARE


def test_the_files_are_engine_input_without_protected_columns(tmp_path):
    manifest = academie.ensure_academie(tmp_path, pupils=200, seed=3)
    assert manifest["rows"]["pupils"] == 200
    written = (tmp_path / "absences.parquet").stat().st_mtime_ns
    assert academie.ensure_academie(tmp_path, pupils=200, seed=3) == manifest
    assert (tmp_path / "absences.parquet").stat().st_mtime_ns == written  # reused
    frames = {name: pl.read_parquet(tmp_path / f"{name}.parquet") for name in academie.FILES}
    for frame in frames.values():
        assert protected_columns(frame.columns) == []
    result = evaluate(EngineInput(**frames), as_of=academie.AS_OF)
    assert result.ranking.height == 200
    assert result.alerts.height > 0


def test_other_parameters_regenerate(tmp_path):
    academie.ensure_academie(tmp_path, pupils=100, seed=0)
    manifest = academie.ensure_academie(tmp_path, pupils=120, seed=0)
    assert manifest["rows"]["pupils"] == 120
    assert pl.read_parquet(tmp_path / "pupils.parquet").height == 120
