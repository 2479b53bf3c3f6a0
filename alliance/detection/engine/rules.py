"""Rule sets: two thresholds (vigilance, alerte) and a weight per indicator, and the score.

A rule set is a *document* (a mapping, stored as JSON by the school's settings, or written
as a TOML or JSON file): every key is optional, a missing key takes the documented default
(``docs/detection/rules.md``), so ``{}`` is the default rule set. Validation collects every
problem and names where it is: the file, then the dotted key (``indicators.lateness.alerte``),
or the line and column for a syntax error.

The legal threshold (Code de l'éducation L131-8: 4 unjustified half-days in a month) is
fixed by law: a rule set may warn earlier, never later, so ``unjustified_half_days.alerte``
above 4 is refused.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from alliance.detection.engine.catalogue import (
    INDICATORS,
    LEGAL_INDICATOR,
    LEGAL_REFERENCE,
    LEGAL_THRESHOLD,
)

ScoreMethod = Literal["weighted", "levels"]
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


@dataclass(frozen=True)
class IndicatorRule:
    code: str
    vigilance: float
    alerte: float
    weight: float
    enabled: bool = True


@dataclass(frozen=True)
class ScoreSettings:
    #: "weighted": each indicator adds ``weight × min(value / alerte, cap)``;
    #: "levels": each indicator adds ``weight × level`` (vigilance 1, alerte 2), Pronote-style.
    method: ScoreMethod = "weighted"
    #: Monthly indicators are averaged over the last ``window_months`` months.
    window_months: int = 3
    #: No single indicator adds more than ``cap × weight``.
    cap: float = 2.0


@dataclass(frozen=True)
class CalendarSettings:
    """School half-days per weekday, Monday first (French collège: no Wednesday afternoon)."""

    half_days: tuple[int, ...] = (2, 2, 1, 2, 2, 0, 0)


#: The documented defaults (docs/detection/rules.md says why each value).
DEFAULT_INDICATOR_RULES: dict[str, IndicatorRule] = {
    rule.code: rule
    for rule in (
        IndicatorRule("unjustified_half_days", vigilance=2, alerte=4, weight=3.0),
        IndicatorRule("absent_half_days", vigilance=4, alerte=8, weight=1.0),
        IndicatorRule("absence_rate", vigilance=0.10, alerte=0.20, weight=1.0),
        IndicatorRule("lateness", vigilance=3, alerte=6, weight=1.0),
        IndicatorRule("incidents", vigilance=1, alerte=3, weight=1.0),
        IndicatorRule("punishments", vigilance=2, alerte=4, weight=0.5, enabled=False),
        IndicatorRule("sanctions", vigilance=1, alerte=2, weight=1.5),
        IndicatorRule("exclusions", vigilance=1, alerte=1, weight=1.0),
        IndicatorRule("observed_signs", vigilance=1, alerte=2, weight=2.0),
        IndicatorRule("average", vigilance=10, alerte=8, weight=1.0, enabled=False),
        IndicatorRule("average_drop", vigilance=1.5, alerte=3, weight=1.5),
        IndicatorRule("gap_to_level", vigilance=2, alerte=4, weight=1.0),
        IndicatorRule("share_under_10", vigilance=0.4, alerte=0.6, weight=1.0),
        IndicatorRule("subjects_under_10", vigilance=3, alerte=5, weight=0.5, enabled=False),
    )
}
assert set(DEFAULT_INDICATOR_RULES) == set(INDICATORS)


@dataclass(frozen=True)
class RuleProblem:
    key: str
    message: str


class RulesError(ValueError):
    """A rules document or file that cannot be used; ``problems`` says what and where."""

    def __init__(self, source: str, problems: list[RuleProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = [
            f"{source}: {problem.key}: {problem.message}"
            if problem.key
            else f"{source}: {problem.message}"
            for problem in problems
        ]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class RuleSet:
    """What the engine runs: per-indicator rules, the score, the calendar."""

    indicators: Mapping[str, IndicatorRule] = field(
        default_factory=lambda: dict(DEFAULT_INDICATOR_RULES)
    )
    score: ScoreSettings = field(default_factory=ScoreSettings)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    name: str = "school"

    # ------------------------------------------------------------------ reading

    @classmethod
    def defaults(cls) -> RuleSet:
        return cls()

    @classmethod
    def from_document(cls, document: Mapping[str, Any], *, source: str = "<rules>") -> RuleSet:
        """Validate a rules document (every key optional) and build the rule set.

        Raises ``RulesError`` listing every problem with its dotted key.
        """
        return _parse(document, source)

    def rule(self, code: str) -> IndicatorRule:
        return self.indicators[code]

    def enabled_rules(self) -> list[IndicatorRule]:
        return [rule for rule in self.indicators.values() if rule.enabled]

    def weights(self) -> dict[str, float]:
        """The visible weights of the composite score (enabled indicators only)."""
        return {rule.code: rule.weight for rule in self.enabled_rules()}

    # ------------------------------------------------------------------ writing

    def to_document(self) -> dict[str, Any]:
        """The full document (every key written), which ``from_document`` reads back."""
        return {
            "name": self.name,
            "score": {
                "method": self.score.method,
                "window_months": self.score.window_months,
                "cap": self.score.cap,
            },
            "calendar": {"half_days": dict(zip(WEEKDAYS, self.calendar.half_days, strict=True))},
            "indicators": {
                code: {
                    "enabled": rule.enabled,
                    "vigilance": rule.vigilance,
                    "alerte": rule.alerte,
                    "weight": rule.weight,
                }
                for code, rule in self.indicators.items()
            },
        }

    def to_toml(self) -> str:
        """The full document as TOML (the format of a rules file)."""
        document = self.to_document()
        lines = [f"name = {json.dumps(document['name'])}", "", "[score]"]
        for key, value in document["score"].items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines += ["", "[calendar.half_days]"]
        for key, value in document["calendar"]["half_days"].items():
            lines.append(f"{key} = {value}")
        for code, values in document["indicators"].items():
            lines += ["", f"[indicators.{code}]"]
            for key, value in values.items():
                lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"

    def with_indicator(self, code: str, **changes: Any) -> RuleSet:
        """A copy with one indicator's rule changed, validated like a document."""
        document = self.to_document()
        if code not in document["indicators"]:
            raise RulesError("<rules>", [RuleProblem(f"indicators.{code}", "unknown indicator")])
        document["indicators"][code].update(changes)
        return RuleSet.from_document(document)

    def renamed(self, name: str) -> RuleSet:
        return replace(self, name=name)


def load_rules(path: str | Path) -> RuleSet:
    """Read and validate a rules file (``.toml`` or ``.json``)."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RulesError(
            source, [RuleProblem("", f"cannot read the file ({error.strerror})")]
        ) from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RulesError(source, [RuleProblem("", "not UTF-8 text")]) from error
    return parse_rules_text(text, source=source, suffix=path.suffix)


def parse_rules_text(text: str, *, source: str, suffix: str) -> RuleSet:
    suffix = suffix.lower()
    document: Any
    if suffix == ".toml":
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise RulesError(source, [RuleProblem("", f"TOML syntax error: {error}")]) from error
    elif suffix == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise RulesError(
                source,
                [
                    RuleProblem(
                        "",
                        f"JSON syntax error: {error.msg} (at line {error.lineno}, column {error.colno})",
                    )
                ],
            ) from error
    else:
        raise RulesError(source, [RuleProblem("", "a rules file ends in .toml or .json")])
    return RuleSet.from_document(document, source=source)


# ---------------------------------------------------------------------- validation


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []

    def add(self, key: str, message: str) -> None:
        self.problems.append(RuleProblem(key, message))

    def mapping(self, value: Any, key: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(key or "(document)", "must be a table (mapping of keys to values)")
            return None
        return value

    def unknown(self, value: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in value:
            if key not in allowed:
                self.add(
                    f"{prefix}{key}",
                    f"unknown key (expected one of: {', '.join(allowed)})",
                )


def _parse(document: Any, source: str) -> RuleSet:
    errors = _Collector()
    top = errors.mapping(document, "")
    if top is None:
        raise RulesError(source, errors.problems)
    errors.unknown(top, ("name", "score", "calendar", "indicators", "version"), "")

    name = top.get("name", "school")
    if not isinstance(name, str) or not name.strip():
        errors.add("name", "must be a non-empty text")
        name = "school"
    if "version" in top and top["version"] != 1:
        errors.add("version", "only version 1 exists")

    score = _parse_score(top.get("score", {}), errors)
    calendar = _parse_calendar(top.get("calendar", {}), errors)
    indicators = _parse_indicators(top.get("indicators", {}), errors)
    if errors.problems:
        raise RulesError(source, errors.problems)
    return RuleSet(indicators=indicators, score=score, calendar=calendar, name=name)


def _parse_score(value: Any, errors: _Collector) -> ScoreSettings:
    default = ScoreSettings()
    table = errors.mapping(value, "score")
    if table is None:
        return default
    errors.unknown(table, ("method", "window_months", "cap"), "score.")
    method = table.get("method", default.method)
    if method not in ("weighted", "levels"):
        errors.add("score.method", 'must be "weighted" or "levels"')
        method = default.method
    window = table.get("window_months", default.window_months)
    if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= 12:
        errors.add("score.window_months", "must be a whole number of months from 1 to 12")
        window = default.window_months
    cap = table.get("cap", default.cap)
    if not _is_number(cap) or not 0 < cap <= 10:
        errors.add("score.cap", "must be a number above 0 and at most 10")
        cap = default.cap
    return ScoreSettings(method=method, window_months=window, cap=float(cap))


def _parse_calendar(value: Any, errors: _Collector) -> CalendarSettings:
    default = CalendarSettings()
    table = errors.mapping(value, "calendar")
    if table is None:
        return default
    errors.unknown(table, ("half_days",), "calendar.")
    days = table.get("half_days", {})
    day_table = errors.mapping(days, "calendar.half_days")
    if day_table is None:
        return default
    errors.unknown(day_table, WEEKDAYS, "calendar.half_days.")
    half_days = list(default.half_days)
    for index, day in enumerate(WEEKDAYS):
        if day in day_table:
            count = day_table[day]
            if not isinstance(count, int) or isinstance(count, bool) or count not in (0, 1, 2):
                errors.add(f"calendar.half_days.{day}", "must be 0, 1 or 2")
            else:
                half_days[index] = count
    if sum(half_days) == 0:
        errors.add("calendar.half_days", "a week needs at least one school half-day")
    return CalendarSettings(half_days=tuple(half_days))


def _parse_indicators(value: Any, errors: _Collector) -> dict[str, IndicatorRule]:
    rules = dict(DEFAULT_INDICATOR_RULES)
    table = errors.mapping(value, "indicators")
    if table is None:
        return rules
    for code, entry in table.items():
        key = f"indicators.{code}"
        if code not in INDICATORS:
            errors.add(key, f"unknown indicator (known: {', '.join(INDICATORS)})")
            continue
        entry_table = errors.mapping(entry, key)
        if entry_table is None:
            continue
        errors.unknown(entry_table, ("enabled", "vigilance", "alerte", "weight"), f"{key}.")
        default = rules[code]
        enabled = entry_table.get("enabled", default.enabled)
        if not isinstance(enabled, bool):
            errors.add(f"{key}.enabled", "must be true or false")
            enabled = default.enabled
        numbers: dict[str, float] = {}
        for name in ("vigilance", "alerte", "weight"):
            number = entry_table.get(name, getattr(default, name))
            if not _is_number(number):
                errors.add(f"{key}.{name}", "must be a number")
                number = getattr(default, name)
            numbers[name] = float(number)
        rule = IndicatorRule(
            code, numbers["vigilance"], numbers["alerte"], numbers["weight"], enabled
        )
        problems_before = len(errors.problems)
        _check_thresholds(rule, key, errors)
        if len(errors.problems) == problems_before:
            rules[code] = rule
    return rules


def _check_thresholds(rule: IndicatorRule, key: str, errors: _Collector) -> None:
    spec = INDICATORS[rule.code]
    if rule.weight < 0 or rule.weight > 100:
        errors.add(f"{key}.weight", "must be between 0 and 100")
    if spec.direction == "above":
        for name in ("vigilance", "alerte"):
            threshold = getattr(rule, name)
            # A threshold of 0 would put every pupil, even one with no event, on alert.
            if threshold <= 0:
                errors.add(f"{key}.{name}", "must be greater than 0")
            if spec.unit in ("rate", "share") and threshold > 1:
                errors.add(f"{key}.{name}", "is a share: at most 1 (0.2 means 20 %)")
        if rule.vigilance > rule.alerte:
            errors.add(
                f"{key}.vigilance",
                f"must not be above alerte ({_number(rule.alerte)}): vigilance comes first",
            )
    else:
        for name in ("vigilance", "alerte"):
            threshold = getattr(rule, name)
            if not 0 < threshold < spec.neutral:
                errors.add(f"{key}.{name}", f"must be above 0 and below {_number(spec.neutral)}")
        if rule.vigilance < rule.alerte:
            errors.add(
                f"{key}.vigilance",
                f"must not be below alerte ({_number(rule.alerte)}): for an average, "
                "vigilance is the higher line",
            )
    if rule.code == LEGAL_INDICATOR and rule.alerte > LEGAL_THRESHOLD:
        errors.add(
            f"{key}.alerte",
            f"the law ({LEGAL_REFERENCE}) sets the alert at {LEGAL_THRESHOLD} unjustified "
            f"half-days in a month: a school may warn earlier, not later",
        )


def _number(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value}"
