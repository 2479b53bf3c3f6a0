"""Rules documents and files: defaults, round trips, and located validation errors."""

import json

import pytest

from alliance.detection.engine import (
    DEFAULT_INDICATOR_RULES,
    INDICATORS,
    RulesError,
    RuleSet,
    load_rules,
)


def test_the_empty_document_is_the_defaults():
    rules = RuleSet.from_document({})
    assert rules == RuleSet.defaults()
    assert rules.rule("unjustified_half_days").alerte == 4
    assert set(rules.indicators) == set(INDICATORS)


def test_a_partial_document_overrides_only_what_it_says():
    rules = RuleSet.from_document({"indicators": {"lateness": {"alerte": 10}}})
    assert rules.rule("lateness").alerte == 10
    assert rules.rule("lateness").vigilance == DEFAULT_INDICATOR_RULES["lateness"].vigilance
    assert rules.rule("incidents") == DEFAULT_INDICATOR_RULES["incidents"]


def test_document_round_trip():
    rules = RuleSet.from_document(
        {
            "name": "collège",
            "score": {"window_months": 2},
            "indicators": {"observed_signs": {"weight": 4}},
        }
    )
    assert RuleSet.from_document(rules.to_document()) == rules
    assert RuleSet.from_document(json.loads(json.dumps(rules.to_document()))) == rules


def test_toml_and_json_files(tmp_path):
    toml_file = tmp_path / "rules.toml"
    toml_file.write_text(RuleSet.defaults().with_indicator("lateness", alerte=7).to_toml())
    assert load_rules(toml_file).rule("lateness").alerte == 7
    json_file = tmp_path / "rules.json"
    json_file.write_text(json.dumps({"indicators": {"lateness": {"vigilance": 1}}}))
    assert load_rules(json_file).rule("lateness").vigilance == 1


def _problems(document, source="<rules>"):
    with pytest.raises(RulesError) as caught:
        RuleSet.from_document(document, source=source)
    return {problem.key: problem.message for problem in caught.value.problems}, str(caught.value)


@pytest.mark.parametrize(
    ("document", "key", "fragment"),
    [
        ({"colour": "blue"}, "colour", "unknown key"),
        ({"indicators": {"nurse_visits": {}}}, "indicators.nurse_visits", "unknown indicator"),
        ({"indicators": {"lateness": {"alerte": "six"}}}, "indicators.lateness.alerte", "a number"),
        ({"indicators": {"lateness": {"alerte": True}}}, "indicators.lateness.alerte", "a number"),
        (
            {"indicators": {"lateness": {"vigilance": 5, "alerte": 3}}},
            "indicators.lateness.vigilance",
            "not be above alerte",
        ),
        (
            {"indicators": {"lateness": {"vigilance": 0}}},
            "indicators.lateness.vigilance",
            "greater than 0",
        ),
        (
            {"indicators": {"absence_rate": {"alerte": 20}}},
            "indicators.absence_rate.alerte",
            "at most 1",
        ),
        (
            {"indicators": {"unjustified_half_days": {"alerte": 6}}},
            "indicators.unjustified_half_days.alerte",
            "L131-8",
        ),
        (
            {"indicators": {"average": {"vigilance": 8, "alerte": 10}}},
            "indicators.average.vigilance",
            "higher line",
        ),
        ({"indicators": {"lateness": {"weight": -1}}}, "indicators.lateness.weight", "between 0"),
        (
            {"indicators": {"lateness": {"enabled": "yes"}}},
            "indicators.lateness.enabled",
            "true or false",
        ),
        (
            {"indicators": {"lateness": {"threshold": 3}}},
            "indicators.lateness.threshold",
            "unknown key",
        ),
        ({"score": {"method": "magic"}}, "score.method", "weighted"),
        ({"score": {"window_months": 0}}, "score.window_months", "1 to 12"),
        ({"calendar": {"half_days": {"monday": 3}}}, "calendar.half_days.monday", "0, 1 or 2"),
        ({"indicators": []}, "indicators", "a table"),
    ],
)
def test_validation_errors_name_the_key(document, key, fragment):
    problems, message = _problems(document, source="college.toml")
    assert key in problems, problems
    assert fragment in problems[key]
    assert f"college.toml: {key}: " in message


def test_every_problem_is_reported_at_once():
    problems, _ = _problems(
        {"indicators": {"lateness": {"alerte": "x"}, "incidents": {"weight": -2}}, "extra": 1}
    )
    assert set(problems) == {"indicators.lateness.alerte", "indicators.incidents.weight", "extra"}


def test_a_toml_syntax_error_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[indicators.lateness]\nvigilance = 2\nalerte = = 4\n")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(caught.value).startswith(f"{path}: TOML syntax error")
    assert "line 3" in str(caught.value)


def test_a_json_syntax_error_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text('{\n  "indicators": {\n    "lateness": {"alerte": 4,}\n  }\n}\n')
    with pytest.raises(RulesError, match=r"rules\.json: JSON syntax error: .* line 3"):
        load_rules(path)


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(RulesError, match=r"ends in \.toml or \.json"):
        load_rules(_write(tmp_path / "rules.yaml", "a: 1"))
    with pytest.raises(RulesError, match="cannot read the file"):
        load_rules(tmp_path / "missing.toml")


def _write(path, text):
    path.write_text(text)
    return path


def test_with_indicator_validates():
    with pytest.raises(RulesError, match=r"indicators\.lateness\.vigilance"):
        RuleSet.defaults().with_indicator("lateness", vigilance=10, alerte=5)
    with pytest.raises(RulesError, match="unknown indicator"):
        RuleSet.defaults().with_indicator("sex", weight=1)


def test_the_defaults_file_in_the_docs_is_the_defaults():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[3] / "docs" / "detection" / "rules.md"
    text = docs.read_text(encoding="utf-8")
    block = text.split("```toml\n", 1)[1].split("```", 1)[0]
    from alliance.detection.engine import parse_rules_text

    assert parse_rules_text(block, source="rules.md", suffix=".toml") == RuleSet.defaults()
