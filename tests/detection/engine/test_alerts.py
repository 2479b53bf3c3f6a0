"""Alerts: two levels, the legal threshold, "since when", and explanations."""

import polars as pl
import pytest

from alliance.detection.engine import INDICATORS, RuleSet, evaluate, explain
from tests.detection.engine.helpers import TRIMESTERS, absences, d, dated, inputs, marks, pupils

RULES = RuleSet.from_document({"indicators": {"lateness": {"vigilance": 2, "alerte": 4}}})


def _alerts(frame: pl.DataFrame, indicator: str, rules: RuleSet | None = None, **frames):
    result = evaluate(inputs(pupils("a", "b"), **frames), rules or RULES)
    found = result.alerts.filter(pl.col("indicator") == indicator).sort("period_start")
    return explain(found)


@pytest.mark.parametrize(
    ("half_days", "legal", "level"),
    [(3, False, "vigilance"), (4, True, "alerte"), (6, True, "alerte")],
)
def test_legal_threshold_l131_8_at_4_unjustified_half_days(half_days, legal, level):
    frame = absences([("a", d(2024, 11, 4), half_days, False)])
    alert = _alerts(frame, "unjustified_half_days", absences=frame).row(0, named=True)
    assert alert["legal"] is legal
    assert alert["level"] == level
    assert alert["value"] == half_days
    if legal:
        assert "L131-8" in alert["explanation"]
        assert alert["threshold"] == 4
    else:
        assert "L131-8" not in alert["explanation"]


def test_justified_absences_never_reach_the_legal_threshold():
    frame = absences([("a", d(2024, 11, 4), 8, True)])
    assert _alerts(frame, "unjustified_half_days", absences=frame).height == 0


def test_the_legal_flag_cannot_be_switched_off():
    rules = RuleSet.from_document({"indicators": {"unjustified_half_days": {"enabled": False}}})
    frame = absences([("a", d(2024, 11, 4), 3, False), ("b", d(2024, 11, 4), 4, False)])
    alerts = _alerts(frame, "unjustified_half_days", rules, absences=frame)
    assert alerts.get_column("pupil_id").to_list() == ["b"]
    assert alerts.get_column("legal").to_list() == [True]


@pytest.mark.parametrize(
    ("count", "level", "threshold"),
    [
        (1, None, None),
        (2, "vigilance", 2.0),
        (3, "vigilance", 2.0),
        (4, "alerte", 4.0),
        (9, "alerte", 4.0),
    ],
)
def test_two_level_thresholds(count, level, threshold):
    frame = dated([("a", d(2024, 11, 4 + day % 20)) for day in range(count)])
    alerts = _alerts(frame, "lateness", lateness=frame)
    if level is None:
        assert alerts.height == 0
    else:
        row = alerts.row(0, named=True)
        assert (row["level"], row["threshold"], row["value"]) == (level, threshold, count)


def test_below_indicator_the_general_average():
    rules = RuleSet.from_document(
        {"indicators": {"average": {"enabled": True, "vigilance": 10, "alerte": 8}}}
    )
    frame = marks([("a", "T1", "m", 9.0), ("b", "T1", "m", 7.5)])
    result = evaluate(inputs(pupils("a", "b", "c"), marks=frame, periods=TRIMESTERS), rules)
    alerts = result.alerts.filter(pl.col("indicator") == "average").sort("pupil_id")
    assert alerts.select("pupil_id", "level", "threshold").rows() == [
        ("a", "vigilance", 10.0),
        ("b", "alerte", 8.0),
    ]


def _monthly_lateness(counts: dict[int, int]) -> pl.DataFrame:
    rows = []
    for month, count in counts.items():
        year = 2024 if month >= 9 else 2025
        rows += [("a", d(year, month, 4 + day)) for day in range(count)]
    return dated(rows)


def test_since_is_the_first_month_of_the_unbroken_run():
    # September 4 (alerte), October 2 (vigilance), November 5 (alerte), December 5 (alerte)
    frame = _monthly_lateness({9: 4, 10: 2, 11: 5, 12: 5})
    alerts = _alerts(frame, "lateness", lateness=frame)
    rows = alerts.select("period", "level", "since").rows()
    assert rows == [
        ("2024-09", "alerte", "2024-09"),
        ("2024-10", "vigilance", "2024-09"),  # at or over vigilance since September
        ("2024-11", "alerte", "2024-11"),  # at or over alerte again since November only
        ("2024-12", "alerte", "2024-11"),
    ]
    december = alerts.filter(pl.col("period") == "2024-12").row(0, named=True)
    assert december["since_start"] == d(2024, 11, 1)
    assert "depuis novembre 2024" in december["explanation"]


def test_a_month_without_events_breaks_the_run():
    frame = _monthly_lateness({9: 2, 11: 2})
    alerts = _alerts(frame, "lateness", lateness=frame)
    assert alerts.select("period", "since").rows() == [
        ("2024-09", "2024-09"),
        ("2024-11", "2024-11"),
    ]


def test_since_over_periods():
    frame = marks(
        [
            ("a", "T1", "m", 6.0),
            ("a", "T2", "m", 7.0),
            ("a", "T3", "m", 8.0),
            ("b", "T1", "m", 15.0),
            ("b", "T2", "m", 15.0),
            ("b", "T3", "m", 15.0),
        ]
    )
    result = evaluate(inputs(pupils("a", "b"), marks=frame, periods=TRIMESTERS), RULES)
    alerts = result.alerts.filter(
        (pl.col("indicator") == "share_under_10") & (pl.col("pupil_id") == "a")
    ).sort("period_start")
    assert alerts.select("period", "level", "since").rows() == [
        ("T1", "alerte", "T1"),
        ("T2", "alerte", "T1"),
        ("T3", "alerte", "T1"),
    ]


def test_every_alert_explains_itself():
    frame = dated([("a", d(2024, 11, 4 + day)) for day in range(5)])
    row = _alerts(frame, "lateness", lateness=frame).row(0, named=True)
    assert row["explanation"] == (
        "Retards : 5 en novembre 2024 (seuil d'alerte : 4), depuis novembre 2024"
    )
    english = explain(evaluate(inputs(pupils("a"), lateness=frame), RULES).alerts, "en")
    assert english.get_column("explanation").item() == (
        "Lateness: 5 in November 2024 (alerte threshold: 4), since November 2024"
    )
    for column in ("indicator", "value", "threshold", "level", "period", "since", "known_on"):
        assert row[column] is not None


def test_rates_are_explained_in_per_cent():
    frame = absences([("a", d(2024, 11, 4), 19, False)])
    result = evaluate(inputs(pupils("a"), absences=frame), as_of=d(2024, 11, 30))
    row = explain(result.alerts.filter(pl.col("indicator") == "absence_rate")).row(0, named=True)
    assert row["explanation"].startswith(
        "Taux d'absence : 50 % en novembre 2024 (seuil d'alerte : 20 %)"
    )


def test_known_on_is_the_last_event_counted():
    frame = dated([("a", d(2024, 11, 4)), ("a", d(2024, 11, 6)), ("a", d(2024, 11, 18))])
    row = _alerts(frame, "lateness", lateness=frame).row(0, named=True)
    assert row["known_on"] == d(2024, 11, 18)


def test_a_pupil_without_events_raises_no_alert():
    frame = absences([("a", d(2024, 11, 4), 9, False)])
    result = evaluate(inputs(pupils("a", "b"), absences=frame))
    assert "b" not in result.alerts.get_column("pupil_id").to_list()
    assert result.ranking.filter(pl.col("pupil_id") == "b").get_column("score").item() == 0.0


def test_every_alert_names_its_indicator_value_and_threshold():
    """Issue 4: each alert explains itself. Every alert of a year with every kind of
    event (monthly and per period, both levels, the legal flag), in both languages."""
    frame = absences([("a", d(2024, 9 + month, 4), 2 + month, False) for month in range(4)])
    late = dated([("b", d(2024, 10, 1 + day)) for day in range(6)])
    graded = marks(
        [
            ("a", "T1", "m", 6.0),
            ("a", "T2", "m", 4.5),
            ("b", "T1", "m", 15.0),
            ("b", "T2", "f", 7.25),
        ]
    )
    result = evaluate(
        inputs(pupils("a", "b"), absences=frame, lateness=late, marks=graded, periods=TRIMESTERS),
        RULES,
        as_of=d(2024, 12, 31),
    )
    alerts = result.alerts
    assert {"month", "period"} <= set(alerts.get_column("granularity").to_list())
    assert {"vigilance", "alerte"} <= set(alerts.get_column("level").to_list())
    assert alerts.get_column("legal").any()
    for language, words in (("fr", ("seuil", "depuis")), ("en", ("threshold", "since"))):
        explained = explain(alerts, language)
        assert explained.drop("explanation").equals(alerts)  # same rows, same order
        for row in explained.iter_rows(named=True):
            text = row["explanation"]
            spec = INDICATORS[row["indicator"]]
            assert text.startswith(spec.label(language)), text
            for number in (row["value"], row["threshold"]):
                shown = (
                    f"{round(number * 100)} %"
                    if spec.unit in ("rate", "share")
                    else _number(number)
                )
                assert shown in text.replace(",", "."), (shown, text)
            assert all(word in text for word in words), text
            assert row["period"] is not None and row["since"] is not None
            assert ("L131-8" in text) is row["legal"], text


def _number(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:.1f}"


def test_explain_needs_the_alert_columns():
    with pytest.raises(ValueError, match="threshold"):
        explain(pl.DataFrame({"indicator": ["lateness"]}))
