"""Backtest metrics, each computed the same way for a rule set and for a model.

Ties are handled honestly. A rule set gives many pupils the same score, so "the top k" is
not one set of pupils: when the cut falls inside a group of equal scores, each pupil of
that group is selected with the same probability (the seats left divided by the group's
size), and precision, recall and the false-positive rate are their expected values under
a random order among equals. A perfect ranker and a model with distinct scores get the
plain values.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

FloatArray = NDArray[np.float64]


def roc_auc(y: NDArray[Any], score: NDArray[Any]) -> float | None:
    """ROC AUC (ties count one half); None when only one class is present."""
    y = np.asarray(y, dtype=int)
    if y.min(initial=0) == y.max(initial=0) or len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, np.asarray(score, dtype=float)))


def capacity_size(n: int, capacity: float) -> int:
    """How many pupils a capacity (a share of the pupils) lets the team examine."""
    return min(n, max(1, math.ceil(round(capacity * n, 9))))


def selection_probability(score: NDArray[Any], k: int) -> FloatArray:
    """Each pupil's chance of being in the top ``k`` under a random order among equals."""
    score = np.asarray(score, dtype=float)
    n = len(score)
    if k <= 0 or n == 0:
        return np.zeros(n)
    if k >= n:
        return np.ones(n)
    cut = np.sort(score)[::-1][k - 1]
    above = score > cut
    tied = score == cut
    seats = k - int(above.sum())
    probability = np.where(above, 1.0, 0.0)
    probability[tied] = seats / int(tied.sum())
    return probability


@dataclass(frozen=True)
class Confusion:
    """Expected counts of a (possibly fractional) selection."""

    selected: float
    true_positives: float
    positives: int
    negatives: int

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.selected if self.selected else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.positives if self.positives else None

    @property
    def false_positive_rate(self) -> float | None:
        false_positives = self.selected - self.true_positives
        return false_positives / self.negatives if self.negatives else None


def confusion(y: NDArray[Any], selected: NDArray[Any]) -> Confusion:
    y = np.asarray(y, dtype=int)
    selected = np.asarray(selected, dtype=float)
    return Confusion(
        selected=float(selected.sum()),
        true_positives=float((selected * y).sum()),
        positives=int(y.sum()),
        negatives=int(len(y) - y.sum()),
    )


def at_capacity(y: NDArray[Any], score: NDArray[Any], capacity: float) -> dict[str, Any]:
    """Precision and recall when the team examines the top ``capacity`` share of pupils."""
    k = capacity_size(len(y), capacity)
    result = confusion(y, selection_probability(score, k))
    return {
        "capacity": capacity,
        "k": k,
        "precision": result.precision,
        "recall": result.recall,
        "false_positive_rate": result.false_positive_rate,
    }


def brier(y: NDArray[Any], probability: NDArray[Any]) -> float:
    y = np.asarray(y, dtype=float)
    probability = np.asarray(probability, dtype=float)
    return float(np.mean((probability - y) ** 2))


def reliability_table(
    y: NDArray[Any], probability: NDArray[Any], bins: int = 10
) -> list[dict[str, Any]]:
    """Predicted against observed, in equal-width probability bins (empty bins left out)."""
    y = np.asarray(y, dtype=float)
    probability = np.asarray(probability, dtype=float)
    index = np.minimum((probability * bins).astype(int), bins - 1)
    rows = []
    for bin_index in range(bins):
        members = index == bin_index
        count = int(members.sum())
        if not count:
            continue
        rows.append(
            {
                "from": bin_index / bins,
                "to": (bin_index + 1) / bins,
                "n": count,
                "mean_predicted": float(probability[members].mean()),
                "observed_rate": float(y[members].mean()),
            }
        )
    return rows


def rate_by_score(y: NDArray[Any], score: NDArray[Any], max_rows: int = 10) -> list[dict[str, Any]]:
    """For a rule set's score (not a probability): the observed rate at each score level,
    or in score-quantile bands when there are many levels."""
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    levels = np.unique(score)
    if len(levels) <= max_rows:
        edges = [(float(level), float(level)) for level in levels]
    else:
        quantiles = np.unique(np.quantile(score, np.linspace(0, 1, max_rows + 1)))
        edges = [(float(low), float(high)) for low, high in itertools.pairwise(quantiles)]
    rows = []
    for position, (low, high) in enumerate(edges):
        if low == high:
            members = score == low
        elif position == len(edges) - 1:
            members = (score >= low) & (score <= high)
        else:
            members = (score >= low) & (score < high)
        count = int(members.sum())
        if count:
            rows.append(
                {
                    "from": low,
                    "to": high,
                    "n": count,
                    "observed_rate": float(y[members].mean()),
                }
            )
    return rows


def lead_time_summary(lead_days: list[float], positives: int) -> dict[str, Any]:
    """How long before the outcome the flagged positives were first flagged."""
    days = np.asarray(lead_days, dtype=float)
    bands = [(0, 30), (30, 60), (60, 90), (90, 180), (180, None)]
    histogram = []
    for low, high in bands:
        members = days >= low if high is None else (days >= low) & (days < high)
        label = f"{low}+" if high is None else f"{low}-{high}"
        histogram.append({"days": label, "n": int(members.sum())})
    summary: dict[str, Any] = {
        "positives": positives,
        "flagged_before_outcome": len(days),
        "share_flagged_before_outcome": len(days) / positives if positives else None,
        "histogram": histogram,
    }
    if len(days):
        summary.update(
            {
                "median_days": float(np.median(days)),
                "q1_days": float(np.quantile(days, 0.25)),
                "q3_days": float(np.quantile(days, 0.75)),
                "mean_days": float(days.mean()),
            }
        )
    else:
        summary.update(median_days=None, q1_days=None, q3_days=None, mean_days=None)
    return summary


def fairness(
    y: NDArray[Any],
    selected: NDArray[Any],
    groups: list[str],
    min_group_size: int = 10,
) -> dict[str, Any]:
    """Recall and false-positive rate per group, and the gaps (largest minus smallest)
    between the groups large enough to say something (``min_group_size`` pupils)."""
    y = np.asarray(y, dtype=int)
    selected = np.asarray(selected, dtype=float)
    labels = np.asarray(groups, dtype=object)
    rows: list[dict[str, Any]] = []
    for value in sorted(set(groups)):
        members = labels == value
        result = confusion(y[members], selected[members])
        rows.append(
            {
                "group": value,
                "n": int(members.sum()),
                "positives": result.positives,
                "selected": result.selected,
                "recall": result.recall,
                "false_positive_rate": result.false_positive_rate,
                "too_small": int(members.sum()) < min_group_size,
            }
        )
    usable = [row for row in rows if not row["too_small"]]
    recalls: list[float] = [row["recall"] for row in usable if row["recall"] is not None]
    rates: list[float] = [
        row["false_positive_rate"] for row in usable if row["false_positive_rate"] is not None
    ]
    return {
        "groups": rows,
        "recall_gap": max(recalls) - min(recalls) if len(recalls) >= 2 else None,
        "false_positive_rate_gap": max(rates) - min(rates) if len(rates) >= 2 else None,
        "min_group_size": min_group_size,
    }


def accuracy(y: NDArray[Any], probability: NDArray[Any], threshold: float = 0.5) -> float:
    """Percentage correctly classified (the paper's PCC) at ``threshold``."""
    y = np.asarray(y, dtype=int)
    predicted = (np.asarray(probability, dtype=float) >= threshold).astype(int)
    return float((predicted == y).mean() * 100)


def mean_and_interval(values: list[float]) -> tuple[float, float]:
    """Mean and half-width of the 95 % t confidence interval (the paper's ±)."""
    from scipy import stats

    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if len(data) < 2:
        return mean, 0.0
    half = float(stats.t.ppf(0.975, len(data) - 1) * data.std(ddof=1) / math.sqrt(len(data)))
    return mean, half
