"""The candidate models, trained on the time-based split, and leaner ways to call them.

- ``"logistic"``: standardised features, scikit-learn's ``LogisticRegression``: fast,
  cheap, a linear boundary;
- ``"boosting"``: ``HistGradientBoostingClassifier`` (gradient-boosted trees, binned
  features);
- ``"forest"``: ``RandomForestClassifier``: an ensemble of deep trees, the most accurate
  here and the slowest to call one row at a time.

All are trained with one thread per library (threadpoolctl) unless ``n_jobs`` says
otherwise, and the forest is left with ``n_jobs=1`` so that it predicts as a service
calls it. :func:`fraud_probability` scores a matrix.

Leaner inference paths compute exactly the same probabilities with less per-call work:
:class:`LeanLogistic` folds the scaler into the weights and evaluates one dot product;
:class:`FlatForest` lays every tree of a fitted forest out in flat arrays (from the
public ``tree_`` attributes) and walks all trees at once with numpy, instead of
calling ``predict_proba`` of each tree through joblib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

__all__ = [
    "MODEL_NAMES",
    "FlatForest",
    "LeanLogistic",
    "ModelName",
    "fraud_probability",
    "make_model",
    "train_model",
]

ModelName = Literal["logistic", "boosting", "forest"]
MODEL_NAMES: tuple[ModelName, ...] = ("logistic", "boosting", "forest")


def make_model(name: ModelName, seed: int = 0, n_jobs: int = 1) -> Any:
    """An unfitted scikit-learn estimator for ``name`` (see the module docstring)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1_000))
    if name == "boosting":
        return HistGradientBoostingClassifier(
            max_iter=150,
            learning_rate=0.05,
            min_samples_leaf=100,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
    if name == "forest":
        return RandomForestClassifier(
            n_estimators=50,
            min_samples_leaf=3,
            max_features=0.5,
            max_samples=0.3,
            n_jobs=n_jobs,
            random_state=seed,
        )
    raise ValueError(f"unknown model {name!r}: use one of {MODEL_NAMES}")


def train_model(
    name: ModelName, X: NDArray[np.float64], y: NDArray[np.bool_], seed: int = 0, n_jobs: int = 1
) -> Any:
    """Fit model ``name`` on ``(X, y)``, one thread per library (``n_jobs`` for the forest)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=bool)
    if X.ndim != 2 or X.shape[0] != y.size:
        raise ValueError(f"X must be 2-D with one row per label, got {X.shape} and {y.shape}")
    if y.all() or not y.any():
        raise ValueError("the training labels hold a single class: simulate more days")
    model = make_model(name, seed, n_jobs)
    with threadpool_limits(1):
        model.fit(X, y)
    if name == "forest":
        model.set_params(n_jobs=1)
    return model


def fraud_probability(model: Any, X: NDArray[np.float64]) -> NDArray[np.float64]:
    """The model's probability of fraud for each row of ``X``."""
    proba = model.predict_proba(np.asarray(X, dtype=np.float64))
    return np.ascontiguousarray(proba[:, 1])


@dataclass(frozen=True)
class LeanLogistic:
    """A fitted scaler + logistic regression as one weight vector and a bias."""

    weights: NDArray[np.float64]
    bias: float

    @classmethod
    def from_pipeline(cls, model: Any) -> LeanLogistic:
        """From ``make_model("logistic")`` after fitting (StandardScaler, LogisticRegression)."""
        scaler, lr = model[0], model[-1]
        coef = lr.coef_[0] / scaler.scale_
        bias = float(lr.intercept_[0] - np.dot(coef, scaler.mean_))
        return cls(np.ascontiguousarray(coef), bias)

    def predict_one(self, x: NDArray[np.float64]) -> float:
        """Probability of fraud for one feature row (a 1-D array)."""
        z = float(self.weights @ x) + self.bias
        return 1.0 / (1.0 + math.exp(-z)) if z >= -700 else 0.0

    def predict(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Probabilities for the rows of ``X`` (2-D)."""
        z = np.asarray(X, dtype=np.float64) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class FlatForest:
    """Every tree of a fitted random forest in flat arrays, walked all at once.

    Leaves point to themselves (with an infinite threshold), so ``depth`` steps of
    "go left if x[feature] <= threshold" bring every tree to its leaf without a branch.
    Inputs are rounded to float32 first, as scikit-learn's trees do, so the
    probabilities are the forest's own.
    """

    feature: NDArray[np.int64]
    threshold: NDArray[np.float64]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    leaf_value: NDArray[np.float64]
    roots: NDArray[np.int64]
    depth: int

    @classmethod
    def from_forest(cls, model: Any) -> FlatForest:
        """From a fitted ``RandomForestClassifier`` (or ExtraTrees) with classes 0/1."""
        if not hasattr(model, "estimators_"):
            raise TypeError(f"expected a fitted forest, got {type(model).__name__}")
        if list(model.classes_) != [False, True] and list(model.classes_) != [0, 1]:
            raise ValueError(f"expected classes [0, 1], got {list(model.classes_)}")
        parts: dict[str, list[NDArray[Any]]] = {
            k: [] for k in ("feature", "threshold", "left", "right", "value")
        }
        roots, offset, depth = [], 0, 0
        for est in model.estimators_:
            tree = est.tree_
            n = tree.node_count
            leaf = tree.children_left == -1
            own = np.arange(offset, offset + n)
            parts["feature"].append(np.where(leaf, 0, tree.feature))
            parts["threshold"].append(np.where(leaf, np.inf, tree.threshold))
            parts["left"].append(np.where(leaf, own, tree.children_left + offset))
            parts["right"].append(np.where(leaf, own, tree.children_right + offset))
            value = tree.value[:, 0, :]
            parts["value"].append(value[:, 1] / value.sum(axis=1))
            roots.append(offset)
            offset += n
            depth = max(depth, int(tree.max_depth))
        return cls(
            feature=np.concatenate(parts["feature"]).astype(np.int64),
            threshold=np.concatenate(parts["threshold"]).astype(np.float64),
            left=np.concatenate(parts["left"]).astype(np.int64),
            right=np.concatenate(parts["right"]).astype(np.int64),
            leaf_value=np.concatenate(parts["value"]).astype(np.float64),
            roots=np.asarray(roots, dtype=np.int64),
            depth=depth,
        )

    @property
    def n_trees(self) -> int:
        return int(self.roots.size)

    def predict_one(self, x: NDArray[np.float64]) -> float:
        """Probability of fraud for one feature row (a 1-D array)."""
        x = np.asarray(x, dtype=np.float32).astype(np.float64)
        idx = self.roots
        feature, threshold, left, right = self.feature, self.threshold, self.left, self.right
        for _ in range(self.depth):
            idx = np.where(x[feature[idx]] <= threshold[idx], left[idx], right[idx])
        return float(self.leaf_value[idx].mean())

    def predict(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Probabilities for the rows of ``X`` (2-D)."""
        X = np.asarray(X, dtype=np.float32).astype(np.float64)
        rows = np.arange(X.shape[0])[:, None]
        idx = np.broadcast_to(self.roots, (X.shape[0], self.n_trees))
        for _ in range(self.depth):
            go_left = X[rows, self.feature[idx]] <= self.threshold[idx]
            idx = np.where(go_left, self.left[idx], self.right[idx])
        return self.leaf_value[idx].mean(axis=1)
