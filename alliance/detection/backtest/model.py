"""The statistical model: cross-validated and calibrated, judged only out of fold.

Two models, both inside ``CalibratedClassifierCV`` (Platt scaling, internal 5-fold):
a logistic regression (missing values imputed by the median, with a missing-value flag;
standardised inputs) and a gradient-boosting classifier (histogram-based; missing values
handled natively). Every prediction a metric sees comes from a model that never saw that
pupil (``cross_val_predict`` over stratified, shuffled folds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

INNER_FOLDS = 5


@dataclass(frozen=True)
class ModelSpec:
    code: str
    name: str
    description: str
    factory: Callable[[int], BaseEstimator]


def logistic_model(seed: int = 0) -> BaseEstimator:
    base = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=5000),
    )
    return CalibratedClassifierCV(base, method="sigmoid", cv=INNER_FOLDS)


def boosting_model(seed: int = 0) -> BaseEstimator:
    base = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.1,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )
    return CalibratedClassifierCV(base, method="sigmoid", cv=INNER_FOLDS)


MODELS: dict[str, ModelSpec] = {
    "logistic": ModelSpec(
        "logistic",
        "Régression logistique calibrée",
        "Logistic regression (median imputation with missing-value flags, standardised "
        "inputs) inside CalibratedClassifierCV (sigmoid, 5 inner folds).",
        logistic_model,
    ),
    "boosting": ModelSpec(
        "boosting",
        "Gradient boosting calibré",
        "Histogram gradient boosting (100 trees of 15 leaves, learning rate 0.1) inside "
        "CalibratedClassifierCV (sigmoid, 5 inner folds).",
        boosting_model,
    ),
}


def usable_folds(y: NDArray[Any], folds: int) -> int:
    """Fewer folds when a class is too rare for ``folds`` folds with inner calibration."""
    counts = np.bincount(np.asarray(y, dtype=int), minlength=2)
    rarest = int(counts.min())
    # Each training part must still hold INNER_FOLDS members of the rarer class.
    possible = min(folds, rarest)
    while possible >= 2 and rarest - int(np.ceil(rarest / possible)) < INNER_FOLDS:
        possible -= 1
    return possible


def out_of_fold(
    spec: ModelSpec, x: NDArray[np.float64], y: NDArray[Any], *, folds: int, seed: int
) -> tuple[NDArray[np.float64], list[tuple[BaseEstimator, NDArray[np.int64]]]]:
    """Out-of-fold probabilities, and each fold's fitted model with its held-out indices."""
    y = np.asarray(y, dtype=int)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    probability = np.zeros(len(y), dtype=float)
    fitted: list[tuple[BaseEstimator, NDArray[np.int64]]] = []
    template = spec.factory(seed)
    # One thread per fit: on a small shared machine, OpenMP and BLAS threads
    # fight each other and the other processes (measured: 5x slower on 2 cores).
    with threadpool_limits(limits=1):
        for train, test in splitter.split(x, y):
            model = clone(template)
            model.fit(x[train], y[train])
            probability[test] = model.predict_proba(x[test])[:, 1]
            fitted.append((model, test))
    return probability, fitted
