"""What every count of cache lookups derives from its hits and misses."""

from __future__ import annotations


class HitRatio:
    """``requests`` and ``hit_ratio`` of anything that counts ``hits`` and ``misses``."""

    hits: int
    misses: int

    @property
    def requests(self) -> int:
        return self.hits + self.misses

    @property
    def hit_ratio(self) -> float:
        """Hits over lookups (0.0 before the first lookup)."""
        return self.hits / self.requests if self.requests else 0.0
