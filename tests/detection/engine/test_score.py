"""The composite score: visible weights, per-indicator contributions, ranking."""

import polars as pl
import pytest

from alliance.detection.engine import RuleSet, evaluate, explain_reasons
from alliance.detection.engine.rules import DEFAULT_INDICATOR_RULES
from tests.detection.engine.helpers import absences, d, dated, inputs, pupils

LATE = [("b", d(2024, 11, 4 + day)) for day in range(6)]  # 6 lateness in November
UNJUSTIFIED = [("a", d(2024, 11, 4), 4, False)]  # 4 unjustified half-days in November


def _result(rules: RuleSet | None = None):
    frames = inputs(pupils("a", "b", "c"), absences=absences(UNJUSTIFIED), lateness=dated(LATE))
    return evaluate(frames, rules, as_of=d(2024, 11, 30))


def test_contributions_are_weight_times_the_value_over_alerte():
    ranking = _result().ranking
    a = ranking.filter(pl.col("pupil_id") == "a").row(0, named=True)
    weight = DEFAULT_INDICATOR_RULES["unjustified_half_days"].weight
    # Window of 3 months (September to November), only November has events: the mean is
    # 4 / 3 half-days, over alerte 4, times the weight 3.
    assert a["contribution_unjustified_half_days"] == pytest.approx(weight * (4 / 3) / 4)
    assert a["contribution_absent_half_days"] == pytest.approx(1.0 * (4 / 3) / 8)
    assert a["contribution_absence_rate"] == pytest.approx(1.0 * (4 / 38 / 3) / 0.2)
    contributions = [value for key, value in a.items() if key.startswith("contribution_")]
    assert a["score"] == pytest.approx(sum(contributions))
    b = ranking.filter(pl.col("pupil_id") == "b").row(0, named=True)
    assert b["contribution_lateness"] == pytest.approx(1.0 * (6 / 3) / 6)


def test_ranking_order_reasons_and_ties():
    ranking = _result().ranking
    assert ranking.get_column("pupil_id").to_list() == ["a", "b", "c"]
    assert ranking.get_column("rank").to_list() == [1, 2, 3]
    a = ranking.row(0, named=True)
    assert a["legal"] is True
    assert a["top_level"] == "alerte"
    assert a["reason_indicators"][0] == "unjustified_half_days"
    assert a["reasons"][0]["indicator"] == "unjustified_half_days"
    assert a["reasons"][0]["legal"] is True
    assert "L131-8" in explain_reasons(ranking.head(1)).get_column("explanation")[0]
    assert [r["indicator"] for r in a["reasons"]] == a["reason_indicators"]
    c = ranking.row(2, named=True)
    assert (c["score"], c["reasons"], c["top_level"]) == (0.0, [], None)


def test_weights_are_visible_and_change_the_ranking():
    result = _result()
    weights = dict(result.weights.select("indicator", "weight").iter_rows())
    assert weights["unjustified_half_days"] == 3.0
    assert "punishments" not in weights  # disabled by default
    heavier_lateness = RuleSet.defaults().with_indicator("lateness", weight=10)
    ranking = _result(heavier_lateness).ranking
    assert ranking.get_column("pupil_id").to_list()[:2] == ["b", "a"]


def test_contributions_are_capped():
    rules = RuleSet.from_document({"score": {"cap": 1.5, "window_months": 1}})
    frame = dated([("a", d(2024, 11, 4 + day)) for day in range(20)])
    result = evaluate(inputs(pupils("a"), lateness=frame), rules, as_of=d(2024, 11, 30))
    assert result.ranking.get_column("contribution_lateness").item() == pytest.approx(1.5)


def test_the_window_ends_at_as_of_whatever_months_the_data_cover():
    rules = RuleSet.from_document({"score": {"window_months": 3}})
    frame = dated([("a", d(2024, 11, 4 + day)) for day in range(6)])
    result = evaluate(inputs(pupils("a"), lateness=frame), rules, as_of=d(2024, 11, 30))
    assert result.monthly.get_column("month").to_list() == [d(2024, 11, 1)]
    # September and October, before the data, count as months without lateness.
    assert result.ranking.get_column("contribution_lateness").item() == pytest.approx(2 / 6)


def test_window_averages_the_last_months():
    rules = RuleSet.from_document({"score": {"window_months": 2}})
    frame = dated(
        [("a", d(2024, 10, 1 + day)) for day in range(6)]  # October: 6 (before the window)
        + [("a", d(2024, 11, 4 + day)) for day in range(3)]  # November: 3
    )
    result = evaluate(inputs(pupils("a"), lateness=frame), rules, as_of=d(2024, 12, 31))
    # Window: November and December, (3 + 0) / 2 = 1.5, over alerte 6.
    assert result.ranking.get_column("contribution_lateness").item() == pytest.approx(0.25)


def test_levels_method_counts_levels():
    rules = RuleSet.from_document({"score": {"method": "levels", "window_months": 1}})
    ranking = _result(rules).ranking
    a = ranking.filter(pl.col("pupil_id") == "a").row(0, named=True)
    # unjustified: alerte (2) × 3; absent half-days: vigilance (1) × 1; rate 10.5 %: vigilance (1) × 1
    assert a["score"] == pytest.approx(2 * 3 + 1 + 1)
