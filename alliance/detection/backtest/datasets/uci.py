"""UCI Student Performance (Cortez & Silva 2008): the paper's protocol and baselines.

Outcome: fail = G3 under 10. Setups (Table 3 of the paper): B = every input but G2 and
G3; C = every input but G1, G2 and G3. Protocol: 10-fold cross-validation, repeated
(20 runs in the paper), accuracy (PCC) at the 0.5 cut, mean ± 95 % t-interval.

Two input sets are measured:

- ``product``: what Alliance's own model may read. The columns a school holds about a
  pupil (past failures, absences, school support, wish to go on to higher education, the
  school, and G1 in setup B); the rest is left out either as a protected characteristic
  (sex, age, address, health: refused by name), or as family and private-life data a
  school file should not hold (parents' jobs and education, family size and
  cohabitation, guardian, alcohol use, romantic relationship, home internet, paid
  classes, free time…: CNIL guidance, school files hold objective data only).
- ``paper``: every input of the setup, protected ones included, as the paper did. Used
  only to replicate the paper's accuracy and to say how far the minimised model is from
  it; never offered by the product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from alliance.detection.backtest.data import read_csv
from alliance.detection.backtest.features import table_design
from alliance.detection.backtest.metrics import accuracy, mean_and_interval
from alliance.detection.backtest.model import MODELS, out_of_fold
from alliance.detection.backtest.run import table_inputs

Subject = Literal["mat", "por"]
Setup = Literal["B", "C"]
InputSet = Literal["product", "paper"]

TARGET = "G3"
POSITIVE = "<10"
#: Grades each setup leaves out (G3 is the outcome).
SETUP_EXCLUDED: dict[str, tuple[str, ...]] = {"A": (), "B": ("G2",), "C": ("G1", "G2")}
#: Family and private-life data a school file should not hold (not school data).
NOT_SCHOOL_DATA: tuple[str, ...] = (
    "famsize",
    "Pstatus",
    "Medu",
    "Fedu",
    "Mjob",
    "Fjob",
    "reason",
    "guardian",
    "traveltime",
    "studytime",
    "famsup",
    "paid",
    "activities",
    "nursery",
    "internet",
    "romantic",
    "famrel",
    "freetime",
    "goout",
    "Dalc",
    "Walc",
)
#: For the fairness report: sex, home address (urban or rural), mother's education
#: (a proxy of social background). Never inputs.
FAIRNESS_GROUPS: tuple[str, ...] = ("sex", "address", "Medu")
SUBJECT_FILE = {"mat": "student-mat.csv", "por": "student-por.csv"}
SUBJECT_NAME = {"mat": "Mat", "por": "Por"}
METHODS = ("NV", "NN", "SVM", "DT", "RF")


def load(directory: Path, subject: Subject) -> pl.DataFrame:
    return read_csv(directory / SUBJECT_FILE[subject], separator=";")


def excluded_columns(setup: str, inputs: InputSet = "product") -> list[str]:
    grades = list(SETUP_EXCLUDED[setup])
    return grades if inputs == "paper" else grades + list(NOT_SCHOOL_DATA)


def design(frame: pl.DataFrame, setup: str, inputs: InputSet) -> tuple[np.ndarray, list[str]]:
    """The model's matrix: for ``product`` through the same column choice as the backtest
    command (protected characteristics refused by name)."""
    exclude = excluded_columns(setup, inputs)
    if inputs == "product":
        columns, _ = table_inputs(frame.columns, target=TARGET, groups=[], exclude=exclude)
    else:
        columns = [column for column in frame.columns if column not in (TARGET, *exclude)]
    matrix, _ = table_design(frame, columns)
    return matrix.to_numpy().astype(float), columns


def outcome(frame: pl.DataFrame) -> np.ndarray:
    return (frame.get_column(TARGET) < 10).cast(pl.Int64).to_numpy()


@dataclass(frozen=True)
class Replication:
    subject: str
    setup: str
    inputs: str
    model: str
    runs: list[float]
    mean: float
    half_interval: float
    columns: list[str]


def replicate(
    directory: Path,
    subject: Subject,
    setup: Setup,
    *,
    repeats: int,
    folds: int = 10,
    inputs: InputSet = "product",
    model: str = "logistic",
    first_seed: int = 0,
) -> Replication:
    """The paper's protocol: ``repeats`` runs of ``folds``-fold cross-validation, PCC of the
    out-of-fold calibrated probabilities at 0.5, one run per seed."""
    frame = load(directory, subject)
    x, columns = design(frame, setup, inputs)
    y = outcome(frame)
    runs = []
    for seed in range(first_seed, first_seed + repeats):
        probability, _ = out_of_fold(MODELS[model], x, y, folds=folds, seed=seed)
        runs.append(accuracy(y, probability))
    mean, half = mean_and_interval(runs)
    return Replication(subject, setup, inputs, model, runs, mean, half, columns)


@dataclass(frozen=True)
class PaperResult:
    method: str
    pcc: float
    interval: float


def paper_table3(source_md: Path) -> dict[tuple[str, str], dict[str, PaperResult]]:
    """Table 3 (binary pass/fail, PCC %) as SOURCE.md gives it: {(subject, setup): {method:
    result}}, with the ± of each method."""
    text = source_md.read_text(encoding="utf-8")
    start = text.index("Table 3")
    end = text.index("Table 4", start)
    section = text[start:end]
    values: dict[tuple[str, str], dict[str, float]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 11 and cells[0] in ("A", "B", "C"):
            numbers = [float(re.sub(r"[^0-9.]", "", cell)) for cell in cells[1:]]
            values[("mat", cells[0])] = dict(zip(METHODS, numbers[:5], strict=True))
            values[("por", cells[0])] = dict(zip(METHODS, numbers[5:], strict=True))
    intervals: dict[tuple[str, str], list[float]] = {}
    flat = " ".join(section.split())
    for subject, label in (("mat", "Mat"), ("por", "Por")):
        match = re.search(label + r" A ([\d./]+); B ([\d./]+); C ([\d./]+)", flat)
        if match is None:
            raise ValueError(f"{source_md}: no ± values for {label} in Table 3")
        for setup, group in zip(("A", "B", "C"), match.groups(), strict=True):
            intervals[(subject, setup)] = [float(part) for part in group.strip(".").split("/")]
    table: dict[tuple[str, str], dict[str, PaperResult]] = {}
    for key, methods in values.items():
        table[key] = {
            method: PaperResult(method, pcc, intervals[key][index])
            for index, (method, pcc) in enumerate(methods.items())
        }
    return table


def paper_best(source_md: Path, subject: str, setup: str) -> PaperResult:
    """The paper's best accuracy for a subject and setup, with that method's ±."""
    results = paper_table3(source_md)[(subject, setup)]
    return max(results.values(), key=lambda result: result.pcc)
