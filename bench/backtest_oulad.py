"""OULAD withdrawals: every method's ranking, lead time and fairness, from the assessment timeline.

    .venv/bin/python bench/backtest_oulad.py [--as-of 2013-11-30] [--data ../shared/data]

Events built by ``alliance.detection.backtest.datasets.oulad`` (missed deadlines as
unjustified absences, late submissions as lateness, scores as marks; every presentation's
day 0 on 1 October 2013). Pupils still registered at ``--as-of`` are ranked from the events
up to it; positive = withdrawn later; lead time = days from the first flag to the
unregistration date. Writes bench/results/backtest_oulad.md (reports in bench/results/tmp/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from backtest_uci import machine  # noqa: E402

from alliance.detection.backtest import BacktestOptions, backtest_events, write_report  # noqa: E402
from alliance.detection.backtest.datasets import oulad  # noqa: E402


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2013, 11, 30))
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "backtest_oulad.md"
    )
    arguments = parser.parse_args()
    warnings.simplefilter("error")
    began = time.perf_counter()
    frames, outcomes = oulad.load(arguments.data / "oulad")
    loaded = time.perf_counter() - began
    report = backtest_events(
        frames,
        outcomes,
        positive=oulad.POSITIVE,
        groups=list(oulad.FAIRNESS_GROUPS),
        as_of=arguments.as_of,
        options=BacktestOptions(),
        source_name="oulad",
    )
    elapsed = time.perf_counter() - began
    write_report(report, ROOT / "bench" / "results" / "tmp", stem="backtest_oulad")
    info = machine()
    sizes = {name: frame.height for name, frame in frames.frames().items()}
    lines = [
        "# OULAD withdrawals: rules, ABC flags and models, with lead time",
        "",
        f"Run on {info['date']} — `nproc` {info['nproc']}, {info['python']}, CPU {info['cpu']}; "
        f"polars {info['polars']}, scikit-learn {info['scikit-learn']}. Events built in "
        f"{loaded:.1f} s, whole backtest {elapsed:.0f} s. Rerun: "
        "`.venv/bin/python bench/backtest_oulad.py`.",
        "",
        f"Events: {sizes['pupils']:,} registrations, {sizes['absences']:,} missed deadlines "
        f"(unjustified absences), {sizes['lateness']:,} late submissions, {sizes['marks']:,} "
        f"scores. As of {report['input']['as_of']}: {report['input']['pupils']:,} "
        f"registrations still there, {report['input']['positives']:,} withdraw later "
        f"({report['input']['prevalence'] * 100:.1f} %).",
        "",
        "| method | ROC AUC | precision@10 % | recall@10 % | flagged | precision (flag) | "
        "recall (flag) | Brier | flagged before withdrawal | median lead (days) | Q1–Q3 | "
        "others ever flagged |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for method in report["methods"]:
        at_10 = next(entry for entry in method["at_capacity"] if entry["capacity"] == 0.10)
        lead = method["lead_time"]
        brier = method["calibration"]["brier"]
        lines.append(
            f"| {method['name']} | {method['auc']:.3f} | {_share(at_10['precision'])} | "
            f"{_share(at_10['recall'])} | {_share(method['flag']['share_selected'])} | "
            f"{_share(method['flag']['precision'])} | {_share(method['flag']['recall'])} | "
            f"{'—' if brier is None else f'{brier:.3f}'} | "
            f"{_share(lead['share_flagged_before_outcome'])} | {_days(lead['median_days'])} | "
            f"{_days(lead['q1_days'])}–{_days(lead['q3_days'])} | "
            f"{_share(lead['negatives_ever_flagged'])} |"
        )
    lines += [
        "",
        "Fairness at 10 % capacity — recall gap / false-positive-rate gap between groups "
        "(groups of fewer than 10 left out of the gaps):",
        "",
        "| method | " + " | ".join(oulad.FAIRNESS_GROUPS) + " |",
        "|---|" + "---|" * len(oulad.FAIRNESS_GROUPS),
    ]
    for method in report["methods"]:
        cells = []
        for group in oulad.FAIRNESS_GROUPS:
            entry = method["fairness"][group]["capacity"]["0.1"]
            cells.append(
                f"{_share(entry['recall_gap'])} / {_share(entry['false_positive_rate_gap'])}"
            )
        lines.append(f"| {method['name']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Notes: OULAD is distance higher education, not secondary school; the mapping of "
        "assessments to absences, lateness and marks is ours (docs/detection/backtest.md). "
        "The models read only the engine's indicators (never gender, age, disability, "
        "deprivation or region, which serve the fairness table only).",
        "",
    ]
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
