"""A CDN in front of an origin: load left on the origin, latency users see, egress bills
(egress prices from :data:`tradeoffs.prices.EGRESS_USD_PER_GB`)."""

from __future__ import annotations

from dataclasses import dataclass

from tradeoffs import prices as price_book
from tradeoffs._validate import fraction as _fraction
from tradeoffs._validate import non_negative as _non_negative

__all__ = ["EdgeEstimate", "edge_model"]


@dataclass(frozen=True)
class EdgeEstimate:
    """A CDN in front of an origin: load left on the origin, latency users see, egress bills."""

    edge_hit_ratio: float
    origin_rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    egress_usd_per_month: float
    egress_without_cdn_usd_per_month: float


def edge_model(
    requests_per_s: float,
    edge_hit_ratio: float,
    object_kb: float,
    edge_rtt_ms: float = 15.0,
    origin_rtt_ms: float = 90.0,
    origin_service_ms: float = 30.0,
    prices: dict[str, float] | None = None,
) -> EdgeEstimate:
    """Model a CDN: a hit costs the user one round trip to the nearby edge; a miss adds the
    edge's round trip to the origin and the origin's service time.

    Percentiles are those of the two-point distribution (a request is a hit with probability
    ``edge_hit_ratio``). Egress per 730-hour month: every byte users get at the CDN price,
    plus the missed bytes from origin to edge; without a CDN, every byte at the origin's price.
    """
    rate = _non_negative(requests_per_s, "requests_per_s")
    h = _fraction(edge_hit_ratio, "edge_hit_ratio")
    kb = _non_negative(object_kb, "object_kb")
    pr = {**price_book.EGRESS_USD_PER_GB, **(prices or {})}
    hit_ms = _non_negative(edge_rtt_ms, "edge_rtt_ms")
    miss_ms = hit_ms + _non_negative(origin_rtt_ms, "origin_rtt_ms")
    miss_ms += _non_negative(origin_service_ms, "origin_service_ms")

    def pct(q: float) -> float:
        # nearest rank of a two-point distribution: the hits are the fast first h of it
        return hit_ms if q / 100.0 <= h else miss_ms

    gb_per_month = rate * kb * 1e3 * price_book.SECONDS_PER_MONTH / 1e9
    return EdgeEstimate(
        edge_hit_ratio=h,
        origin_rps=rate * (1.0 - h),
        p50_ms=pct(50),
        p99_ms=pct(99),
        mean_ms=h * hit_ms + (1 - h) * miss_ms,
        egress_usd_per_month=gb_per_month
        * (pr["cdn_to_internet"] + (1.0 - h) * pr["origin_to_cdn"]),
        egress_without_cdn_usd_per_month=gb_per_month * pr["origin_to_internet"],
    )
