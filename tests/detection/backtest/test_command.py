"""``alliance backtest``: both inputs, the HTML and JSON reports with every section."""

import datetime as dt
import json
import re

import numpy as np
import polars as pl
import pytest
from django.core.management import CommandError, call_command

from alliance import cli
from alliance.detection.backtest.report import SECTIONS
from alliance.detection.management.commands.backtest import Command

RNG_SEED = 7


def _table(path):
    rng = np.random.default_rng(RNG_SEED)
    n = 120
    absences = rng.poisson(4, n) + rng.integers(0, 2, n) * rng.poisson(12, n)
    g1 = np.clip(rng.normal(12, 3, n) - absences / 6, 0, 20).round()
    risk = 1 / (1 + np.exp(-(absences / 4 - (g1 - 10) / 2 - 2)))
    dropped = rng.random(n) < risk
    pl.DataFrame(
        {
            "absences": absences,
            "G1": g1.astype(int),
            "sexe": rng.choice(["F", "M"], n),
            "nationalite": rng.choice(["A", "B"], n),
            "quartier": rng.choice(["nord", "sud", "est"], n),
            "decrochage": np.where(dropped, "oui", "non"),
        }
    ).write_csv(path, separator=";")
    return path


def _events(directory):
    rng = np.random.default_rng(RNG_SEED)
    directory.mkdir()
    n = 150
    ids = [f"p{i:03d}" for i in range(n)]
    at_risk = rng.random(n) < 0.3
    pl.DataFrame({"pupil_id": ids, "level": ["3e"] * n}).write_csv(directory / "pupils.csv")
    absences, lateness, marks, outcomes = [], [], [], []
    start = dt.date(2024, 9, 2)
    for pupil, risky in zip(ids, at_risk, strict=True):
        leaves = start + dt.timedelta(days=int(rng.integers(100, 250))) if risky else None
        for day in range(0, 280, 7):
            when = start + dt.timedelta(days=day)
            if leaves and when >= leaves:
                break
            if rng.random() < (0.35 if risky else 0.05):
                absences.append((pupil, when.strftime("%d/%m/%Y"), 2, "non"))
            if rng.random() < (0.2 if risky else 0.05):
                lateness.append((pupil, when.isoformat()))
            if day % 28 == 0:
                period = "T1" if when < dt.date(2024, 12, 1) else "T2"
                mark = rng.normal(8 if risky else 13, 3)
                marks.append((pupil, period, "maths", round(float(np.clip(mark, 0, 20)), 1)))
        outcomes.append(
            (
                pupil,
                "dropout" if leaves else "stayed",
                leaves.isoformat() if leaves else "",
                rng.choice(["F", "M"]),
            )
        )
    pl.DataFrame(
        absences, schema=["pupil_id", "start_date", "half_days", "justified"], orient="row"
    ).write_csv(directory / "absences.csv", separator=";")
    pl.DataFrame(lateness, schema=["pupil_id", "date"], orient="row").write_csv(
        directory / "lateness.csv"
    )
    pl.DataFrame(marks, schema=["pupil_id", "period", "subject", "mark"], orient="row").write_csv(
        directory / "marks.csv"
    )
    pl.DataFrame(
        {
            "period": ["T1", "T2"],
            "start_date": ["2024-09-02", "2024-12-01"],
            "end_date": ["2024-11-30", "2025-06-30"],
        }
    ).write_csv(directory / "periods.csv")
    outcomes_path = directory.parent / "outcomes.csv"
    pl.DataFrame(outcomes, schema=["pupil_id", "outcome", "date", "sexe"], orient="row").write_csv(
        outcomes_path
    )
    return directory, outcomes_path


def _check_reports(out, mode):
    report = json.loads((out / "backtest.json").read_text(encoding="utf-8"))
    html = (out / "backtest.html").read_text(encoding="utf-8")
    assert report["mode"] == mode
    for method in report["methods"]:
        for key in ("auc", "at_capacity", "calibration", "fairness", "flag", "lead_time"):
            assert key in method
        assert [entry["capacity"] for entry in method["at_capacity"]] == [0.05, 0.1, 0.2]
    for section in SECTIONS:
        assert f'id="{section}"' in html
    assert html.count("Document interne — ne pas verser au dossier scolaire") == 2
    assert "jamais une décision automatique" in html
    assert "Wisconsin" in html
    # Self-contained: no script, no stylesheet link, no remote asset.
    assert not re.search(r"<script|<link|src=|https?://", html)
    return report, html


def test_table_input_writes_both_reports(tmp_path, capsys):
    out = tmp_path / "report"
    call_command(
        Command(),
        table=_table(tmp_path / "pupils.csv"),
        target="decrochage",
        positive="oui",
        group=["sexe", "quartier"],
        out=out,
        models="logistic",
    )
    report, html = _check_reports(out, "table")
    codes = [method["code"] for method in report["methods"]]
    assert codes == ["school", "pronote_like", "abc", "model_logistic"]
    # Protected columns never inputs; the groups only in the fairness report.
    assert report["input"]["excluded_protected"] == ["nationalite"]
    assert set(report["input"]["model_inputs"]) == {"absences", "G1"}
    assert set(report["methods"][0]["fairness"]) == {"sexe", "quartier"}
    assert "quartier" in html
    assert report["methods"][3]["calibration"]["brier"] is not None
    assert "model_logistic" in capsys.readouterr().out


def test_events_input_reports_lead_time(tmp_path):
    events, outcomes = _events(tmp_path / "events")
    out = tmp_path / "report"
    call_command(
        Command(),
        events=events,
        outcomes=outcomes,
        positive="dropout",
        group=["sexe"],
        as_of=dt.date(2024, 11, 30),
        out=out,
        models="logistic",
    )
    report, html = _check_reports(out, "events")
    for method in report["methods"]:
        assert method["lead_time"] is not None
    school = report["methods"][0]
    assert school["lead_time"]["flagged_before_outcome"] > 0
    assert school["lead_time"]["median_days"] > 0
    assert "Délai d'anticipation" in html


def test_alliance_backtest_goes_through_the_cli(tmp_path):
    out = tmp_path / "report"
    cli.main(
        [
            "backtest",
            "--table",
            str(_table(tmp_path / "pupils.csv")),
            "--target",
            "decrochage",
            "--positive",
            "oui",
            "--models",
            "none",
            "--capacity",
            "10,30",
            "--out",
            str(out),
        ]
    )
    report = json.loads((out / "backtest.json").read_text(encoding="utf-8"))
    assert report["capacities"] == [0.1, 0.3]
    assert [method["kind"] for method in report["methods"]] == ["rules"] * 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "either --table FILE or --events DIR"),
        ({"target": "nope"}, "--target 'nope': no such column"),
        ({"group": ["nope"]}, "--group 'nope': no such column"),
        ({"exclude": ["nope"]}, "--exclude 'nope': no such column"),
        ({"positive": "maybe"}, "both positive and negative"),
        ({"models": "forest"}, "unknown forest"),
        ({"capacity": "x"}, "--capacity"),
    ],
)
def test_errors_say_what_is_wrong(tmp_path, arguments, message):
    options = {
        "table": _table(tmp_path / "pupils.csv"),
        "target": "decrochage",
        "positive": "oui",
        "out": tmp_path / "report",
        "models": "none",
    }
    if not arguments:
        options.pop("table")
    options.update(arguments)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command(Command(), **options)


def test_a_bad_rules_file_is_located(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[indicators.lateness]\nalerte = -1\n")
    with pytest.raises(CommandError, match=r"rules\.toml: indicators\.lateness\.alerte"):
        call_command(
            Command(),
            table=_table(tmp_path / "pupils.csv"),
            target="decrochage",
            positive="oui",
            rules=rules,
            out=tmp_path / "report",
            models="none",
        )
