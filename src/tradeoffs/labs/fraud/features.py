"""Features a scoring service can compute online, and the same features offline.

The handbook's feature set (chapter 3), all computable when a transaction arrives:

- ``amount_usd``, ``is_weekend``, ``is_night`` (before 06:00);
- the **customer's** number of transactions and mean amount over the last 1, 7 and 28
  days, the current transaction included;
- the **terminal's** number of transactions and fraud share ("risk") over 1, 7 and 28
  days, shifted back by the **label delay** (7 days by default): a fraud is only known
  once the card holder disputes it, so the window for a transaction at time ``t`` is
  ``(t - delay - w, t - delay]``.

:func:`offline_features` computes them for a whole :class:`Transactions` at once (numpy,
sorted keys and cumulative sums); :class:`OnlineFeatures` keeps per-customer and
per-terminal histories and computes one transaction's row when it arrives, as the
service does. The two agree exactly (a test holds them to it): any difference between
them would be training/serving skew.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
from numpy.typing import NDArray

from tradeoffs.labs.fraud.simulate import SECONDS_PER_DAY, Transactions

__all__ = [
    "DELAY_DAYS",
    "FEATURES",
    "WINDOWS_DAYS",
    "OnlineFeatures",
    "offline_features",
]

WINDOWS_DAYS = (1, 7, 28)
DELAY_DAYS = 7
FEATURES: tuple[str, ...] = (
    "amount_usd",
    "is_weekend",
    "is_night",
    *(f"customer_{k}_{w}d" for w in WINDOWS_DAYS for k in ("n", "mean_usd")),
    *(f"terminal_{k}_{w}d" for w in WINDOWS_DAYS for k in ("n", "risk")),
)


def _calendar(time_s: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    day = time_s // SECONDS_PER_DAY
    weekend = (day % 7 >= 5).astype(np.float64)
    night = (time_s % SECONDS_PER_DAY < 6 * 3600).astype(np.float64)
    return weekend, night


def offline_features(tx: Transactions, delay_days: int = DELAY_DAYS) -> NDArray[np.float64]:
    """The feature matrix (one row per transaction, columns :data:`FEATURES`)."""
    if delay_days < 0:
        raise ValueError(f"delay_days must be >= 0, got {delay_days}")
    n = len(tx)
    out = np.zeros((n, len(FEATURES)))
    out[:, 0] = tx.amount_usd
    out[:, 1], out[:, 2] = _calendar(tx.time_s)
    if n == 0:
        return out
    delay_s = delay_days * SECONDS_PER_DAY
    span = int(tx.time_s.max()) + (max(WINDOWS_DAYS) + delay_days + 2) * SECONDS_PER_DAY

    # Customers: windows (t - w, t] in (customer, time, id) order, the row itself included.
    order = np.lexsort((tx.tx_id, tx.time_s, tx.customer_id))
    keys = tx.customer_id[order] * span + tx.time_s[order]
    csum = np.concatenate(([0.0], np.cumsum(tx.amount_usd[order])))
    pos = np.arange(n)
    for j, w in enumerate(WINDOWS_DAYS):
        lo = np.searchsorted(keys, keys - w * SECONDS_PER_DAY, side="right")
        count = pos - lo + 1
        out[order, 3 + 2 * j] = count
        out[order, 4 + 2 * j] = (csum[pos + 1] - csum[lo]) / count

    # Terminals: windows (t - delay - w, t - delay], labels known after the delay.
    order = np.lexsort((tx.tx_id, tx.time_s, tx.terminal_id))
    keys = tx.terminal_id[order] * span + tx.time_s[order]
    fsum = np.concatenate(([0], np.cumsum(tx.is_fraud[order].astype(np.int64))))
    hi = np.searchsorted(keys, keys - delay_s, side="right")
    for j, w in enumerate(WINDOWS_DAYS):
        lo = np.searchsorted(keys, keys - delay_s - w * SECONDS_PER_DAY, side="right")
        count = hi - lo
        frauds = fsum[hi] - fsum[lo]
        out[order, 9 + 2 * j] = count
        out[order, 10 + 2 * j] = np.divide(
            frauds, count, out=np.zeros(n), where=count > 0, dtype=np.float64
        )
    return out


class OnlineFeatures:
    """Per-customer and per-terminal histories, updated as transactions arrive.

    ``observe(customer_id, terminal_id, time_s, amount_usd)`` records a transaction and
    returns its feature row (a 1-D float array in :data:`FEATURES` order). A terminal's
    fraud counts only use labelled transactions: load the history with
    :meth:`load_history` (labels included) and feed later labels with :meth:`label` as
    disputes come in. Transactions must arrive in time order per customer.
    """

    def __init__(self, delay_days: int = DELAY_DAYS) -> None:
        if delay_days < 0:
            raise ValueError(f"delay_days must be >= 0, got {delay_days}")
        self.delay_s = delay_days * SECONDS_PER_DAY
        # customer -> (times, cumulative amounts); terminal -> (times, cumulative frauds)
        self._cust: dict[int, tuple[list[int], list[float]]] = {}
        self._term: dict[int, tuple[list[int], list[int]]] = {}

    def __len__(self) -> int:
        return sum(len(t) for t, _ in self._cust.values())

    def load_history(self, tx: Transactions) -> OnlineFeatures:
        """Record every transaction of ``tx`` (in its order) with its label."""
        for c, t, a in zip(
            tx.customer_id.tolist(), tx.time_s.tolist(), tx.amount_usd.tolist(), strict=True
        ):
            self._add_customer(c, t, a)
        order = np.lexsort((tx.tx_id, tx.time_s))
        for term, t, f in zip(
            tx.terminal_id[order].tolist(),
            tx.time_s[order].tolist(),
            tx.is_fraud[order].tolist(),
            strict=True,
        ):
            self.label(term, t, bool(f))
        return self

    def _add_customer(self, customer_id: int, time_s: int, amount_usd: float) -> None:
        times, sums = self._cust.setdefault(customer_id, ([], []))
        if times and time_s < times[-1]:
            raise ValueError(
                f"customer {customer_id}: transaction at {time_s} s arrived after one at "
                f"{times[-1]} s; send each customer's transactions in time order"
            )
        times.append(time_s)
        sums.append((sums[-1] if sums else 0.0) + amount_usd)

    def label(self, terminal_id: int, time_s: int, is_fraud: bool) -> None:
        """A label became known for the transaction at ``terminal_id`` and ``time_s``."""
        times, frauds = self._term.setdefault(terminal_id, ([], []))
        if times and time_s < times[-1]:
            raise ValueError("labels must arrive in time order per terminal")
        times.append(time_s)
        frauds.append((frauds[-1] if frauds else 0) + int(is_fraud))

    def observe(
        self, customer_id: int, terminal_id: int, time_s: int, amount_usd: float
    ) -> NDArray[np.float64]:
        """Record the transaction and return its feature row."""
        self._add_customer(customer_id, time_s, amount_usd)
        return self.row(customer_id, terminal_id, time_s, amount_usd)

    def row(
        self, customer_id: int, terminal_id: int, time_s: int, amount_usd: float
    ) -> NDArray[np.float64]:
        """The feature row of a transaction already recorded (the last of its customer)."""
        out = np.empty(len(FEATURES))
        out[0] = amount_usd
        day = time_s // SECONDS_PER_DAY
        out[1] = 1.0 if day % 7 >= 5 else 0.0
        out[2] = 1.0 if time_s % SECONDS_PER_DAY < 6 * 3600 else 0.0
        times, sums = self._cust.get(customer_id, ([], []))
        end = len(times)
        total = sums[-1] if sums else 0.0
        for j, w in enumerate(WINDOWS_DAYS):
            lo = bisect_right(times, time_s - w * SECONDS_PER_DAY)
            count = end - lo
            out[3 + 2 * j] = count
            out[4 + 2 * j] = (total - (sums[lo - 1] if lo else 0.0)) / count if count else 0.0
        ttimes, frauds = self._term.get(terminal_id, ([], []))
        cut = time_s - self.delay_s
        hi = bisect_right(ttimes, cut)
        f_hi = frauds[hi - 1] if hi else 0
        for j, w in enumerate(WINDOWS_DAYS):
            lo = bisect_right(ttimes, cut - w * SECONDS_PER_DAY)
            count = hi - lo
            out[9 + 2 * j] = count
            out[10 + 2 * j] = (f_hi - (frauds[lo - 1] if lo else 0)) / count if count else 0.0
        return out

    def rows(self, tx: Transactions) -> NDArray[np.float64]:
        """:meth:`observe` each transaction of ``tx`` in order; the stacked rows."""
        return np.array(
            [
                self.observe(c, term, t, a)
                for c, term, t, a in zip(
                    tx.customer_id.tolist(),
                    tx.terminal_id.tolist(),
                    tx.time_s.tolist(),
                    tx.amount_usd.tolist(),
                    strict=True,
                )
            ]
        ).reshape(-1, len(FEATURES))
