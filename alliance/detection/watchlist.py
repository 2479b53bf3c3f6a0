"""The watchlist (liste de repérage): the school's pupils ranked by the engine, each with why.

``watchlist_for(membership, ...)`` reads the frames of the pupils ``membership`` sees
(``alliance.detection.frames``), runs the engine with the school's rule set, and returns the
pupils with at least one reason, ranked by the composite score, with:

- the reasons (the engine's structured reasons: indicator, value, threshold, level, period,
  since when; their sentences written by ``explain_reasons`` for the rows shown only), the
  legal threshold of L131-8 flagged;
- a small timeline of the indicators per month (and the average per period);
- whether the pupil is *new since the last GPDS meeting*: flagged today, not flagged by the
  same rules on the data dated up to the day of the last meeting held;
- the cut line: the first ``capacity`` pupils of the school's ranking are those the team
  said it can examine;
- the pupil's open case, **only** when the reader may see it (``cases_visible_to``): for
  anyone else, a pupil with a case looks exactly like a pupil without one (no trace,
  docs/decisions/0007).

The number of queries does not depend on the number of pupils (frames are read in one query
each; cases in one). Nothing here writes: the page audits its own read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.utils import timezone

from alliance.cases.selectors import cases_visible_to
from alliance.core import clock
from alliance.detection.engine import (
    INDICATORS,
    LEGAL_THRESHOLD,
    EngineResult,
    RuleSet,
    evaluate,
    explain_reasons,
)
from alliance.detection.frames import PupilInfo, SchoolFrames, engine_input_for, school_year_start
from alliance.detection.school_settings import detection_settings_of, rules_of
from alliance.meetings.models import Meeting, MeetingStatus
from alliance.tenancy.models import Membership

#: The monthly indicators the timeline shows, in this order.
TIMELINE_INDICATORS: tuple[str, ...] = (
    "unjustified_half_days",
    "absent_half_days",
    "lateness",
    "incidents",
    "observed_signs",
)
TIMELINE_MONTHS = 6
#: The most rows one page shows (the ranking is complete; the page stops there).
MAX_ROWS = 300
#: Indicators → the sign of the referral form's grid that says the same thing.
INDICATOR_SIGNS: dict[str, str] = {
    "unjustified_half_days": "absences",
    "absent_half_days": "absences",
    "absence_rate": "absences",
    "lateness": "lateness",
    "average": "falling_grades",
    "average_drop": "falling_grades",
    "gap_to_level": "falling_grades",
    "share_under_10": "falling_grades",
    "subjects_under_10": "falling_grades",
}
SPARK_WIDTH = 120
SPARK_HEIGHT = 28


@dataclass(frozen=True)
class Reason:
    indicator: str
    label: str
    level: str
    legal: bool
    explanation: str


@dataclass(frozen=True)
class TimelineRow:
    indicator: str
    label: str
    values: list[str]


@dataclass(frozen=True)
class Sparkline:
    """Unjustified half-days per month, drawn with the legal line; ``text`` says the same."""

    #: Coordinates as text with a dot, whatever the page's language (SVG is not localised).
    points: str
    legal_y: str
    text: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT


@dataclass
class WatchlistRow:
    rank: int
    pupil: PupilInfo
    score: float
    top_level: str
    legal: bool
    reasons: list[Reason]
    is_new: bool
    above_cut: bool
    case_public_id: uuid.UUID | None = None
    months: list[str] = field(default_factory=list)
    timeline: list[TimelineRow] = field(default_factory=list)
    averages: list[tuple[str, str]] = field(default_factory=list)
    sparkline: Sparkline | None = None


@dataclass
class Watchlist:
    rows: list[WatchlistRow]
    flagged: int
    shown_limit_reached: bool
    capacity: int
    as_of: dt.date
    last_meeting_on: dt.date | None
    weights: list[dict[str, Any]]
    rules: RuleSet
    divisions: list[str]
    levels: list[str]
    indicators: list[tuple[str, str]]
    filters: dict[str, Any]


def engine_language(language: str | None) -> str:
    return "en" if (language or "").startswith("en") else "fr"


def last_meeting_held_on(school_id: int, today: dt.date) -> dt.date | None:
    """The day of the school's last GPDS meeting held (a date only, no one's data)."""
    meeting = (
        Meeting.objects.filter(
            school_id=school_id,
            status=MeetingStatus.HELD,
            starts_at__date__lte=today,
        )
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return timezone.localdate(meeting) if meeting is not None else None


def _run(frames: SchoolFrames, rules: RuleSet, as_of: dt.date, language: str) -> EngineResult:
    return evaluate(frames.input, rules, as_of=as_of, language=language)


def _flagged(ranking: pl.DataFrame) -> pl.DataFrame:
    """The pupils with at least one reason, in the engine's order, ranked 1, 2, 3… among them
    (a pupil with a score but no reason is not on the list: the list always says why)."""
    return (
        ranking.filter(pl.col("top_level").is_not_null())
        .drop("rank")
        .with_row_index("rank", offset=1)
        .with_columns(pl.col("rank").cast(pl.Int64))
    )


def _reasons(result: EngineResult, pupil_ids: list[int], language: str) -> dict[int, list[Reason]]:
    """The reasons of each pupil, in the engine's order (worst first), with their level and
    legal flag; the sentences are written here, for these pupils only (``explain``)."""
    ranking = result.ranking.filter(pl.col("pupil_id").is_in(pupil_ids))
    explained = explain_reasons(ranking, language)
    found: dict[int, list[Reason]] = {}
    for pupil_id, code, level, legal, text in explained.select(
        "pupil_id", "indicator", "level", "legal", "explanation"
    ).iter_rows():
        found.setdefault(pupil_id, []).append(
            Reason(
                indicator=code,
                label=INDICATORS[code].label(language),
                level=level,
                legal=bool(legal),
                explanation=text,
            )
        )
    return found


def _format(code: str, value: float | None) -> str:
    if value is None:
        return "—"
    if INDICATORS[code].unit in ("rate", "share"):
        return f"{value * 100:.0f} %"
    return f"{int(value)}" if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def _sparkline(values: list[int], months: list[str]) -> Sparkline | None:
    if not values:
        return None
    top = max([*values, LEGAL_THRESHOLD + 1])
    step = (SPARK_WIDTH - 4) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return round(SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * value / top, 1)

    points = " ".join(f"{round(2 + i * step, 1)},{y(v)}" for i, v in enumerate(values))
    text = ", ".join(f"{month} : {value}" for month, value in zip(months, values, strict=True))
    return Sparkline(points=points, legal_y=f"{y(LEGAL_THRESHOLD)}", text=text)


def _timelines(
    result: EngineResult, pupil_ids: list[int], language: str
) -> dict[int, dict[str, Any]]:
    monthly = result.monthly.filter(pl.col("pupil_id").is_in(pupil_ids))
    months: list[dt.date] = sorted(set(monthly.get_column("month").to_list()))[-TIMELINE_MONTHS:]
    labels = [month_label(m, language) for m in months]
    found: dict[int, dict[str, Any]] = {
        pid: {"months": labels, "rows": {code: ["0"] * len(months) for code in TIMELINE_INDICATORS}}
        for pid in pupil_ids
    }
    position = {m: i for i, m in enumerate(months)}
    raw: dict[int, list[int]] = {pid: [0] * len(months) for pid in pupil_ids}
    if months:
        for row in monthly.filter(pl.col("month") >= months[0]).iter_rows(named=True):
            index = position[row["month"]]
            entry = found[row["pupil_id"]]["rows"]
            for code in TIMELINE_INDICATORS:
                entry[code][index] = _format(code, row[code])
            raw[row["pupil_id"]][index] = int(row["unjustified_half_days"] or 0)
    periods = result.periods.filter(pl.col("pupil_id").is_in(pupil_ids)).sort("period_order")
    for pid, period, average in periods.select("pupil_id", "period", "average").iter_rows():
        if average is not None:
            found[pid].setdefault("averages", []).append((period, _format("average", average)))
    for pid in pupil_ids:
        found[pid]["sparkline"] = _sparkline(raw[pid], labels)
    return found


MONTHS_SHORT_FR = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
MONTHS_SHORT_EN = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def month_label(month: dt.date, language: str) -> str:
    names = MONTHS_SHORT_EN if language == "en" else MONTHS_SHORT_FR
    return f"{names[month.month - 1]} {month.year}"


def watchlist_for(
    membership: Membership | None,
    *,
    division: str = "",
    level: str = "",
    indicator: str = "",
    new_only: bool = False,
    language: str = "fr",
    today: dt.date | None = None,
) -> Watchlist:
    """The watchlist as ``membership`` may read it (call only after checking the rule)."""
    today = today or clock.today()
    language = engine_language(language)
    school_id = membership.school_id if membership is not None else 0
    settings = detection_settings_of(school_id)
    rules = rules_of(settings)
    frames = engine_input_for(membership, since=school_year_start(today))
    result = _run(frames, rules, today, language)
    ranking = _flagged(result.ranking)
    meeting_on = last_meeting_held_on(school_id, today) if membership is not None else None
    flagged_then: set[int] = set()
    if meeting_on is not None and ranking.height:
        before = _run(frames, rules, meeting_on, language)
        flagged_then = set(_flagged(before.ranking).get_column("pupil_id").to_list())

    all_divisions = sorted({p.division for p in frames.pupils.values() if p.division})
    all_levels = sorted({p.level for p in frames.pupils.values() if p.level})
    filters: dict[str, Any] = {
        "division": division if division in all_divisions else "",
        "level": level if level in all_levels else "",
        "indicator": indicator if indicator in INDICATORS else "",
        "new_only": bool(new_only and meeting_on is not None),
    }
    selected = ranking
    if filters["division"]:
        selected = selected.filter(pl.col("division") == filters["division"])
    if filters["level"]:
        selected = selected.filter(pl.col("level") == filters["level"])
    if filters["indicator"]:
        wanted: str = filters["indicator"]
        selected = selected.filter(pl.col("reason_indicators").list.contains(wanted))
    if filters["new_only"]:
        selected = selected.filter(~pl.col("pupil_id").is_in(list(flagged_then)))
    limit_reached = selected.height > MAX_ROWS
    selected = selected.head(MAX_ROWS)

    pupil_ids = selected.get_column("pupil_id").to_list()
    reasons = _reasons(result, pupil_ids, language)
    timelines = _timelines(result, pupil_ids, language)
    # Need-to-know: the open cases this reader may see, and no other (one query).
    visible_cases = dict(
        cases_visible_to(membership)
        .open()
        .filter(pupil_id__in=pupil_ids)
        .values_list("pupil_id", "public_id")
    )
    rows = []
    for rank, pupil_id, score, top_level, legal in selected.select(
        "rank", "pupil_id", "score", "top_level", "legal"
    ).iter_rows():
        timeline = timelines[pupil_id]
        rows.append(
            WatchlistRow(
                rank=rank,
                pupil=frames.pupils[pupil_id],
                score=round(score, 1),
                top_level=top_level,
                legal=bool(legal),
                reasons=reasons.get(pupil_id, []),
                is_new=meeting_on is not None and pupil_id not in flagged_then,
                above_cut=rank <= settings.capacity,
                case_public_id=visible_cases.get(pupil_id),
                months=timeline["months"],
                timeline=[
                    TimelineRow(code, INDICATORS[code].label(language), timeline["rows"][code])
                    for code in TIMELINE_INDICATORS
                ],
                averages=timeline.get("averages", []),
                sparkline=timeline["sparkline"],
            )
        )
    return Watchlist(
        rows=rows,
        flagged=ranking.height,
        shown_limit_reached=limit_reached,
        capacity=settings.capacity,
        as_of=today,
        last_meeting_on=meeting_on,
        weights=result.weights.to_dicts(),
        rules=rules,
        divisions=all_divisions,
        levels=all_levels,
        indicators=[(code, spec.label(language)) for code, spec in INDICATORS.items()],
        filters=filters,
    )


@dataclass(frozen=True)
class PupilAlert:
    """What the referral from the watchlist is prefilled with."""

    reasons: list[Reason]
    sign_codes: list[str]
    alert_public_id: uuid.UUID


def pupil_alert(
    membership: Membership, pupil_id: int, *, language: str = "fr", today: dt.date | None = None
) -> PupilAlert | None:
    """The pupil's current reasons (None when the pupil is not on the watchlist)."""
    today = today or clock.today()
    language = engine_language(language)
    settings = detection_settings_of(membership.school_id)
    rules = rules_of(settings)
    frames = engine_input_for(membership, since=school_year_start(today))
    if pupil_id not in frames.pupils:
        return None
    result = _run(frames, rules, today, language)
    reasons = _reasons(result, [pupil_id], language).get(pupil_id, [])
    if not reasons:
        return None
    codes = [INDICATOR_SIGNS[r.indicator] for r in reasons if r.indicator in INDICATOR_SIGNS]
    signs = frames.input.signs
    if signs is not None and signs.height:
        recent = signs.filter(
            (pl.col("pupil_id") == pupil_id)
            & (pl.col("date") >= today - dt.timedelta(days=31 * rules.score.window_months))
        )
        codes += recent.get_column("sign").to_list()
    pupil = frames.pupils[pupil_id]
    # The alert has no row of its own: its id is derived from the school's pupil, the day
    # and the reasons, so a case opened from it says it came from detection, and which day.
    fingerprint = "|".join(
        [str(pupil.public_id), today.isoformat(), *(r.indicator for r in reasons)]
    )
    return PupilAlert(
        reasons=reasons,
        sign_codes=list(dict.fromkeys(codes)),
        alert_public_id=uuid.uuid5(uuid.NAMESPACE_URL, f"alliance:detection:{fingerprint}"),
    )
