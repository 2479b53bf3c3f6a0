"""Backtest metrics on small constructed examples with known answers."""

import numpy as np
import pytest

from alliance.detection.backtest import metrics

Y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])


def test_a_perfect_ranker():
    score = np.array([10, 9, 3, 8, 2, 1, 0, -1, -2, -3], dtype=float)
    assert metrics.roc_auc(Y, score) == 1.0
    at_30 = metrics.at_capacity(Y, score, 0.30)
    assert (at_30["k"], at_30["precision"], at_30["recall"]) == (3, 1.0, 1.0)
    at_20 = metrics.at_capacity(Y, score, 0.20)
    assert (at_20["k"], at_20["precision"], at_20["recall"]) == (2, 1.0, pytest.approx(2 / 3))
    assert at_20["false_positive_rate"] == 0.0


def test_a_reversed_ranker_and_a_constant_one():
    score = -np.array([10, 9, 3, 8, 2, 1, 0, -1, -2, -3], dtype=float)
    assert metrics.roc_auc(Y, score) == 0.0
    assert metrics.roc_auc(Y, np.zeros(10)) == 0.5


def test_auc_counts_a_known_pair_order():
    # positives 0.8, 0.4; negatives 0.6, 0.2: pairs won 3 of 4.
    assert metrics.roc_auc(np.array([1, 1, 0, 0]), np.array([0.8, 0.4, 0.6, 0.2])) == 0.75


def test_auc_undefined_with_one_class():
    assert metrics.roc_auc(np.zeros(5), np.arange(5)) is None


def test_ties_at_the_cut_are_shared_in_expectation():
    # The cut (k = 2) falls in a group of 4 equal scores holding 2 positives: one seat
    # among four, each pupil with probability 1/4.
    y = np.array([1, 1, 0, 1, 0, 0])
    score = np.array([5, 1, 1, 1, 1, 0], dtype=float)
    probability = metrics.selection_probability(score, 2)
    assert probability.tolist() == [1.0, 0.25, 0.25, 0.25, 0.25, 0.0]
    at = metrics.at_capacity(y, score, 2 / 6)
    assert at["precision"] == pytest.approx((1 + 0.25 * 2) / 2)
    assert at["recall"] == pytest.approx((1 + 0.25 * 2) / 3)


def test_capacity_sizes_round_up():
    assert metrics.capacity_size(395, 0.05) == 20
    assert metrics.capacity_size(395, 0.10) == 40
    assert metrics.capacity_size(10, 0.2) == 2
    assert metrics.capacity_size(3, 0.01) == 1


def test_brier_and_reliability():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.1, 0.6, 0.4])
    assert metrics.brier(y, p) == pytest.approx((0.01 + 0.01 + 0.16 + 0.16) / 4)
    table = metrics.reliability_table(y, p, bins=2)
    assert table == [
        {
            "from": 0.0,
            "to": 0.5,
            "n": 2,
            "mean_predicted": pytest.approx(0.25),
            "observed_rate": 0.0,
        },
        {
            "from": 0.5,
            "to": 1.0,
            "n": 2,
            "mean_predicted": pytest.approx(0.75),
            "observed_rate": 1.0,
        },
    ]


def test_rate_by_score_levels():
    y = np.array([1, 0, 1, 1, 0, 0])
    score = np.array([2, 2, 1, 1, 0, 0], dtype=float)
    assert metrics.rate_by_score(y, score) == [
        {"from": 0.0, "to": 0.0, "n": 2, "observed_rate": 0.0},
        {"from": 1.0, "to": 1.0, "n": 2, "observed_rate": 1.0},
        {"from": 2.0, "to": 2.0, "n": 2, "observed_rate": 0.5},
    ]


def test_fairness_gaps_on_a_constructed_example():
    # Group A: 4 positives, 3 flagged; 6 negatives, 1 flagged.
    # Group B: 2 positives, 1 flagged; 8 negatives, 4 flagged.
    group_a_y, group_b_y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    group_a_selected, group_b_selected = (
        [1, 1, 1, 0, 1, 0, 0, 0, 0, 0],
        [1, 0, 1, 1, 1, 1, 0, 0, 0, 0],
    )
    y = np.array([*group_a_y, *group_b_y])
    selected = np.array([*group_a_selected, *group_b_selected])
    groups = ["A"] * 10 + ["B"] * 10
    report = metrics.fairness(y, selected, groups, min_group_size=5)
    a, b = report["groups"]
    assert (a["recall"], a["false_positive_rate"]) == (0.75, pytest.approx(1 / 6))
    assert (b["recall"], b["false_positive_rate"]) == (0.5, 0.5)
    assert report["recall_gap"] == pytest.approx(0.25)
    assert report["false_positive_rate_gap"] == pytest.approx(0.5 - 1 / 6)


def test_small_groups_are_shown_but_not_in_the_gaps():
    y = np.array([1, 0, 1, 0, 1, 0, 1])
    selected = np.array([1, 0, 0, 0, 1, 1, 0])
    report = metrics.fairness(y, selected, ["A"] * 5 + ["B"] * 2, min_group_size=3)
    assert [row["too_small"] for row in report["groups"]] == [False, True]
    assert report["recall_gap"] is None


def test_lead_time_summary():
    summary = metrics.lead_time_summary([10, 40, 70, 200], positives=8)
    assert summary["flagged_before_outcome"] == 4
    assert summary["share_flagged_before_outcome"] == 0.5
    assert summary["median_days"] == 55
    assert [band["n"] for band in summary["histogram"]] == [1, 1, 1, 0, 1]


def test_accuracy_and_interval():
    assert metrics.accuracy(np.array([1, 0, 1, 0]), np.array([0.7, 0.2, 0.4, 0.5])) == 50.0
    mean, half = metrics.mean_and_interval([80.0, 82.0, 84.0])
    assert mean == 82.0
    assert half == pytest.approx(4.303 * 2 / np.sqrt(3), rel=1e-3)
