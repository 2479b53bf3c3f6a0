"""The detection engine: a pure Polars library (numpy for dense sums), frames in, frames out.

No ORM, no Django: it runs the same on one school, on an académie export, and in a
backtest on files. See ``docs/detection/engine.md`` for the input frames, the indicators,
the alerts and the score, and ``docs/detection/rules.md`` for the rules and their defaults.
"""

from alliance.detection.engine.catalogue import (
    INDICATORS,
    LEGAL_INDICATOR,
    LEGAL_REFERENCE,
    LEGAL_THRESHOLD,
    MONTHLY_INDICATORS,
    PERIOD_INDICATORS,
    IndicatorSpec,
)
from alliance.detection.engine.core import EngineResult, evaluate
from alliance.detection.engine.explain import EXPLAINED_COLUMNS, explain, explain_reasons
from alliance.detection.engine.rules import (
    DEFAULT_INDICATOR_RULES,
    CalendarSettings,
    IndicatorRule,
    RuleProblem,
    RulesError,
    RuleSet,
    ScoreSettings,
    load_rules,
    parse_rules_text,
)
from alliance.detection.engine.schema import (
    PROTECTED_TERMS,
    SCHEMAS,
    EngineInput,
    InputFrameError,
    ProtectedColumnError,
    protected_columns,
    protected_term,
)

__all__ = [
    "DEFAULT_INDICATOR_RULES",
    "EXPLAINED_COLUMNS",
    "INDICATORS",
    "LEGAL_INDICATOR",
    "LEGAL_REFERENCE",
    "LEGAL_THRESHOLD",
    "MONTHLY_INDICATORS",
    "PERIOD_INDICATORS",
    "PROTECTED_TERMS",
    "SCHEMAS",
    "CalendarSettings",
    "EngineInput",
    "EngineResult",
    "IndicatorRule",
    "IndicatorSpec",
    "InputFrameError",
    "ProtectedColumnError",
    "RuleProblem",
    "RuleSet",
    "RulesError",
    "ScoreSettings",
    "evaluate",
    "explain",
    "explain_reasons",
    "load_rules",
    "parse_rules_text",
    "protected_columns",
    "protected_term",
]
