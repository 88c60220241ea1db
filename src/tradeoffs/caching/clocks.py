"""Clocks: :class:`FakeClock`, a clock you advance by hand, so TTL behaviour is exact."""

from __future__ import annotations

import threading

from tradeoffs._validate import non_negative as _non_negative

__all__ = ["FakeClock"]


class FakeClock:
    """A clock that only moves when told to: call it for the time in seconds.

    Pass it as a cache's timer (``LocalCache(..., clock=clock)``) and TTL expiry happens
    exactly when the test says, not when the machine gets round to it.
    """

    def __init__(self, start_s: float = 0.0) -> None:
        self._now_s = float(start_s)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now_s

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (>= 0); returns the new time."""
        step = _non_negative(seconds, "seconds")
        with self._lock:
            self._now_s += step
            return self._now_s

    def set(self, now_s: float) -> None:
        """Jump to ``now_s``; time never goes backwards."""
        with self._lock:
            if float(now_s) < self._now_s:
                raise ValueError(f"the clock cannot go back from {self._now_s} to {now_s}")
            self._now_s = float(now_s)

    def __repr__(self) -> str:
        return f"FakeClock(now_s={self._now_s!r})"
