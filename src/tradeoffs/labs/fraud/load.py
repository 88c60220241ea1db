"""Load tests of the scoring service with Locust (headless, in a subprocess), tier by tier.

:func:`scoring_trace` turns the test period's transactions into request bodies, in time
order, with a share of bad requests (missing fields, wrong types, absurd amounts,
broken JSON) that must get a 422. :func:`run_scoring_load` runs Locust against a URL
and parses its CSV; :func:`run_tier` serves a fresh service (its feature store rebuilt
from the history before the test period) with one configuration, loads it, and returns
Locust's view and the server's exact per-request timings. Locust's own percentiles are
rounded to whole milliseconds, which is coarse for a service answering in one or two:
the server-side figures (nearest-rank) are the ones to compare.

The subprocess and CSV handling is the endpoint lab's
(:func:`~tradeoffs.labs.endpoint.load.locust_command`,
:func:`~tradeoffs.labs.endpoint.load.parse_locust_stats`).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from tradeoffs.labs.endpoint.load import LocustStats, locust_command, parse_locust_stats
from tradeoffs.labs.endpoint.server import serve
from tradeoffs.labs.fraud.data import Dataset
from tradeoffs.labs.fraud.features import OnlineFeatures
from tradeoffs.labs.fraud.latency import Scorer
from tradeoffs.labs.fraud.service import ServiceConfig, create_scoring_app
from tradeoffs.metrics import percentiles

__all__ = [
    "BAD_REQUESTS",
    "TierResult",
    "run_scoring_load",
    "run_tier",
    "scoring_trace",
    "tier_table",
]

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
GOOD_NAME = "/score"
BAD_NAME = "/score [bad]"
BAD_REQUESTS: tuple[tuple[str, str], ...] = (
    ("missing amount", '{"customer_id": 1, "terminal_id": 2, "time_s": 100}'),
    ("amount as text", '{"customer_id": 1, "terminal_id": 2, "amount_usd": "12.50", "time_s": 1}'),
    ("absurd amount", '{"customer_id": 1, "terminal_id": 2, "amount_usd": 1e12, "time_s": 1}'),
    ("negative amount", '{"customer_id": 1, "terminal_id": 2, "amount_usd": -5, "time_s": 1}'),
    ("amount NaN", '{"customer_id": 1, "terminal_id": 2, "amount_usd": NaN, "time_s": 1}'),
    ("id as bool", '{"customer_id": true, "terminal_id": 2, "amount_usd": 5, "time_s": 1}'),
    ("unknown field", '{"customer_id": 1, "terminal_id": 2, "amount_usd": 5, "time_s": 1, "x": 0}'),
    ("broken JSON", '{"customer_id": 1, "terminal_id": '),
)
"""(what is wrong, request body) of requests the service must answer with a 422."""


def scoring_trace(
    dataset: Dataset,
    n_requests: int = 4_000,
    bad_fraction: float = 0.01,
    lanes: int = 16,
    seed: int = 0,
) -> list[tuple[str, int, str, int]]:
    """(body, expected status, name, lane) for the first ``n_requests`` transactions of
    the test period in time order, a customer's transactions all in one lane, with a
    ``bad_fraction`` of bad requests mixed in (expected 422)."""
    if n_requests < 1 or not 0 <= bad_fraction <= 1 or lanes < 1:
        raise ValueError("need n_requests >= 1, bad_fraction in [0, 1] and lanes >= 1")
    test = dataset.period("test")
    n = min(n_requests, len(test))
    rng = np.random.default_rng(seed)
    out: list[tuple[str, int, str, int]] = []
    for i in range(n):
        body = {
            "transaction_id": int(test.tx_id[i]),
            "customer_id": int(test.customer_id[i]),
            "terminal_id": int(test.terminal_id[i]),
            "amount_usd": float(test.amount_usd[i]),
            "time_s": int(test.time_s[i]),
        }
        out.append((json.dumps(body), 200, GOOD_NAME, int(test.customer_id[i]) % lanes))
        if rng.random() < bad_fraction:
            _, bad = BAD_REQUESTS[int(rng.integers(len(BAD_REQUESTS)))]
            out.append((bad, 422, BAD_NAME, int(rng.integers(lanes))))
    return out


def run_scoring_load(
    url: str,
    trace: Sequence[tuple[str, int, str, int]],
    *,
    users: int = 16,
    rate_rps: float | None = 200.0,
    duration_s: float = 3.0,
    progress: bool = True,
    label: str = "locust",
) -> LocustStats:
    """Run Locust headless against ``url`` for ``duration_s``: ``users`` card-holder lanes
    replaying ``trace`` (see the locustfile), offering about ``rate_rps`` requests per
    second in total (``None``: no think time, the saturation throughput)."""
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError(f"the lab load-tests loopback servers only, got {url}")
    if users < 1 or duration_s <= 0 or (rate_rps is not None and rate_rps <= 0):
        raise ValueError("users must be >= 1, duration_s and rate_rps > 0")
    with tempfile.TemporaryDirectory(prefix="tradeoffs-fraud-locust-") as tmp:
        trace_path = Path(tmp) / "trace.json"
        trace_path.write_text(json.dumps([list(t) for t in trace]), encoding="utf-8")
        prefix = Path(tmp) / "run"
        cmd = [
            *locust_command(),
            "-f", str(LOCUSTFILE), "--headless", "-u", str(users), "-r", str(users),
            "-t", f"{duration_s:g}s", "--host", url, "--csv", str(prefix),
            "--only-summary", "--loglevel", "ERROR",
        ]  # fmt: skip
        env = dict(
            os.environ,
            TRADEOFFS_LOAD_TRACE=str(trace_path),
            TRADEOFFS_LOAD_LANES=str(users),
            PYTHONWARNINGS="ignore",
        )
        if rate_rps is not None:
            env["TRADEOFFS_LOAD_RATE_PER_USER"] = repr(rate_rps / users)
        log_path = Path(tmp) / "locust.log"
        with (
            open(log_path, "wb") as log,
            subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env) as proc,
        ):
            started = time.monotonic()
            ticks = max(1, round(duration_s * 10))
            with tqdm(total=ticks, desc=label, disable=not progress) as bar:
                while proc.poll() is None:
                    bar.update(min(ticks, int((time.monotonic() - started) * 10)) - bar.n)
                    if time.monotonic() - started > duration_s + 60:
                        proc.kill()
                        raise RuntimeError("Locust did not stop within a minute of its run time")
                    time.sleep(0.1)
                bar.update(ticks - bar.n)
        stats_path = Path(f"{prefix}_stats.csv")
        if not stats_path.exists():
            tail = log_path.read_text(errors="replace")[-1500:]
            raise RuntimeError(f"Locust wrote no statistics (exit {proc.returncode}):\n{tail}")
        return parse_locust_stats(stats_path, GOOD_NAME)


@dataclass(frozen=True)
class TierResult:
    """One configuration's load test: Locust's stats and the server's own timings."""

    config: ServiceConfig
    locust: LocustStats
    server_p50_ms: float
    server_p99_ms: float
    server_requests: int
    escalation_rate: float
    statuses: dict[str, int]
    snapshot: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.tier


def run_tier(
    dataset: Dataset,
    fast: Scorer,
    accurate: Scorer,
    config: ServiceConfig,
    trace: Sequence[tuple[str, int, str, int]],
    **load: Any,
) -> TierResult:
    """Serve a fresh service in configuration ``config`` on loopback and load it."""
    from threadpoolctl import threadpool_limits

    store = OnlineFeatures(dataset.split.delay_days).load_history(dataset.before("test"))
    app = create_scoring_app(fast, accurate, store, config)
    state = app.state.scoring
    load.setdefault("label", config.tier)
    with threadpool_limits(1), serve(app) as server:
        stats = run_scoring_load(server.url, trace, **load)
        snap = state.snapshot()
    lat = snap["latencies_ms"]["all"]
    pct = percentiles(lat, (50, 99)) if lat else {50.0: np.nan, 99.0: np.nan}
    return TierResult(
        config=config,
        locust=stats,
        server_p50_ms=pct[50.0],
        server_p99_ms=pct[99.0],
        server_requests=len(lat),
        escalation_rate=snap["escalation_rate"],
        statuses=snap["statuses"],
        snapshot=snap,
    )


def tier_table(results: Sequence[TierResult]) -> str:
    """A text table of the tiers' load tests."""
    head = (
        f"{'tier':<10}{'requests':>9}{'req/s':>8}{'fail':>7}{'p50':>6}{'p99':>6} |"
        f"{'srv p50':>9}{'srv p99':>9}{'escalated':>10}  statuses"
    )
    lines = [head, "-" * (len(head) + 12)]
    for r in results:
        lines.append(
            f"{r.name:<10}{r.locust.requests:>9}{r.locust.throughput_rps:>8.0f}"
            f"{r.locust.error_rate:>7.1%}{r.locust.p50_ms:>6.0f}{r.locust.p99_ms:>6.0f} |"
            f"{r.server_p50_ms:>9.3f}{r.server_p99_ms:>9.3f}{r.escalation_rate:>10.2%}  "
            f"{r.statuses}"
        )
    lines.append(
        "p50/p99 by Locust (client side, whole ms); srv = server side, exact (nearest-rank), "
        "ms; fail = responses with another status than expected (bad input must get 422)"
    )
    return "\n".join(lines)
