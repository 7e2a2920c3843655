"""Benchmark problems: synthetic functions with known optima and two real scikit-learn models.

Every problem is minimised. ``optimum`` is the known minimum, or ``None`` for the real models,
whose optimum is estimated as the best value any optimiser found in the same run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tunesmith.domain.enums import ScalingType
from tunesmith.space import (
    CategoricalParameter,
    Config,
    ContinuousParameter,
    IntegerParameter,
    SearchSpace,
)

LOG = ScalingType.LOGARITHMIC


@dataclass(frozen=True)
class Problem:
    name: str
    space: SearchSpace
    fn: Callable[[Config], float]
    optimum: float | None


def _vec(c: Config, n: int) -> np.ndarray:
    return np.array([float(c[f"x{i}"]) for i in range(n)])


def _box(n: int, low: float, high: float) -> SearchSpace:
    return SearchSpace(tuple(ContinuousParameter(f"x{i}", low, high) for i in range(n)))


def branin(c: Config) -> float:
    x1, x2 = float(c["x0"]), float(c["x1"])
    b, cc, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + cc * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(c: Config) -> float:
    x = _vec(c, 6)
    return float(-(_H6_ALPHA * np.exp(-(_H6_A * (x - _H6_P) ** 2).sum(1))).sum())


def rosenbrock4(c: Config) -> float:
    x = _vec(c, 4)
    return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())


def levy10(c: Config) -> float:
    w = 1 + (_vec(c, 10) - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = ((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)).sum()
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


MIXED_SPACE = SearchSpace(
    (
        IntegerParameter("layers", 1, 8),
        IntegerParameter("width", 8, 1024, LOG),
        ContinuousParameter("lr", 1e-5, 1.0, LOG),
        ContinuousParameter("momentum", 0.5, 0.999, ScalingType.REVERSE_LOGARITHMIC),
        ContinuousParameter("dropout", 0.0, 0.5),
        CategoricalParameter("optimizer", ("sgd", "adam", "rmsprop", "adagrad")),
    )
)


def mixed(c: Config) -> float:
    """Optimum 0 at layers=3, width=128, lr=1e-3, momentum=0.99, dropout=0.1, adam."""
    cat = {"sgd": 0.8, "adam": 0.0, "rmsprop": 0.3, "adagrad": 1.2}[str(c["optimizer"])]
    return (
        0.15 * (int(c["layers"]) - 3) ** 2
        + 0.2 * math.log2(int(c["width"]) / 128) ** 2
        + math.log10(float(c["lr"]) / 1e-3) ** 2 * (1.5 if c["optimizer"] == "sgd" else 1.0)
        + 0.5 * math.log10((1 - float(c["momentum"])) / 0.01) ** 2
        + 4 * (float(c["dropout"]) - 0.1) ** 2
        + cat
    )


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x, y = x[:1000], y[:1000]  # a cheaper model, same landscape shape
    return tuple(train_test_split(x / 16.0, y, test_size=0.3, random_state=0, stratify=y))


def svm_digits(c: Config) -> float:
    """Validation error of an RBF SVM on the digits data (fixed 70/30 split)."""
    from sklearn.svm import SVC

    xtr, xva, ytr, yva = _digits()
    model = SVC(C=float(c["C"]), gamma=float(c["gamma"]), kernel="rbf")
    return float(1.0 - model.fit(xtr, ytr).score(xva, yva))


@lru_cache(maxsize=1)
def _cancer() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    return tuple(train_test_split(x, y, test_size=0.3, random_state=0, stratify=y))


def hgb_cancer(c: Config) -> float:
    """Validation log-loss of histogram gradient boosting on breast cancer (fixed split)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import log_loss

    xtr, xva, ytr, yva = _cancer()
    model = HistGradientBoostingClassifier(
        learning_rate=float(c["learning_rate"]),
        max_leaf_nodes=int(c["max_leaf_nodes"]),
        min_samples_leaf=int(c["min_samples_leaf"]),
        l2_regularization=float(c["l2_regularization"]),
        max_features=float(c["max_features"]),
        max_iter=40,
        early_stopping=False,
        random_state=0,
    )
    return float(log_loss(yva, model.fit(xtr, ytr).predict_proba(xva)))


PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        Problem(
            "branin",
            SearchSpace((ContinuousParameter("x0", -5, 10), ContinuousParameter("x1", 0, 15))),
            branin,
            0.397887,
        ),
        Problem("hartmann6", _box(6, 0, 1), hartmann6, -3.322368),
        Problem("rosenbrock4", _box(4, -5, 10), rosenbrock4, 0.0),
        Problem("levy10", _box(10, -10, 10), levy10, 0.0),
        Problem("mixed", MIXED_SPACE, mixed, 0.0),
        Problem(
            "svm_digits",
            SearchSpace(
                (
                    ContinuousParameter("C", 1e-3, 1e4, LOG),
                    ContinuousParameter("gamma", 1e-5, 10, LOG),
                )
            ),
            svm_digits,
            None,
        ),
        Problem(
            "hgb_cancer",
            SearchSpace(
                (
                    IntegerParameter("max_leaf_nodes", 2, 128, LOG),
                    IntegerParameter("min_samples_leaf", 1, 64, LOG),
                    ContinuousParameter("learning_rate", 1e-3, 1.0, LOG),
                    ContinuousParameter("l2_regularization", 1e-6, 10.0, LOG),
                    ContinuousParameter("max_features", 0.1, 1.0),
                )
            ),
            hgb_cancer,
            None,
        ),
    )
}
