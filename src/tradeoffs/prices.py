"""The course's one price book: every lesson, widget and exercise prices from here.

All prices are **illustrative list prices**: round numbers of the order public clouds
charged in one region in the mid-2020s (on-demand, before discounts), chosen so the
trade-offs come out with realistic proportions. They are not a quote and they date
quickly: change a number here and every unit that uses it moves with it. To price your
own system, copy your provider's current price page into these tables.

Each table says when it was written (`AS_OF`) and what it was modelled on.
"""

from __future__ import annotations

from dataclasses import dataclass

AS_OF = "2026-11"
"""When these tables were last compared with public price pages."""

HOURS_PER_MONTH = 730.0
"""Hours in the average month (8,760 h / 12) that cloud bills use."""

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0


# ------------------------------------------------------------------------ compute


@dataclass(frozen=True)
class InstancePrice:
    """One machine type: its size and its on-demand price (US dollars per hour)."""

    name: str
    vcpus: int
    memory_gib: float
    cost_usd_per_hour: float
    gpus: int = 0


INSTANCES: dict[str, InstancePrice] = {
    p.name: p
    for p in (
        InstancePrice("general.large", vcpus=2, memory_gib=8, cost_usd_per_hour=0.10),
        InstancePrice("general.xlarge", vcpus=4, memory_gib=16, cost_usd_per_hour=0.20),
        InstancePrice("general.2xlarge", vcpus=8, memory_gib=32, cost_usd_per_hour=0.40),
        InstancePrice("compute.2xlarge", vcpus=8, memory_gib=16, cost_usd_per_hour=0.34),
        InstancePrice("gpu.xlarge", vcpus=4, memory_gib=16, cost_usd_per_hour=1.00, gpus=1),
    )
}
"""General-purpose and compute machines, modelled on the m/c families' per-vCPU prices
(about 0.05 USD per vCPU-hour) and a small single-GPU machine."""

VCPU_HOUR_USD: dict[str, float] = {
    "on-demand VM": 0.045,
    "spot VM": 0.015,
    "serverless function": 0.106,
}
"""USD per vCPU-hour by way of buying it: a general-purpose VM (2 vCPU at about
0.09 USD/h); the same VM preemptible (spot), about a third of the price; a function with
1 vCPU (1,769 MB at 0.0000166667 USD per GB-second)."""


# ------------------------------------------------------------------------ caches and databases


@dataclass(frozen=True)
class CacheNodePrice:
    """A managed cache node type (Redis/Valkey): usable memory and USD per hour."""

    name: str
    memory_gib: float
    cost_usd_per_hour: float


CACHE_NODES: dict[str, CacheNodePrice] = {
    p.name: p
    for p in (
        CacheNodePrice("cache.micro", memory_gib=0.5, cost_usd_per_hour=0.02),
        CacheNodePrice("cache.small", memory_gib=1.5, cost_usd_per_hour=0.04),
        CacheNodePrice("cache.medium", memory_gib=3.0, cost_usd_per_hour=0.07),
        CacheNodePrice("cache.large", memory_gib=6.5, cost_usd_per_hour=0.16),
        CacheNodePrice("cache.xlarge", memory_gib=13.0, cost_usd_per_hour=0.32),
        CacheNodePrice("cache.2xlarge", memory_gib=26.0, cost_usd_per_hour=0.64),
    )
}
"""Managed cache nodes, modelled on ElastiCache/Memorystore on-demand node prices."""


@dataclass(frozen=True)
class DatabasePrice:
    """A managed relational database instance: size, USD per hour, simple reads it serves."""

    name: str
    vcpus: int
    memory_gib: float
    cost_usd_per_hour: float
    capacity_qps: float  # simple indexed reads per second at full load (a rule of thumb)


DATABASES: dict[str, DatabasePrice] = {
    p.name: p
    for p in (
        DatabasePrice(
            "db.medium", vcpus=2, memory_gib=8, cost_usd_per_hour=0.18, capacity_qps=1_500
        ),
        DatabasePrice(
            "db.large", vcpus=2, memory_gib=16, cost_usd_per_hour=0.36, capacity_qps=3_000
        ),
        DatabasePrice(
            "db.xlarge", vcpus=4, memory_gib=32, cost_usd_per_hour=0.72, capacity_qps=6_000
        ),
    )
}
"""Managed PostgreSQL instances, modelled on RDS/Cloud SQL single-zone on-demand prices
(a multi-zone standby doubles the price)."""


# ------------------------------------------------------------------------ network and storage

EGRESS_USD_PER_GB: dict[str, float] = {
    "origin_to_internet": 0.09,
    "cdn_to_internet": 0.06,
    "origin_to_cdn": 0.01,
}
"""Data transfer per GB (decimal): an origin in a cloud region serving users directly, a
CDN serving them, and the origin filling the CDN's edges."""

STORAGE_USD_PER_GB_MONTH: dict[str, float] = {
    "object_standard": 0.023,
    "object_infrequent": 0.0125,
    "block_ssd": 0.08,
}
"""Storage per GB-month: object storage (standard and infrequent-access tiers) and SSD
block volumes."""


# ------------------------------------------------------------------------ video transcoding

TRANSCODE_AS_OF = "2026-11"
"""When the transcoding table below was written."""

MANAGED_TRANSCODE_USD_PER_MINUTE: dict[str, float] = {
    "SD (below 720p)": 0.0075,
    "HD (720p-1080p)": 0.015,
    "UHD (2160p)": 0.030,
}
"""A managed video transcoding service's on-demand price per minute of output, per
rendition, by output size: illustrative round numbers modelled on the public price
pages of the big clouds' media services (basic tier, H.264, single pass). Used to compare
the lab's cost per minute encoded (CPU-seconds at a vCPU-hour price) with buying it."""
# ------------------------------------------------------------ observability, balancers, commitments
# Added 2026-12 for unit 04 (SLOs, observability, cost tools).

OBSERVABILITY_AS_OF = "2026-12"
"""When the tables of this section were compared with public price pages."""

MONITORING_USD: dict[str, float] = {
    "metric_samples_per_10_million": 0.90,
    "metric_storage_per_gb_month": 0.03,
    "trace_spans_per_million": 5.00,
    "log_ingest_per_gb": 0.50,
}
"""Managed monitoring, modelled on managed Prometheus (ingestion per 10 million samples,
first tier, and storage), a managed tracing service (per million spans recorded) and log
ingestion per GB. Illustrative list prices, not a quote."""

LOAD_BALANCER_USD_PER_HOUR = 0.0225
"""One managed application load balancer, per hour (its per-capacity-unit charge of a few
cents an hour at this traffic is left out)."""

COMMITMENT_DISCOUNTS: dict[str, float] = {
    "on-demand": 0.0,
    "1-year commitment": 0.37,
    "3-year commitment": 0.57,
}
"""Share taken off the on-demand compute price for a reserved instance, savings plan or
committed-use discount with no upfront payment, modelled on published 1- and 3-year rates
for general-purpose machines (they vary by family and region)."""

CROSS_REGION_USD_PER_GB = 0.02
"""Data transfer between two regions of one provider, per GB (replication, failover)."""
# ------------------------------------------------------------------------ fraud operations

FRAUD_OPS_AS_OF = "2026-12"
"""When the fraud-operations table below was written."""


@dataclass(frozen=True)
class FraudOpsPrices:
    """What a card issuer's fraud decisions cost, per transaction outcome (USD).

    ``review_usd_per_alert``: an analyst checks every flagged transaction (about four
    minutes at a loaded cost of about 60 USD/hour). ``friction_usd_per_false_positive``:
    a legitimate payment held or declined costs the lost margin on it and on the
    customers who then use another card (surveys of false declines put the lost
    spending at several times the fraud itself; 10 USD is a cautious round number).
    ``fraud_loss_share``: the share of a missed fraud's amount the issuer loses (1.0:
    all of it; chargebacks to merchants or insurance lower it).
    ``serving_utilisation``: the average share of its vCPUs a real-time scoring fleet
    keeps busy (headroom for peaks and a second zone), which divides the compute price.
    """

    review_usd_per_alert: float = 4.0
    friction_usd_per_false_positive: float = 10.0
    fraud_loss_share: float = 1.0
    serving_utilisation: float = 0.4


FRAUD_OPS = FraudOpsPrices()
"""Illustrative figures of the order fraud teams quote for card-not-present payments, not
measured costs of any one company; compute is priced from :data:`VCPU_HOUR_USD`."""

# ------------------------------------------------------------------------ hosted models
# Added 2026-12 for unit 08 (interview practice).

HOSTED_MODELS_AS_OF = "2026-12"
"""When the hosted-model table below was written."""

HOSTED_MODEL_USD_PER_1K_CALLS: dict[str, float] = {
    "small": 0.6,
    "medium": 2.5,
    "large": 7.0,
}
"""USD per 1,000 calls of a hosted model that scores one transaction per call (a short
prompt and a one-token verdict), by model size. Illustrative list prices of the order that
hosted-model providers publish per million tokens, turned into per-call figures for a few
hundred tokens a call; not any one provider's price."""
