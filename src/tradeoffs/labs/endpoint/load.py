"""Load tests of the endpoint with Locust (headless, in a subprocess), stage by stage.

:func:`request_trace` draws a seeded trace of requests (user popularity follows a Zipf
law over a shuffled order of users, plus optional bad requests). :func:`run_locust` runs
Locust headless against a URL for a few seconds with a progress bar and parses its CSV:
p50/p95/p99, throughput and failures. Locust rounds response times before computing
percentiles (to 10 ms above 100 ms, to 100 ms above 1 s), so :func:`run_stage` also
reports exact percentiles from the server's own per-request timings (nearest-rank).

A :class:`Stage` is one configuration of the lab (handler, index, cache); the lesson and
``tradeoffs lab endpoint load`` run :data:`STAGES` in order and tabulate them.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from sqlalchemy.engine import Engine
from tqdm.auto import tqdm

from tradeoffs.labs.endpoint.app import AppConfig, AuditKind, CacheKind, Mode, create_app
from tradeoffs.labs.endpoint.schema import create_recent_orders_index, drop_recent_orders_index
from tradeoffs.labs.endpoint.server import serve
from tradeoffs.metrics import percentiles

__all__ = [
    "STAGES",
    "LocustStats",
    "Stage",
    "StageResult",
    "plot_stages",
    "request_trace",
    "results_table",
    "run_locust",
    "run_stage",
    "run_stages",
]

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
GOOD_NAME = "/users/[id]"


def request_trace(
    n_users: int,
    n_requests: int = 20_000,
    *,
    heavy_user_ids: Sequence[int] = (),
    heavy_share: float = 0.03,
    skew: float = 1.0,
    bad_fraction: float = 0.0,
    seed: int = 0,
) -> list[tuple[str, int, str]]:
    """A seeded list of (path, expected HTTP status, name) for ``GET /users/{id}``.

    A share ``heavy_share`` of the requests are for the heavy customers in
    ``heavy_user_ids`` (uniformly among them); the others follow a Zipf law over the
    remaining users: the ``k``-th most popular is requested with probability proportional
    to ``1 / k**skew`` (who is popular is a seeded shuffle). A fraction ``bad_fraction``
    of requests are bad: an unknown user (404) or a malformed id (422), named
    ``/users/[bad]``.
    """
    if n_users < 1 or n_requests < 1:
        raise ValueError(f"n_users and n_requests must be >= 1, got {n_users}, {n_requests}")
    if skew < 0 or not 0 <= bad_fraction <= 1 or not 0 <= heavy_share <= 1:
        raise ValueError(
            f"need skew >= 0 and shares within [0, 1], got skew={skew}, "
            f"heavy_share={heavy_share}, bad_fraction={bad_fraction}"
        )
    heavy = np.array(sorted(set(int(u) for u in heavy_user_ids)), dtype=np.int64)
    if heavy.size and (heavy.min() < 1 or heavy.max() > n_users):
        raise ValueError(f"heavy_user_ids must be within 1..{n_users}")
    if heavy_share > 0 and not heavy.size:
        heavy_share = 0.0
    rng = np.random.default_rng(seed)
    light = np.setdiff1d(np.arange(1, n_users + 1), heavy)
    weights = 1.0 / np.arange(1, light.size + 1) ** skew
    by_popularity = rng.permutation(light)
    picks = by_popularity[rng.choice(light.size, size=n_requests, p=weights / weights.sum())]
    is_heavy = rng.random(n_requests) < heavy_share
    if heavy.size:
        picks = np.where(is_heavy, rng.choice(heavy, size=n_requests), picks)
    bad = rng.random(n_requests) < bad_fraction
    trace: list[tuple[str, int, str]] = []
    for i, uid in enumerate(picks):
        if not bad[i]:
            trace.append((f"/users/{int(uid)}", 200, GOOD_NAME))
        elif i % 2:
            trace.append((f"/users/{n_users + 1 + i}", 404, "/users/[bad]"))
        else:
            trace.append((f"/users/not-a-number-{i}", 422, "/users/[bad]"))
    return trace


@dataclass(frozen=True)
class LocustStats:
    """Locust's view of one run: rounded percentiles (ms), throughput and failures."""

    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    throughput_rps: float
    by_name: dict[str, dict[str, float]] = field(repr=False, default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def _parse_stats(path: Path, name: str) -> LocustStats:
    with path.open(encoding="utf-8") as fh:
        rows = {row["Name"]: row for row in csv.DictReader(fh)}
    if "Aggregated" not in rows:
        raise RuntimeError(f"{path} has no Aggregated row: did Locust send any request?")
    agg = rows["Aggregated"]
    main = rows.get(name, agg)

    def num(row: dict[str, str], key: str) -> float:
        value = row.get(key, "")
        return float(value) if value not in ("", "N/A") else float("nan")

    return LocustStats(
        requests=int(agg["Request Count"]),
        failures=int(agg["Failure Count"]),
        p50_ms=num(main, "50%"),
        p95_ms=num(main, "95%"),
        p99_ms=num(main, "99%"),
        throughput_rps=num(agg, "Requests/s"),
        by_name={
            n: {k: num(r, k) for k in ("Request Count", "Failure Count", "50%", "99%")}
            for n, r in rows.items()
        },
    )


def _locust_command() -> list[str]:
    exe = shutil.which(
        "locust",
        path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    if exe is None:
        raise RuntimeError("the `locust` command is not installed (pip install locust)")
    return [exe]


def run_locust(
    url: str,
    trace: Sequence[tuple[str, int, str]],
    *,
    users: int = 16,
    rate_rps: float | None = 48.0,
    duration_s: float = 4.0,
    workdir: str | Path | None = None,
    progress: bool = True,
    label: str = "locust",
) -> LocustStats:
    """Run Locust headless against ``url`` for ``duration_s`` with ``users`` simulated
    users (all started at once) walking ``trace``; return the stats of its CSV.

    With ``rate_rps`` each user thinks for an exponential time of mean ``users / rate_rps``
    seconds between requests, so the users together offer about ``rate_rps`` requests per
    second (a little less when responses are slow), like independent visitors.
    ``rate_rps=None`` makes each user a closed loop with no think time, which measures the
    saturation throughput instead.

    Percentiles are Locust's (rounded, see the module docstring), for the ``/users/[id]``
    requests; counts and throughput are over all requests. Only loopback URLs are allowed.
    """
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError(f"the lab load-tests loopback servers only, got {url}")
    if users < 1 or duration_s <= 0 or (rate_rps is not None and rate_rps <= 0):
        raise ValueError(
            f"users must be >= 1, duration_s and rate_rps > 0, got {users}, {duration_s}, "
            f"{rate_rps}"
        )
    with tempfile.TemporaryDirectory(prefix="tradeoffs-locust-", dir=workdir) as tmp:
        trace_path = Path(tmp) / "trace.json"
        trace_path.write_text(json.dumps([list(t) for t in trace]), encoding="utf-8")
        prefix = Path(tmp) / "run"
        cmd = [
            *_locust_command(),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{duration_s:g}s",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ]
        env = dict(os.environ, TRADEOFFS_LOAD_TRACE=str(trace_path), PYTHONWARNINGS="ignore")
        if rate_rps is not None:
            env["TRADEOFFS_LOAD_RATE_PER_USER"] = repr(rate_rps / users)
        with (
            open(Path(tmp) / "locust.log", "wb") as log,
            subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env) as proc,
        ):
            started = time.monotonic()
            ticks = max(1, round(duration_s * 10))  # tenths of a second, as integers
            bar = tqdm(
                total=ticks,
                desc=label,
                disable=not progress,
                bar_format="{desc}: {bar} {percentage:3.0f}% of " + f"{duration_s:g} s",
            )
            try:
                while proc.poll() is None:
                    done = min(ticks, int((time.monotonic() - started) * 10))
                    bar.update(done - bar.n)
                    if time.monotonic() - started > duration_s + 60:
                        proc.kill()
                        raise RuntimeError("Locust did not stop within a minute of its run time")
                    time.sleep(0.1)
                bar.update(ticks - bar.n)
            finally:
                bar.close()
        stats_path = Path(f"{prefix}_stats.csv")
        if not stats_path.exists():
            tail = (Path(tmp) / "locust.log").read_text(errors="replace")[-1500:]
            raise RuntimeError(f"Locust wrote no statistics (exit {proc.returncode}):\n{tail}")
        return _parse_stats(stats_path, GOOD_NAME)


@dataclass(frozen=True)
class Stage:
    """One configuration of the lab: handler, recent-orders index, cache."""

    name: str
    mode: Mode = "baseline"
    index: bool = False
    cache: CacheKind = "off"
    audit: AuditKind = "off"


STAGES = (
    Stage("baseline (N+1, no index)", "baseline", False, "off"),
    Stage("eager loading", "optimized", False, "off"),
    Stage("+ index", "optimized", True, "off"),
    Stage("+ cache", "optimized", True, "memory"),
)


@dataclass(frozen=True)
class StageResult:
    """A stage's load test: Locust's stats and the server's own exact measurements."""

    stage: Stage
    locust: LocustStats
    server_p50_ms: float
    server_p95_ms: float
    server_p99_ms: float
    server_requests: int
    queries_per_request: float
    cache_hit_ratio: float | None
    snapshot: dict[str, Any] = field(repr=False, default_factory=dict)


def run_stage(
    engine: Engine,
    stage: Stage,
    trace: Sequence[tuple[str, int, str]],
    *,
    users: int = 16,
    rate_rps: float | None = 48.0,
    duration_s: float = 4.0,
    redis_url: str | None = None,
    cache_ttl_s: float = 60.0,
    thread_pool_size: int = 40,
    progress: bool = True,
) -> StageResult:
    """Configure the database for ``stage`` (index or not), serve the app on loopback, load
    it with Locust, and return Locust's and the server's measurements."""
    if stage.index:
        create_recent_orders_index(engine)
    else:
        drop_recent_orders_index(engine)
    cache = stage.cache
    config = AppConfig(
        mode=stage.mode,
        cache=cache,
        cache_ttl_s=cache_ttl_s,
        redis_url=redis_url,
        audit=stage.audit,
        redis_prefix=f"tradeoffs:endpoint:{os.getpid()}:{time.monotonic_ns()}:",
    )
    app = create_app(engine, config)
    state = app.state.lab
    try:
        with serve(app, thread_pool_size=thread_pool_size) as server:
            stats = run_locust(
                server.url,
                trace,
                users=users,
                duration_s=duration_s,
                progress=progress,
                label=stage.name,
            )
            # Requests cut off when Locust stopped still run to the end on the server.
            state.wait_idle()
            snap = state.snapshot()
    finally:
        if state.cache is not None:
            state.cache.clear()
        state.queries.close()
    lat = snap["latencies_ms"]
    pct = percentiles(lat, (50, 95, 99)) if lat else {50.0: np.nan, 95.0: np.nan, 99.0: np.nan}
    hit_ratio = None
    if "cache" in snap:
        looked_up = snap["cache"]["hits"] + snap["cache"]["misses"]
        hit_ratio = snap["cache"]["hits"] / looked_up if looked_up else 0.0
    qpr = snap["queries_per_request"]
    return StageResult(
        stage=stage,
        locust=stats,
        server_p50_ms=pct[50.0],
        server_p95_ms=pct[95.0],
        server_p99_ms=pct[99.0],
        server_requests=len(lat),
        queries_per_request=float(np.mean(qpr)) if qpr else float("nan"),
        cache_hit_ratio=hit_ratio,
        snapshot=snap,
    )


def run_stages(
    engine: Engine,
    trace: Sequence[tuple[str, int, str]],
    stages: Sequence[Stage] = STAGES,
    **kwargs: Any,
) -> list[StageResult]:
    """:func:`run_stage` for each stage in order (keyword arguments passed on)."""
    return [run_stage(engine, stage, trace, **kwargs) for stage in stages]


def results_table(results: Sequence[StageResult]) -> str:
    """A text table: Locust's p50/p95/p99, the server's exact ones, queries per request,
    throughput, error rate and cache hit ratio, with the p99 speed-up over the first row."""
    head = (
        f"{'stage':<26}{'p50':>8}{'p95':>8}{'p99':>8} |{'srv p50':>9}{'srv p95':>9}"
        f"{'srv p99':>9}{'q/req':>7}{'req/s':>8}{'errors':>8}{'hits':>6}{'p99 x':>7}"
    )
    lines = [head, "-" * len(head)]
    base = results[0].server_p99_ms if results else float("nan")
    for r in results:
        hits = "" if r.cache_hit_ratio is None else f"{r.cache_hit_ratio:.0%}"
        lines.append(
            f"{r.stage.name:<26}{r.locust.p50_ms:>8.0f}{r.locust.p95_ms:>8.0f}"
            f"{r.locust.p99_ms:>8.0f} |{r.server_p50_ms:>9.1f}{r.server_p95_ms:>9.1f}"
            f"{r.server_p99_ms:>9.1f}{r.queries_per_request:>7.1f}"
            f"{r.locust.throughput_rps:>8.1f}{r.locust.error_rate:>8.1%}{hits:>6}"
            f"{base / r.server_p99_ms:>7.0f}"
        )
    lines.append(
        "latencies in ms; p50/p95/p99 by Locust (rounded), srv = server-side exact "
        "(nearest-rank); p99 x = speed-up of the server p99 over the first row"
    )
    return "\n".join(lines)


def plot_stages(results: Sequence[StageResult], ax: Axes) -> None:
    """Grouped bars of the server-side p50/p95/p99 per stage, on a log axis."""
    names = [r.stage.name for r in results]
    x = np.arange(len(results))
    for k, (q, color) in enumerate(((50, "tab:blue"), (95, "tab:orange"), (99, "tab:red"))):
        values = [getattr(r, f"server_p{q}_ms") for r in results]
        bars = ax.bar(x + (k - 1) * 0.27, values, 0.27, label=f"p{q}", color=color)
        ax.bar_label(
            bars,
            labels=[f"{v:,.0f}" if v >= 10 else f"{v:.1f}" for v in values],
            fontsize="x-small",
            padding=1,
        )
    ax.set_xticks(x, names)
    ax.set_yscale("log")
    ax.set_ylabel("server-side latency (ms, log scale)")
    ax.set_title("GET /users/{id}: latency percentiles per stage under the same load")
    ax.legend()
