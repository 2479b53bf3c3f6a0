"""Académie-scale event files for the benchmarks: the demo's distributions, vectorised.

``write_academie(directory, pupils=500_000, seed=0)`` writes one school year (September to
the end of June) of the detection engine's input frames as Parquet files — ``pupils``,
``absences``, ``lateness``, ``sanctions``, ``signs``, ``marks`` and ``periods`` — in the
engine's columns (``docs/detection/engine.md``), with a ``manifest.json`` that records the
parameters and the row counts. The same parameters give the same files (``numpy``'s seeded
generator); ``ensure_academie`` reuses the files when the manifest matches, so a bench pays
the generation (about 15 s for 500,000 pupils) once. The files are bench data: they
are written under a temporary directory, never in the repository.

The distributions follow the demo seeding (``alliance.demo.detection``), scaled to an
académie of collèges and lycées, per pupil and per year:

- **absences** (one row per missed half-day, as the vie-scolaire exports list them): most
  pupils miss a few half-days, mostly justified — a gamma-Poisson mixture with a median
  near 10 — and about one pupil in twelve is a *chronic absentee* (around 90 half-days,
  mostly unjustified, rising through the year). About 20 rows per pupil on average;
- **lateness**: about 6 a pupil, skewed (most pupils one or two, a few every week);
- **incidents** (``sanctions``): about 2 a pupil on average, most pupils none, a tail of
  pupils with many; severity 1 (incident) to 4 (sanction), a few exclusions;
- **marks**: about 30 a pupil over three trimesters and eight subjects, around a pupil's
  level; one pupil in fifteen slides (the demo's ``SLIDING_SHARE``), marks falling by
  trimester;
- **signs** observed in the grid: a few sliding pupils, in the last months.

No protected characteristic is generated: the files carry only what the engine reads.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

#: Bump when the distributions change: files of another version are regenerated.
VERSION = 1
YEAR_START = dt.date(2024, 9, 2)
YEAR_END = dt.date(2025, 6, 30)
AS_OF = YEAR_END
PERIODS = (
    ("T1", dt.date(2024, 9, 2), dt.date(2024, 11, 30)),
    ("T2", dt.date(2024, 12, 1), dt.date(2025, 2, 28)),
    ("T3", dt.date(2025, 3, 1), dt.date(2025, 6, 30)),
)
LEVELS = ("6e", "5e", "4e", "3e", "2de", "1re", "Tle")
SUBJECTS = ("fr", "ma", "hg", "an", "sv", "ph", "eps", "ar")
SIGNS = ("no_materials", "isolation", "fatigue", "disengagement", "conflicts")
CHRONIC_SHARE = 1 / 12
#: The demo seeding's share of sliding pupils (``alliance.demo.detection.SLIDING_SHARE``;
#: not imported, so that this module runs without Django).
SLIDING_SHARE = 1 / 15
FILES = ("pupils", "absences", "lateness", "sanctions", "signs", "marks", "periods")


def school_days() -> np.ndarray:
    """Weekdays of the year without the school holidays (zone-independent approximation)."""
    holidays = [
        (dt.date(2024, 10, 19), dt.date(2024, 11, 3)),
        (dt.date(2024, 12, 21), dt.date(2025, 1, 5)),
        (dt.date(2025, 2, 15), dt.date(2025, 3, 2)),
        (dt.date(2025, 4, 12), dt.date(2025, 4, 27)),
    ]
    days = np.arange(np.datetime64(YEAR_START), np.datetime64(YEAR_END) + 1, dtype="datetime64[D]")
    weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday
    keep = weekday < 5
    for first, last in holidays:
        keep &= (days < np.datetime64(first)) | (days > np.datetime64(last))
    return days[keep]


def _draw_days(rng: np.random.Generator, days: np.ndarray, count: int, rising: bool) -> np.ndarray:
    """``count`` school days; ``rising``: later days more likely (a slide through the year)."""
    if not rising:
        return days[rng.integers(0, len(days), count)]
    # The maximum of two uniform draws: density rising linearly through the year.
    index = np.maximum(rng.integers(0, len(days), count), rng.integers(0, len(days), count))
    return days[index]


def generate(pupils: int, seed: int = 0) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng([VERSION, seed, pupils])
    days = school_days()
    ids = np.arange(1, pupils + 1, dtype=np.int64)
    level_index = rng.integers(0, len(LEVELS), pupils)
    levels = np.array(LEVELS)[level_index]
    divisions = np.char.add(np.char.add(levels, " "), rng.integers(1, 9, pupils).astype(str))
    chronic = rng.random(pupils) < CHRONIC_SHARE
    sliding = chronic | (rng.random(pupils) < SLIDING_SHARE)
    frames: dict[str, pl.DataFrame] = {
        "pupils": pl.DataFrame({"pupil_id": ids, "level": levels, "division": divisions})
    }

    # Absences: one row per half-day; background pupils a few, chronic absentees many.
    rate = np.where(chronic, rng.gamma(4.0, 22.0, pupils), rng.gamma(1.0, 14.0, pupils))
    counts = rng.poisson(rate)
    pupil = np.repeat(ids, counts)
    is_chronic = np.repeat(chronic, counts)
    when = np.where(
        is_chronic,
        _draw_days(rng, days, len(pupil), rising=True),
        _draw_days(rng, days, len(pupil), rising=False),
    )
    justified = rng.random(len(pupil)) < np.where(is_chronic, 0.35, 0.8)
    frames["absences"] = pl.DataFrame(
        {
            "pupil_id": pupil,
            "start_date": when,
            "half_days": np.ones(len(pupil), dtype=np.int64),
            "half_day": np.where(rng.random(len(pupil)) < 0.5, "M", "A"),
            "justified": justified,
        }
    )

    # Lateness: skewed, more for sliding pupils.
    rate = rng.gamma(0.7, 7.0, pupils) * np.where(sliding, 2.5, 1.0)
    pupil = np.repeat(ids, rng.poisson(rate))
    frames["lateness"] = pl.DataFrame(
        {
            "pupil_id": pupil,
            "date": _draw_days(rng, days, len(pupil), rising=False),
            "minutes": rng.choice(np.array([5, 10, 15, 20]), len(pupil)),
        }
    )

    # Incidents: most pupils none, a tail with many.
    rate = rng.gamma(0.3, 5.5, pupils) * np.where(sliding, 2.0, 1.0)
    pupil = np.repeat(ids, rng.poisson(rate))
    severity = rng.choice(np.array([1, 2, 3, 4]), len(pupil), p=[0.55, 0.3, 0.12, 0.03])
    frames["sanctions"] = pl.DataFrame(
        {
            "pupil_id": pupil,
            "date": _draw_days(rng, days, len(pupil), rising=False),
            "severity": severity,
            "exclusion": (severity >= 3) & (rng.random(len(pupil)) < 0.25),
        }
    )

    # Signs observed in the grid: half the sliding pupils, in the last two months.
    observed = sliding & (rng.random(pupils) < 0.5)
    pupil = np.repeat(ids[observed], rng.integers(1, 4, int(observed.sum())))
    late_days = days[days >= np.datetime64("2025-05-01")]
    frames["signs"] = pl.DataFrame(
        {
            "pupil_id": pupil,
            "date": late_days[rng.integers(0, len(late_days), len(pupil))],
            "sign": np.array(SIGNS)[rng.integers(0, len(SIGNS), len(pupil))],
        }
    )

    # Marks: about ten a trimester, around the pupil's level; sliding pupils fall.
    per_pupil = rng.poisson(30, pupils)
    pupil_index = np.repeat(np.arange(pupils), per_pupil)
    day = _draw_days(rng, days, len(pupil_index), rising=False)
    trimester = np.searchsorted(
        np.array([np.datetime64(start) for _, start, _ in PERIODS[1:]]), day, side="right"
    )
    level = rng.normal(12.5, 2.2, pupils)
    drop = np.where(sliding, rng.uniform(0.5, 2.5, pupils), rng.uniform(-0.6, 0.6, pupils))
    mean = level[pupil_index] - drop[pupil_index] * trimester
    mark = np.clip(np.round(rng.normal(mean, 3.0) * 2) / 2, 0, 20)
    frames["marks"] = pl.DataFrame(
        {
            "pupil_id": ids[pupil_index],
            "period": np.array([name for name, _, _ in PERIODS])[trimester],
            "subject": np.array(SUBJECTS)[rng.integers(0, len(SUBJECTS), len(pupil_index))],
            "mark": mark,
            "out_of": np.full(len(pupil_index), 20.0),
            "coefficient": np.where(rng.random(len(pupil_index)) < 0.2, 2.0, 1.0),
            "date": day,
        }
    )
    frames["periods"] = pl.DataFrame(
        {
            "period": [name for name, _, _ in PERIODS],
            "start_date": [start for _, start, _ in PERIODS],
            "end_date": [end for _, _, end in PERIODS],
        }
    )
    return frames


def _manifest(pupils: int, seed: int) -> dict[str, Any]:
    return {"version": VERSION, "pupils": pupils, "seed": seed}


def read_manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / "manifest.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def write_academie(directory: Path, pupils: int = 500_000, seed: int = 0) -> dict[str, Any]:
    """Generate and write the files; returns the manifest (parameters and row counts)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").unlink(missing_ok=True)
    frames = generate(pupils, seed)
    for name, frame in frames.items():
        frame.write_parquet(directory / f"{name}.parquet")
    manifest = {**_manifest(pupils, seed), "rows": {n: f.height for n, f in frames.items()}}
    # Written last: a manifest means every file is complete.
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def ensure_academie(directory: Path, pupils: int = 500_000, seed: int = 0) -> dict[str, Any]:
    """The files for these parameters in ``directory``: reused when there, else written."""
    manifest = read_manifest(directory)
    wanted = _manifest(pupils, seed)
    if (
        manifest is not None
        and all(manifest.get(key) == value for key, value in wanted.items())
        and all((directory / f"{name}.parquet").exists() for name in FILES)
    ):
        return manifest
    return write_academie(directory, pupils, seed)
