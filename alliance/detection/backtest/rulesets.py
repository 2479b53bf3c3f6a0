"""The transparent comparators: the school's rules, a Pronote-like rule set, the ABC flags.

- The school's rules: the engine with the school's rule set (or the documented defaults);
  flagged = at least one current alert at the *alerte* level; ranked by the engine's score.
- Pronote-like: about ten indicators counted per month, two thresholds each, every level
  counting for one point (vigilance 1, alerte 2). Modelled on what the issue and the
  product brief say of Pronote's detection screen; it is *not* Pronote's own configuration,
  which we do not have. Nurse visits, which Pronote can count, are left out: never an input.
- ABC flags (Attendance, Behaviour, Course performance, the American early-warning
  classic): attendance under 90 %, any behaviour incident, a failing mark (a subject
  average under 10). The score is the number of flags (0 to 3); flagged = at least one.
"""

from __future__ import annotations

import polars as pl

from alliance.detection.engine import RuleSet
from alliance.detection.engine.core import EngineResult

PRONOTE_LIKE_DOCUMENT = {
    "name": "pronote-like",
    "score": {"method": "levels", "window_months": 1},
    "indicators": {
        "unjustified_half_days": {"enabled": True, "vigilance": 2, "alerte": 4, "weight": 1},
        "absent_half_days": {"enabled": True, "vigilance": 4, "alerte": 8, "weight": 1},
        "absence_rate": {"enabled": False},
        "lateness": {"enabled": True, "vigilance": 3, "alerte": 6, "weight": 1},
        "incidents": {"enabled": True, "vigilance": 1, "alerte": 2, "weight": 1},
        "punishments": {"enabled": True, "vigilance": 1, "alerte": 3, "weight": 1},
        "sanctions": {"enabled": True, "vigilance": 1, "alerte": 2, "weight": 1},
        "exclusions": {"enabled": True, "vigilance": 1, "alerte": 2, "weight": 1},
        "observed_signs": {"enabled": False},
        "average": {"enabled": True, "vigilance": 10, "alerte": 8, "weight": 1},
        "average_drop": {"enabled": True, "vigilance": 1, "alerte": 2, "weight": 1},
        "gap_to_level": {"enabled": False},
        "share_under_10": {"enabled": False},
        "subjects_under_10": {"enabled": True, "vigilance": 2, "alerte": 4, "weight": 1},
    },
}

ABC_ATTENDANCE_RATE = 0.10


def pronote_like_rules() -> RuleSet:
    return RuleSet.from_document(PRONOTE_LIKE_DOCUMENT, source="pronote-like")


def rule_flags(result: EngineResult) -> pl.DataFrame:
    """pupil_id, score, flagged (a current alert at the alerte level)."""
    return result.ranking.select(
        "pupil_id",
        pl.col("score").cast(pl.Float64),
        (pl.col("top_level") == "alerte").fill_null(False).alias("flagged"),
    )


def first_alerte_dates(result: EngineResult) -> pl.DataFrame:
    """For each pupil, the first date by which an alerte-level alert was known."""
    return (
        result.alerts.filter(pl.col("level") == "alerte")
        .group_by("pupil_id")
        .agg(pl.col("known_on").min().alias("flagged_on"))
    )


def abc_flags(result: EngineResult) -> pl.DataFrame:
    """pupil_id, attendance, behaviour, course (booleans), score (0-3), flagged."""
    pupils = result.ranking.select("pupil_id")
    monthly = result.monthly
    if monthly.height:
        totals = monthly.group_by("pupil_id").agg(
            (
                pl.col("absent_half_days").sum()
                / pl.col("school_half_days").sum().clip(lower_bound=1)
            ).alias("_rate"),
            pl.col("incidents").sum().alias("_incidents"),
        )
    else:
        totals = pl.DataFrame(
            schema={
                "pupil_id": pupils.schema["pupil_id"],
                "_rate": pl.Float64,
                "_incidents": pl.Int64,
            }
        )
    periods = result.periods
    latest = (
        periods.sort("period_order")
        .group_by("pupil_id")
        .agg(
            pl.col("absence_rate").drop_nulls().last().alias("_period_rate"),
            pl.col("subjects_under_10").drop_nulls().last().alias("_failing"),
        )
        if periods.height
        else pl.DataFrame(
            schema={
                "pupil_id": pupils.schema["pupil_id"],
                "_period_rate": pl.Float64,
                "_failing": pl.Int64,
            }
        )
    )
    frame = (
        pupils.join(totals, on="pupil_id", how="left")
        .join(latest, on="pupil_id", how="left")
        .with_columns(
            (pl.coalesce("_rate", "_period_rate") >= ABC_ATTENDANCE_RATE)
            .fill_null(False)
            .alias("attendance"),
            (pl.col("_incidents") >= 1).fill_null(False).alias("behaviour"),
            (pl.col("_failing") >= 1).fill_null(False).alias("course"),
        )
    )
    return frame.select(
        "pupil_id",
        "attendance",
        "behaviour",
        "course",
        pl.sum_horizontal(
            pl.col("attendance").cast(pl.Float64),
            pl.col("behaviour").cast(pl.Float64),
            pl.col("course").cast(pl.Float64),
        ).alias("score"),
        (pl.col("attendance") | pl.col("behaviour") | pl.col("course")).alias("flagged"),
    )
