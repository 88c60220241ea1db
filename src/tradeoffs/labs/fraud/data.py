"""A time-based split of the simulated transactions, as a deployed model meets them.

Days are laid out in order: a **burn-in** (history for the rolling windows, not used
for training), a **train** period, a **validation** period (to choose thresholds and the
cascade's band), a **delay** (the model is deployed at its start, but the labels of
these days are not known yet: fraud is confirmed days after it happens), then the
**test** period the model is scored on. Nothing from a later period ever reaches an
earlier one: a random shuffle split would let the model learn from the future
(compromised terminals span weeks), and its scores would be too good.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from tradeoffs.labs.fraud.features import DELAY_DAYS, offline_features
from tradeoffs.labs.fraud.simulate import SimConfig, Transactions, simulate

__all__ = ["Dataset", "Split", "SplitConfig", "make_dataset"]


@dataclass(frozen=True)
class SplitConfig:
    """Lengths of the periods, in days, in order: burn-in, train, validation, delay, test."""

    burn_in_days: int = 35
    train_days: int = 14
    val_days: int = 7
    delay_days: int = DELAY_DAYS
    test_days: int = 7

    def __post_init__(self) -> None:
        for name in ("burn_in_days", "train_days", "val_days", "delay_days", "test_days"):
            value = getattr(self, name)
            minimum = 0 if name in ("burn_in_days", "delay_days") else 1
            if not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")

    @property
    def total_days(self) -> int:
        return (
            self.burn_in_days + self.train_days + self.val_days + self.delay_days + self.test_days
        )

    def bounds(self) -> dict[str, tuple[int, int]]:
        """Each period's [first day, last day + 1)."""
        out: dict[str, tuple[int, int]] = {}
        start = 0
        for name, length in (
            ("burn_in", self.burn_in_days),
            ("train", self.train_days),
            ("val", self.val_days),
            ("delay", self.delay_days),
            ("test", self.test_days),
        ):
            out[name] = (start, start + length)
            start += length
        return out


@dataclass(frozen=True)
class Split:
    """One period: features, labels, amounts and the keys of its transactions."""

    X: NDArray[np.float64]
    y: NDArray[np.bool_]
    amount_usd: NDArray[np.float64]
    day: NDArray[np.int64]
    customer_id: NDArray[np.int64]
    tx_id: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.y.size)

    @property
    def fraud_rate(self) -> float:
        return float(self.y.mean()) if len(self) else 0.0

    @property
    def n_days(self) -> int:
        return int(np.unique(self.day).size)


@dataclass(frozen=True)
class Dataset:
    """Simulated transactions, their features, and the train/validation/test periods."""

    transactions: Transactions
    features: NDArray[np.float64]
    split: SplitConfig
    train: Split
    val: Split
    test: Split

    @property
    def seed(self) -> int:
        return self.transactions.seed

    def period(self, name: str) -> Transactions:
        """The raw transactions of one period ("burn_in", "train", "val", "delay", "test")."""
        lo, hi = self.split.bounds()[name]
        tx = self.transactions
        return tx.subset((tx.day >= lo) & (tx.day < hi))

    def before(self, name: str) -> Transactions:
        """Every transaction before the first day of period ``name`` (a service's history)."""
        lo, _ = self.split.bounds()[name]
        tx = self.transactions
        return tx.subset(tx.day < lo)


def make_dataset(
    config: SimConfig | None = None, seed: int = 0, split: SplitConfig | None = None
) -> Dataset:
    """Simulate as many days as ``split`` needs, compute the features, cut the periods."""
    split = split or SplitConfig()
    config = config or SimConfig()
    if config.n_days != split.total_days:
        config = replace(config, n_days=split.total_days)
    tx = simulate(config, seed)
    X = offline_features(tx, split.delay_days)
    bounds = split.bounds()

    def cut(name: str) -> Split:
        lo, hi = bounds[name]
        mask = (tx.day >= lo) & (tx.day < hi)
        return Split(
            X[mask], tx.is_fraud[mask], tx.amount_usd[mask], tx.day[mask],
            tx.customer_id[mask], tx.tx_id[mask],
        )  # fmt: skip

    return Dataset(tx, X, split, cut("train"), cut("val"), cut("test"))
