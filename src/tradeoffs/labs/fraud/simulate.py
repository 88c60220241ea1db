"""A seeded, offline simulator of card transactions with fraud.

The design follows the simulator of the *Reproducible Machine Learning for Credit Card
Fraud Detection* handbook (Le Borgne et al., chapter 3), rewritten here, vectorised with
numpy and with its rates scaled to the size knobs:

- **customers** live at a point of a 100 x 100 map and have a spending profile: a mean
  amount (uniform in 5 to 100), a spread (half the mean) and a mean number of
  transactions per day (uniform in 0 to 4);
- **terminals** (card readers) sit at points of the same map; a customer pays only at the
  terminals within ``radius`` of home;
- every day each customer makes a Poisson number of transactions, at a time of day drawn
  around noon (normal, sd 20,000 s), for a normal amount (redrawn uniformly when
  negative), at a terminal drawn uniformly among the customer's;
- **fraud** comes from three scenarios:
  1. *large amounts*: every transaction above ``large_amount_usd`` is fraud;
  2. *compromised terminals*: every day about ``terminals_compromised_per_day`` terminals
     are compromised, and all their transactions of the next ``terminal_days`` days are
     fraud;
  3. *compromised cards*: every day about ``cards_compromised_per_day`` customers' cards
     are stolen; over the next ``card_days`` days, a third of their transactions are
     fraud, with amounts five times the customer's usual.

With the defaults the fraud rate is about 0.5% to 1% of transactions. Sizes are knobs:
``SimConfig(n_customers=..., n_terminals=..., n_days=...)``; the per-day rates of
compromises scale with the number of terminals and customers, so the fraud rate stays of
the same order at any size. The same config and seed always give the same transactions.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
from numpy.typing import NDArray

__all__ = ["SCENARIOS", "SECONDS_PER_DAY", "SimConfig", "Transactions", "simulate"]

SECONDS_PER_DAY = 86_400
SCENARIOS = ("legitimate", "large amount", "compromised terminal", "compromised card")
"""Names of ``Transactions.scenario`` codes 0..3."""


@dataclass(frozen=True)
class SimConfig:
    """Size knobs and fraud-scenario rates of the simulator (see the module docstring)."""

    n_customers: int = 2_000
    n_terminals: int = 4_000
    n_days: int = 70
    radius: float = 5.0
    large_amount_usd: float = 220.0
    terminals_compromised_per_1000: float = 0.13  # per day, per 1,000 terminals
    terminal_days: int = 28
    cards_compromised_per_1000: float = 0.45  # per day, per 1,000 customers
    card_days: int = 14
    card_fraud_share: float = 1 / 3
    card_amount_factor: float = 5.0

    def __post_init__(self) -> None:
        for name in ("n_customers", "n_terminals", "n_days", "terminal_days", "card_days"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if self.radius <= 0 or self.large_amount_usd <= 0 or self.card_amount_factor < 1:
            raise ValueError(
                "need radius > 0, large_amount_usd > 0 and card_amount_factor >= 1, got "
                f"{self.radius}, {self.large_amount_usd}, {self.card_amount_factor}"
            )
        if self.terminals_compromised_per_1000 < 0 or self.cards_compromised_per_1000 < 0:
            raise ValueError("compromise rates must not be negative")
        if not 0 <= self.card_fraud_share <= 1:
            raise ValueError(f"card_fraud_share must be in [0, 1], got {self.card_fraud_share}")

    def scaled(self, factor: float) -> SimConfig:
        """The same world with ``factor`` times as many customers and terminals."""
        return replace(
            self,
            n_customers=max(1, round(self.n_customers * factor)),
            n_terminals=max(1, round(self.n_terminals * factor)),
        )


@dataclass(frozen=True)
class Transactions:
    """Transactions in time order (one entry per transaction in every array).

    ``time_s`` is seconds since the start of day 0; ``day`` the day number; ``amount_usd``
    the amount; ``is_fraud`` the label and ``scenario`` which scenario made it fraud
    (0 = legitimate, see :data:`SCENARIOS`). ``customer_xy`` / ``terminal_xy`` are the map
    positions, indexed by id.
    """

    tx_id: NDArray[np.int64]
    time_s: NDArray[np.int64]
    day: NDArray[np.int64]
    customer_id: NDArray[np.int64]
    terminal_id: NDArray[np.int64]
    amount_usd: NDArray[np.float64]
    is_fraud: NDArray[np.bool_]
    scenario: NDArray[np.int8]
    customer_xy: NDArray[np.float64]
    terminal_xy: NDArray[np.float64]
    config: SimConfig
    seed: int

    def __len__(self) -> int:
        return int(self.tx_id.size)

    @property
    def fraud_rate(self) -> float:
        return float(self.is_fraud.mean()) if len(self) else 0.0

    def subset(self, mask: NDArray[np.bool_]) -> Transactions:
        """The transactions where ``mask`` is true (maps and config kept)."""
        per_tx = {
            f.name: getattr(self, f.name)[mask]
            for f in fields(self)
            if f.name not in ("customer_xy", "terminal_xy", "config", "seed")
        }
        return replace(self, **per_tx)

    def scenario_counts(self) -> dict[str, int]:
        """Number of transactions per scenario name."""
        counts = np.bincount(self.scenario, minlength=len(SCENARIOS))
        return {name: int(c) for name, c in zip(SCENARIOS, counts, strict=True)}


def _terminals_near(
    customer_xy: NDArray[np.float64], terminal_xy: NDArray[np.float64], radius: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """CSR lists of the terminals within ``radius`` of each customer: (indptr, indices)."""
    indptr = np.zeros(customer_xy.shape[0] + 1, dtype=np.int64)
    chunks: list[NDArray[np.int64]] = []
    step = max(1, 2_000_000 // max(1, terminal_xy.shape[0]))
    for start in range(0, customer_xy.shape[0], step):
        block = customer_xy[start : start + step]
        d2 = ((block[:, None, :] - terminal_xy[None, :, :]) ** 2).sum(axis=2)
        rows, cols = np.nonzero(d2 < radius * radius)
        chunks.append(cols.astype(np.int64))
        indptr[start + 1 : start + 1 + block.shape[0]] = np.bincount(rows, minlength=block.shape[0])
    np.cumsum(indptr, out=indptr)
    indices = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    return indptr, indices


def simulate(config: SimConfig | None = None, seed: int = 0) -> Transactions:
    """Simulate ``config.n_days`` days of transactions; deterministic for a seed."""
    cfg = config or SimConfig()
    rng = np.random.default_rng(seed)
    nc, nt, nd = cfg.n_customers, cfg.n_terminals, cfg.n_days
    customer_xy = rng.uniform(0, 100, (nc, 2))
    mean_amount = rng.uniform(5, 100, nc)
    std_amount = mean_amount / 2
    tx_per_day = rng.uniform(0, 4, nc)
    terminal_xy = rng.uniform(0, 100, (nt, 2))
    indptr, near = _terminals_near(customer_xy, terminal_xy, cfg.radius)
    n_near = np.diff(indptr)

    # Poisson activity per customer and day; customers without a terminal nearby never pay.
    counts = rng.poisson(np.broadcast_to(tx_per_day[:, None], (nc, nd)))
    counts[n_near == 0, :] = 0
    cust = np.repeat(np.repeat(np.arange(nc), nd), counts.ravel())
    day = np.repeat(np.tile(np.arange(nd), nc), counts.ravel())
    n = cust.size
    tod = np.clip(np.rint(rng.normal(SECONDS_PER_DAY / 2, 20_000, n)), 0, SECONDS_PER_DAY - 1)
    time_s = day * SECONDS_PER_DAY + tod.astype(np.int64)
    amount = rng.normal(mean_amount[cust], std_amount[cust])
    negative = amount < 0
    amount[negative] = rng.uniform(0, 2 * mean_amount[cust[negative]])
    amount = np.round(amount, 2)
    pick = np.minimum((rng.random(n) * n_near[cust]).astype(np.int64), n_near[cust] - 1)
    terminal = near[indptr[cust] + pick]

    order = np.lexsort((cust, time_s))
    cust, day, time_s, amount, terminal = (
        cust[order],
        day[order],
        time_s[order],
        amount[order],
        terminal[order],
    )
    scenario = np.zeros(n, dtype=np.int8)

    # 1. large amounts
    scenario[amount > cfg.large_amount_usd] = 1
    # 2. compromised terminals: all their transactions for terminal_days days
    per_day = cfg.terminals_compromised_per_1000 * nt / 1000
    for d in range(nd):
        for t in rng.choice(nt, size=min(nt, rng.poisson(per_day)), replace=False):
            hit = (terminal == t) & (day >= d) & (day < d + cfg.terminal_days)
            scenario[hit & (scenario == 0)] = 2
    # 3. compromised cards: a share of their transactions, with inflated amounts
    per_day = cfg.cards_compromised_per_1000 * nc / 1000
    for d in range(nd):
        for c in rng.choice(nc, size=min(nc, rng.poisson(per_day)), replace=False):
            rows = np.flatnonzero((cust == c) & (day >= d) & (day < d + cfg.card_days))
            if rows.size == 0:
                continue
            k = int(round(rows.size * cfg.card_fraud_share))
            chosen = rng.choice(rows, size=k, replace=False)
            chosen = chosen[scenario[chosen] == 0]
            amount[chosen] = np.round(amount[chosen] * cfg.card_amount_factor, 2)
            scenario[chosen] = 3
    return Transactions(
        tx_id=np.arange(n, dtype=np.int64),
        time_s=time_s.astype(np.int64),
        day=day.astype(np.int64),
        customer_id=cust.astype(np.int64),
        terminal_id=terminal.astype(np.int64),
        amount_usd=amount.astype(np.float64),
        is_fraud=scenario > 0,
        scenario=scenario,
        customer_xy=customer_xy,
        terminal_xy=terminal_xy,
        config=cfg,
        seed=int(seed),
    )
