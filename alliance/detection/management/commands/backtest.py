"""``alliance backtest``: compare the school's rules, a Pronote-like rule set, the ABC flags
and a calibrated model on past data; write an HTML and a JSON report.

    alliance backtest --table pupils.csv --target G3 --positive "<10" \\
        --group sex --exclude G2 --out report/
    alliance backtest --events events/ --outcomes outcomes.csv --positive Withdrawn \\
        --as-of 2013-11-30 --group gender --out report/

See docs/detection/backtest.md. Reads files only: no database access.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.detection.backtest import (
    BacktestInputError,
    BacktestOptions,
    backtest_events,
    backtest_table,
    write_report,
)
from alliance.detection.backtest.data import read_csv, read_events_dir, read_outcomes
from alliance.detection.backtest.model import MODELS
from alliance.detection.engine import InputFrameError, RulesError, load_rules


def _capacities(text: str) -> tuple[float, ...]:
    values = []
    for part in text.split(","):
        try:
            value = float(part.strip().rstrip("%"))
        except ValueError as error:
            raise CommandError(f"--capacity {text!r}: numbers separated by commas") from error
        value = value / 100 if value > 1 else value
        if not 0 < value <= 1:
            raise CommandError(f"--capacity {text!r}: each share between 0 and 100 %")
        values.append(value)
    return tuple(values)


class Command(BaseCommand):
    help = (
        "Backtest the detection on past data (a per-pupil table with an outcome, or event "
        "files with dated outcomes): ROC AUC, precision and recall at capacity, calibration, "
        "lead time, fairness gaps; HTML and JSON report."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_argument_group("input (one of)")
        source.add_argument(
            "--table", type=Path, help="a per-pupil CSV table with an outcome column"
        )
        source.add_argument(
            "--events", type=Path, help="a directory of event files (pupils.csv, absences.csv…)"
        )
        parser.add_argument("--outcomes", type=Path, help="with --events: pupil_id, outcome, date")
        parser.add_argument("--target", help="the outcome column (--events: default 'outcome')")
        parser.add_argument(
            "--positive",
            required=True,
            help="the positive outcome: a value ('Withdrawn', several with '|') or a "
            "comparison for a number ('<10')",
        )
        parser.add_argument(
            "--group",
            action="append",
            default=[],
            help="a column for the fairness report only (repeat for several); never an input",
        )
        parser.add_argument(
            "--exclude", action="append", default=[], help="a column no method may read (repeat)"
        )
        parser.add_argument(
            "--separator", help="the table's separator (default: sniffed, ';' or ',')"
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            help="--events: rank as of this date (YYYY-MM-DD)",
        )
        parser.add_argument(
            "--rules",
            type=Path,
            help="the school's rules file (.toml or .json); default: the documented defaults",
        )
        parser.add_argument(
            "--capacity", default="5,10,20", help="capacities in %% of pupils (default 5,10,20)"
        )
        parser.add_argument(
            "--folds", type=int, default=10, help="cross-validation folds (default 10)"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--models",
            default=",".join(MODELS),
            help=f"models to compare, among {', '.join(MODELS)} (default: all; 'none' for rules only)",
        )
        parser.add_argument("--min-group-size", type=int, default=10)
        parser.add_argument(
            "--out", type=Path, required=True, help="directory for backtest.html and backtest.json"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        table, events = options["table"], options["events"]
        if (table is None) == (events is None):
            raise CommandError("give either --table FILE or --events DIR")
        models = tuple(
            model.strip()
            for model in options["models"].split(",")
            if model.strip() and model.strip() != "none"
        )
        unknown = [model for model in models if model not in MODELS]
        if unknown:
            raise CommandError(
                f"--models: unknown {', '.join(unknown)} (known: {', '.join(MODELS)})"
            )
        if options["folds"] < 2:
            raise CommandError("--folds: at least 2")
        try:
            rules = load_rules(options["rules"]) if options["rules"] else None
            backtest_options = BacktestOptions(
                capacities=_capacities(options["capacity"]),
                folds=options["folds"],
                seed=options["seed"],
                models=models,
                rules=rules,
                min_group_size=options["min_group_size"],
            )
            if table is not None:
                if not options["target"]:
                    raise CommandError("--table needs --target COLUMN")
                frame = read_csv(table, separator=options["separator"])
                report = backtest_table(
                    frame,
                    target=options["target"],
                    positive=options["positive"],
                    groups=options["group"],
                    exclude=options["exclude"],
                    options=backtest_options,
                    source_name=table.name,
                )
            else:
                if options["outcomes"] is None:
                    raise CommandError("--events needs --outcomes FILE")
                target = options["target"] or "outcome"
                if options["exclude"]:
                    raise CommandError(
                        "--exclude applies to --table; event files hold only what the engine reads"
                    )
                report = backtest_events(
                    read_events_dir(events),
                    read_outcomes(options["outcomes"], target),
                    positive=options["positive"],
                    target=target,
                    groups=options["group"],
                    as_of=options["as_of"],
                    options=backtest_options,
                    source_name=events.name,
                )
        except (BacktestInputError, RulesError, InputFrameError) as error:
            raise CommandError(str(error)) from error
        json_path, html_path = write_report(report, options["out"])
        self.stdout.write(
            f"{report['input']['pupils']} pupils, {report['input']['positives']} positive"
        )
        for method in report["methods"]:
            auc = method["auc"]
            middle = method["at_capacity"][len(method["at_capacity"]) // 2]
            self.stdout.write(
                f"  {method['code']:<16} AUC {'—' if auc is None else f'{auc:.3f}'}"
                f"  precision@{middle['capacity']:.0%} {_percent(middle['precision'])}"
                f"  recall@{middle['capacity']:.0%} {_percent(middle['recall'])}"
            )
        self.stdout.write(self.style.SUCCESS(f"wrote {html_path} and {json_path}"))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"
