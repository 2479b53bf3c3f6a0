"""The indicators the engine computes: code, granularity, direction, unit and labels.

Every indicator is written so that the rule compares it with two thresholds, vigilance then
alerte. ``direction="above"`` means "at or above the threshold is a concern" (counts, rates,
drops, gaps, shares); ``direction="below"`` means "at or below" (the general average).
The labels are the engine's own (it imports nothing from Django, so no gettext): French by
default, English on request; the web layer may translate from the codes instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Granularity = Literal["month", "period"]
Direction = Literal["above", "below"]


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    granularity: Granularity
    direction: Direction
    #: "half-days", "rate", "count", "points", "share"
    unit: str
    label_fr: str
    label_en: str
    #: For a per-period count (``period_counts``), the monthly thresholds are multiplied
    #: by the number of months in the period.
    scales_with_months: bool = False
    #: The value that contributes nothing to the score (the "best" end for ``below``).
    neutral: float = 0.0

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_fr


INDICATORS: dict[str, IndicatorSpec] = {
    spec.code: spec
    for spec in (
        IndicatorSpec(
            "unjustified_half_days",
            "month",
            "above",
            "half-days",
            "Demi-journées d'absence non justifiées",
            "Unjustified absent half-days",
            scales_with_months=True,
        ),
        IndicatorSpec(
            "absent_half_days",
            "month",
            "above",
            "half-days",
            "Demi-journées d'absence",
            "Absent half-days",
            scales_with_months=True,
        ),
        IndicatorSpec(
            "absence_rate",
            "month",
            "above",
            "rate",
            "Taux d'absence",
            "Absence rate",
        ),
        IndicatorSpec(
            "lateness",
            "month",
            "above",
            "count",
            "Retards",
            "Lateness",
            scales_with_months=True,
        ),
        IndicatorSpec(
            "incidents",
            "month",
            "above",
            "count",
            "Incidents et sanctions (tous)",
            "Incidents and sanctions (all)",
        ),
        IndicatorSpec(
            "punishments",
            "month",
            "above",
            "count",
            "Punitions scolaires",
            "Punishments",
        ),
        IndicatorSpec(
            "sanctions",
            "month",
            "above",
            "count",
            "Sanctions disciplinaires",
            "Disciplinary sanctions",
        ),
        IndicatorSpec(
            "exclusions",
            "month",
            "above",
            "count",
            "Exclusions",
            "Exclusions",
        ),
        IndicatorSpec(
            "observed_signs",
            "month",
            "above",
            "count",
            "Signes observés (grille d'observation)",
            "Observed signs (observation grid)",
        ),
        IndicatorSpec(
            "average",
            "period",
            "below",
            "points",
            "Moyenne générale",
            "General average",
            neutral=20.0,
        ),
        IndicatorSpec(
            "average_drop",
            "period",
            "above",
            "points",
            "Baisse de la moyenne depuis la période précédente",
            "Drop of the average since the previous period",
        ),
        IndicatorSpec(
            "gap_to_level",
            "period",
            "above",
            "points",
            "Écart à la moyenne du niveau",
            "Gap below the level's average",
        ),
        IndicatorSpec(
            "share_under_10",
            "period",
            "above",
            "share",
            "Part des notes sous 10",
            "Share of marks under 10",
        ),
        IndicatorSpec(
            "subjects_under_10",
            "period",
            "above",
            "count",
            "Matières sous 10 de moyenne",
            "Subjects averaging under 10",
        ),
    )
}

MONTHLY_INDICATORS: tuple[str, ...] = tuple(
    code for code, spec in INDICATORS.items() if spec.granularity == "month"
)
PERIOD_INDICATORS: tuple[str, ...] = tuple(
    code for code, spec in INDICATORS.items() if spec.granularity == "period"
)
#: The indicators a per-period count (``period_counts``) feeds, at period granularity.
COUNT_INDICATORS: tuple[str, ...] = (
    "unjustified_half_days",
    "absent_half_days",
    "absence_rate",
    "lateness",
)

#: Code de l'éducation, article L131-8: four unjustified half-days in a month oblige the
#: head to report to the DASEN. Fixed by law: no rules file can raise it.
LEGAL_INDICATOR = "unjustified_half_days"
LEGAL_THRESHOLD = 4
LEGAL_REFERENCE = "L131-8"

LEVELS: tuple[str, str] = ("vigilance", "alerte")

UNITS_FR = {
    "half-days": "demi-journées",
    "rate": "",
    "count": "",
    "points": "points",
    "share": "",
}
UNITS_EN = {"half-days": "half-days", "rate": "", "count": "", "points": "points", "share": ""}


def format_value(code: str, value: float, language: str = "fr") -> str:
    """A value as a person reads it: rates and shares in per cent, counts as integers."""
    unit = INDICATORS[code].unit
    if unit in ("rate", "share"):
        text = f"{value * 100:.0f} %"
    elif float(value).is_integer():
        text = f"{int(value)}"
    else:
        text = f"{value:.1f}"
    if language == "fr":
        text = text.replace(".", ",")
    suffix = (UNITS_EN if language == "en" else UNITS_FR)[unit]
    return f"{text} {suffix}".strip()
