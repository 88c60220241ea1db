"""Load tests of the endpoint, stage by stage: closed loop (Locust) or open loop (k6).

:func:`request_trace` draws a seeded trace of requests (user popularity follows a Zipf
law over a shuffled order of users, plus optional bad requests). :func:`run_locust` runs
Locust headless (a subprocess) for a few seconds and collects its CSV and every request's
own sample; :func:`.k6.run_k6` does the same with k6's open-loop constant-arrival-rate
executor.

Two latencies are reported for each stage, and they are different things:

- **response time**, measured by the load generator (the client): from sending the request
  to receiving the response, including the connection, the server's accept queue and
  event loop, and the transfer. This is what users feel.
- **service time**, measured by the app's middleware (the server): from the moment the
  middleware sees the request to the moment the handler's response comes back. It leaves
  out any queueing before the middleware runs and the time to send the response.

Percentiles are exact (nearest-rank over every sample) with a bootstrap confidence
interval for the p99 (:mod:`.summary`): Locust itself rounds response times (to 10 ms
above 100 ms, to 100 ms above 1 s) before computing its own percentiles, which are kept in
:class:`LocustStats` for comparison.

A :class:`Stage` is one configuration of the lab (handler, index, cache); the lessons and
``tradeoffs lab endpoint load`` run :data:`STAGES` in order and tabulate them. Plots of
these results live in :mod:`tradeoffs.widgets.load`.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.engine import Engine

from tradeoffs.labs.endpoint._tool import run_tool
from tradeoffs.labs.endpoint.app import AppConfig, AuditKind, CacheKind, LabState, Mode, create_app
from tradeoffs.labs.endpoint.k6 import run_k6
from tradeoffs.labs.endpoint.schema import create_recent_orders_index, drop_recent_orders_index
from tradeoffs.labs.endpoint.server import ServerThread, serve
from tradeoffs.labs.endpoint.summary import LatencySummary, summarize
from tradeoffs.metrics import corrected_latency_histogram, histogram_percentile_ms

__all__ = [
    "GOOD_NAME",
    "STAGES",
    "Generator",
    "LocustStats",
    "Stage",
    "StageResult",
    "locust_command",
    "measure_stage",
    "parse_locust_stats",
    "request_trace",
    "pool_sweep",
    "results_table",
    "run_cold_then_warm",
    "run_locust",
    "run_loops",
    "run_stage",
    "run_stages",
    "serve_stage",
]

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
GOOD_NAME = "/users/[id]"
Generator = Literal["locust", "k6"]


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
    """Locust's view of one run: its rounded percentiles (ms), throughput and failures, and
    the exact response time of every successful ``/users/[id]`` request (ms)."""

    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    throughput_rps: float
    by_name: dict[str, dict[str, float]] = field(repr=False, default_factory=dict)
    latencies_ms: NDArray[np.float64] = field(repr=False, default_factory=lambda: np.zeros(0))
    cpu_s: float = math.nan

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def parse_locust_stats(path: Path, name: str) -> LocustStats:
    """The stats Locust wrote to its ``--csv`` file ``path``: counts from the Aggregated
    row, percentiles from the row named ``name`` (or the Aggregated row)."""
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


def locust_command() -> list[str]:
    """The ``locust`` command of this environment (beside this Python first), or a clear
    error when Locust is not installed."""
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
    second while responses are fast. It is still a closed loop: a user waits for its
    response before thinking again, so when the server slows down the offered load falls
    with it. ``rate_rps=None`` is a closed loop with no think time, which measures the
    saturation throughput of ``users`` concurrent clients.

    Locust's own percentiles are rounded (see the module docstring), for the
    ``/users/[id]`` requests; ``latencies_ms`` holds the exact samples. Only loopback URLs
    are allowed.
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
        samples_path = Path(tmp) / "samples.json"
        prefix = Path(tmp) / "run"
        cmd = [
            *locust_command(),
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
        env = dict(
            os.environ,
            TRADEOFFS_LOAD_TRACE=str(trace_path),
            TRADEOFFS_LOAD_SAMPLES=str(samples_path),
            PYTHONWARNINGS="ignore",
        )
        if rate_rps is not None:
            env["TRADEOFFS_LOAD_RATE_PER_USER"] = repr(rate_rps / users)
        run = run_tool(
            cmd,
            env=env,
            duration_s=duration_s,
            log_path=Path(tmp) / "locust.log",
            label=label,
            progress=progress,
        )
        stats_path = Path(f"{prefix}_stats.csv")
        if not stats_path.exists():
            tail = (Path(tmp) / "locust.log").read_text(errors="replace")[-1500:]
            raise RuntimeError(f"Locust wrote no statistics (exit {run.returncode}):\n{tail}")
        stats = parse_locust_stats(stats_path, GOOD_NAME)
        samples = json.loads(samples_path.read_text()) if samples_path.exists() else []
    good = np.array([ms for name, ms, ok in samples if ok and name == GOOD_NAME], dtype=float)
    return LocustStats(
        requests=stats.requests,
        failures=stats.failures,
        p50_ms=stats.p50_ms,
        p95_ms=stats.p95_ms,
        p99_ms=stats.p99_ms,
        throughput_rps=stats.throughput_rps,
        by_name=stats.by_name,
        latencies_ms=good,
        cpu_s=run.cpu_s,
    )


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
    """A stage's load test: the client's response times and the server's service times.

    ``offered_rps`` is what the generator was asked to send (None: a closed loop with no
    think time); ``throughput_rps`` is what came back per second (client side).
    ``dropped`` counts requests an open-loop generator could not even send (all its
    connections busy). ``generator_cpu_s`` and ``server_cpu_s`` are the CPU seconds the
    load generator's process and the server's process used during the run.
    ``corrected_p99_ms`` (closed loop with think time only) is the client p99 after
    HdrHistogram's correction for coordinated omission, with the users' mean interval
    between requests as the expected interval; ``client_finished_s`` (open loop only) is
    when each of ``client_latencies_ms`` completed, in seconds from the first.
    """

    stage: Stage
    generator: str
    offered_rps: float | None
    duration_s: float
    client: LatencySummary
    server: LatencySummary
    requests: int
    failures: int
    dropped: int
    throughput_rps: float
    queries_per_request: float
    cache_hit_ratio: float | None
    generator_cpu_s: float
    server_cpu_s: float
    locust: LocustStats | None = field(repr=False, default=None)
    client_latencies_ms: NDArray[np.float64] = field(
        repr=False, default_factory=lambda: np.zeros(0)
    )
    snapshot: dict[str, Any] = field(repr=False, default_factory=dict)
    corrected_p99_ms: float | None = None
    client_finished_s: NDArray[np.float64] = field(repr=False, default_factory=lambda: np.zeros(0))

    @property
    def error_rate(self) -> float:
        """Share of the requests that should have been sent that failed or were dropped."""
        sent = self.requests + self.dropped
        return (self.failures + self.dropped) / sent if sent else 0.0

    @property
    def server_latencies_ms(self) -> list[float]:
        return list(self.snapshot.get("latencies_ms", []))

    # The server-side figures under their earlier names (unit 05 reads these).
    @property
    def server_p50_ms(self) -> float:
        return self.server.p50_ms

    @property
    def server_p95_ms(self) -> float:
        return self.server.p95_ms

    @property
    def server_p99_ms(self) -> float:
        return self.server.p99_ms

    @property
    def server_requests(self) -> int:
        return self.server.n


@contextmanager
def serve_stage(
    engine: Engine,
    stage: Stage,
    *,
    redis_url: str | None = None,
    cache_ttl_s: float = 60.0,
    thread_pool_size: int = 40,
    port: int = 0,
    app_hook: Callable[[Any], None] | None = None,
) -> Iterator[ServerThread]:
    """Configure the database for ``stage`` (index or not) and serve the app on loopback
    for the duration of the block. ``app_hook(app)`` runs before the server starts (to
    instrument it, for example); ``server.app.state.lab`` holds its measurements."""
    if stage.index:
        create_recent_orders_index(engine)
    else:
        drop_recent_orders_index(engine)
    config = AppConfig(
        mode=stage.mode,
        cache=stage.cache,
        cache_ttl_s=cache_ttl_s,
        redis_url=redis_url,
        audit=stage.audit,
        redis_prefix=f"tradeoffs:endpoint:{os.getpid()}:{time.monotonic_ns()}:",
    )
    app = create_app(engine, config)
    if app_hook is not None:
        app_hook(app)
    state: LabState = app.state.lab
    try:
        with serve(app, port, thread_pool_size=thread_pool_size) as server:
            yield server
    finally:
        if state.cache is not None:
            state.cache.clear()
        state.close()


def measure_stage(
    server: ServerThread,
    stage: Stage,
    trace: Sequence[tuple[str, int, str]],
    *,
    generator: Generator = "locust",
    users: int = 16,
    rate_rps: float | None = 48.0,
    duration_s: float = 4.0,
    max_vus: int = 200,
    progress: bool = True,
    label: str | None = None,
) -> StageResult:
    """Load a running stage's server once (its counters are reset first) and measure it.

    ``generator="locust"``: ``users`` closed-loop users offering about ``rate_rps``
    (see :func:`run_locust`); ``generator="k6"``: an open loop at exactly ``rate_rps``
    with at most ``max_vus`` requests in flight (see :func:`.k6.run_k6`).
    """
    state: LabState = server.app.state.lab
    state.reset()
    cpu_before = time.process_time()
    name = label or stage.name
    if generator == "locust":
        stats = run_locust(
            server.url,
            trace,
            users=users,
            rate_rps=rate_rps,
            duration_s=duration_s,
            progress=progress,
            label=name,
        )
        client_ms, requests, failures, dropped = (
            stats.latencies_ms,
            stats.requests,
            stats.failures,
            0,
        )
        generator_cpu_s: float = stats.cpu_s
        locust: LocustStats | None = stats
        finished_s = np.zeros(0)
        corrected = None
        if rate_rps is not None and client_ms.size:
            # Each user means to send every users / rate seconds: the correction adds back
            # the requests a user skipped while it waited for a slow response.
            hist = corrected_latency_histogram(
                client_ms, expected_interval_ms=users / rate_rps * 1e3
            )
            corrected = histogram_percentile_ms(hist, 99)
    elif generator == "k6":
        if rate_rps is None:
            raise ValueError("an open-loop (k6) run needs rate_rps")
        run = run_k6(
            server.url,
            trace,
            rate_rps=rate_rps,
            duration_s=duration_s,
            max_vus=max_vus,
            progress=progress,
            label=name,
        )
        client_ms, requests, failures = run.good_latencies_ms(GOOD_NAME), run.requests, run.failures
        dropped, generator_cpu_s, locust = run.dropped, run.cpu_s, None
        finished_s, corrected = run.good_finished_s(GOOD_NAME), None
    else:
        raise ValueError(f"generator must be 'locust' or 'k6', got {generator!r}")
    # Requests cut off when the generator stopped still run to the end on the server.
    state.wait_idle()
    server_cpu_s = time.process_time() - cpu_before
    snap = state.snapshot()
    hit_ratio = None
    if "cache" in snap:
        looked_up = snap["cache"]["hits"] + snap["cache"]["misses"]
        hit_ratio = snap["cache"]["hits"] / looked_up if looked_up else 0.0
    qpr = snap["queries_per_request"]
    return StageResult(
        stage=stage,
        generator=generator,
        offered_rps=rate_rps,
        duration_s=duration_s,
        client=summarize(client_ms),
        server=summarize(snap["latencies_ms"]),
        requests=requests,
        failures=failures,
        dropped=dropped,
        throughput_rps=(requests - failures) / duration_s,
        queries_per_request=float(np.mean(qpr)) if qpr else float("nan"),
        cache_hit_ratio=hit_ratio,
        generator_cpu_s=generator_cpu_s,
        server_cpu_s=server_cpu_s,
        locust=locust,
        client_latencies_ms=np.asarray(client_ms, dtype=np.float64),
        snapshot=snap,
        corrected_p99_ms=corrected,
        client_finished_s=np.asarray(finished_s, dtype=np.float64),
    )


def run_stage(
    engine: Engine,
    stage: Stage,
    trace: Sequence[tuple[str, int, str]],
    *,
    generator: Generator = "locust",
    users: int = 16,
    rate_rps: float | None = 48.0,
    duration_s: float = 4.0,
    max_vus: int = 200,
    redis_url: str | None = None,
    cache_ttl_s: float = 60.0,
    thread_pool_size: int = 40,
    progress: bool = True,
) -> StageResult:
    """Serve ``stage`` on loopback (:func:`serve_stage`), load it once
    (:func:`measure_stage`) and return the client's and the server's measurements."""
    with serve_stage(
        engine,
        stage,
        redis_url=redis_url,
        cache_ttl_s=cache_ttl_s,
        thread_pool_size=thread_pool_size,
    ) as server:
        return measure_stage(
            server,
            stage,
            trace,
            generator=generator,
            users=users,
            rate_rps=rate_rps,
            duration_s=duration_s,
            max_vus=max_vus,
            progress=progress,
        )


def run_stages(
    engine: Engine,
    trace: Sequence[tuple[str, int, str]],
    stages: Sequence[Stage] = STAGES,
    **kwargs: Any,
) -> list[StageResult]:
    """:func:`run_stage` for each stage in order (keyword arguments passed on)."""
    return [run_stage(engine, stage, trace, **kwargs) for stage in stages]


def run_loops(
    engine: Engine,
    stages: Sequence[Stage],
    trace: Sequence[tuple[str, int, str]],
    *,
    rate_rps: float,
    n_requests: int,
    users: int = 16,
    progress: bool = True,
    **kwargs: Any,
) -> list[StageResult]:
    """Each stage twice at the same offered rate: closed loop (Locust, ``users`` users with
    think time) then open loop (k6), each for ``n_requests / rate_rps`` seconds on a fresh
    server (a cold cache each time). Keyword arguments go to :func:`run_stage`."""
    duration_s = max(1.0, n_requests / rate_rps)
    out = []
    for stage in stages:
        for generator in ("locust", "k6"):
            out.append(
                run_stage(
                    engine,
                    stage,
                    trace,
                    generator=generator,
                    users=users,
                    rate_rps=rate_rps,
                    duration_s=duration_s,
                    progress=progress,
                    **kwargs,
                )
            )
    return out


def run_cold_then_warm(
    engine: Engine,
    stage: Stage,
    trace: Sequence[tuple[str, int, str]],
    *,
    rate_rps: float,
    duration_s: float,
    progress: bool = True,
    **kwargs: Any,
) -> tuple[StageResult, StageResult]:
    """One server for ``stage`` (with a cache), loaded twice in a row with k6: first from an
    empty cache (a restart or a flush), then again with the cache as the first run left it.
    Keyword arguments go to :func:`serve_stage`."""
    with serve_stage(engine, stage, **kwargs) as server:
        cold = measure_stage(
            server,
            stage,
            trace,
            generator="k6",
            rate_rps=rate_rps,
            duration_s=duration_s,
            progress=progress,
            label=f"{stage.name}: cold cache",
        )
        # The warm run goes on where the cold one stopped: replaying the same requests
        # would find every one of them cached.
        rest = list(trace[cold.requests % len(trace) :]) + list(trace[: cold.requests % len(trace)])
        warm = measure_stage(
            server,
            stage,
            rest,
            generator="k6",
            rate_rps=rate_rps,
            duration_s=duration_s,
            progress=progress,
            label=f"{stage.name}: warm cache",
        )
    return cold, warm


def pool_sweep(
    make_pooled_engine: Callable[[int], Engine],
    pool_sizes: Sequence[int],
    trace: Sequence[tuple[str, int, str]],
    *,
    rate_rps: float,
    n_requests: int,
    stage: Stage | None = None,
    progress: bool = True,
) -> list[StageResult]:
    """The same open-loop load (k6 at ``rate_rps`` for ``n_requests``) on the real service
    with each pool size: ``make_pooled_engine(n)`` returns an engine whose pool holds ``n``
    connections (and no overflow); it is disposed of after its run."""
    base = stage or Stage("pool", "optimized", True)
    out = []
    for n in pool_sizes:
        pooled = make_pooled_engine(int(n))
        try:
            named = Stage(f"pool_size={n}", base.mode, base.index, base.cache, base.audit)
            out.append(
                run_stage(
                    pooled,
                    named,
                    trace,
                    generator="k6",
                    rate_rps=rate_rps,
                    duration_s=max(1.0, n_requests / rate_rps),
                    progress=progress,
                )
            )
        finally:
            pooled.dispose()
    return out


def results_table(results: Sequence[StageResult]) -> str:
    """A text table per run: the client's response-time p50/p95/p99 (the p99 with its 95%
    bootstrap interval, and for a closed loop the p99 corrected for coordinated omission),
    the server's service-time p50/p99 with its interval, queries per request, offered and
    achieved rate, errors and the cache hit ratio."""
    head = (
        f"{'stage':<22}{'gen':>7}{'n':>6}{'p50':>7}{'p95':>7}{'p99 [95% CI]':>25}{'corr':>6} |"
        f"{'srv p50':>8}{'srv p99 [95% CI]':>25} |{'q/req':>6}{'offer':>6}{'got/s':>6}"
        f"{'err':>6}{'hits':>5}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        hits = "" if r.cache_hit_ratio is None else f"{r.cache_hit_ratio:.0%}"
        offer = "max" if r.offered_rps is None else f"{r.offered_rps:g}"
        corr = "" if r.corrected_p99_ms is None else f"{r.corrected_p99_ms:.0f}"
        lines.append(
            f"{r.stage.name[:21]:<22}{r.generator:>7}{r.client.n:>6}{r.client.p50_ms:>7.1f}"
            f"{r.client.p95_ms:>7.1f}{r.client.p99_text():>25}{corr:>6} |{r.server.p50_ms:>8.1f}"
            f"{r.server.p99_text():>25} |{r.queries_per_request:>6.1f}{offer:>6}"
            f"{r.throughput_rps:>6.1f}{r.error_rate:>6.1%}{hits:>5}"
        )
    lines.append(
        "ms. p50/p95/p99: response time at the load generator (what users feel), exact "
        "(nearest rank), the p99 with its bootstrap 95% interval; corr: a closed loop's p99 "
        "corrected for coordinated omission (HdrHistogram). srv: service time in the app's "
        "middleware (it misses queueing before the app). offer/got: requests/s asked for "
        "and answered; err: failed or never sent."
    )
    return "\n".join(lines)
