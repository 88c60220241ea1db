"""``tradeoffs lab endpoint seed|serve|load|capacity|dashboard``: the lab outside Jupyter.

:func:`add_cli` registers the ``endpoint`` command and its subcommands on an argparse
subparsers object (the ``lab`` command's); each sets ``func`` to a function of the parsed
arguments that returns an exit status.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["add_cli"]

DEFAULT_DB = Path(tempfile.gettempdir()) / "tradeoffs-endpoint" / "shop.db"


def _db_url(args: argparse.Namespace) -> str:
    from tradeoffs.labs.endpoint.db import sqlite_url

    if args.db:
        return str(args.db)
    path = Path(args.sqlite)
    path.parent.mkdir(parents=True, exist_ok=True)
    return sqlite_url(path)


def _engine(args: argparse.Namespace, **kwargs: Any) -> Any:
    from tradeoffs.labs.endpoint.db import make_engine

    return make_engine(
        _db_url(args), round_trip_ms=args.round_trip_ms, jitter_ms=args.jitter_ms, **kwargs
    )


def cmd_seed(args: argparse.Namespace) -> int:
    from tradeoffs.labs.endpoint.db import make_engine
    from tradeoffs.labs.endpoint.seed import seed_database

    started = time.perf_counter()
    summary = seed_database(make_engine(_db_url(args), round_trip_ms=0), args.users, seed=args.seed)
    print(
        f"seeded {_db_url(args)}: {summary.n_users:,} users, {summary.n_orders:,} orders, "
        f"{summary.n_items:,} items in {time.perf_counter() - started:.1f} s; heavy users "
        f"{', '.join(map(str, summary.heavy_user_ids[:5]))}, ..."
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from tradeoffs.labs.endpoint.app import AppConfig, create_app
    from tradeoffs.labs.endpoint.schema import create_recent_orders_index, drop_recent_orders_index
    from tradeoffs.labs.endpoint.server import ServerThread

    engine = _engine(args, pool_size=args.pool_size)
    (create_recent_orders_index if args.index else drop_recent_orders_index)(engine)
    config = AppConfig(
        mode=args.mode,
        cache=args.cache,
        cache_ttl_s=args.ttl_s,
        redis_url=args.redis_url,
        audit=args.audit,
    )
    server = ServerThread(create_app(engine, config), args.port).start()
    print(f"serving {config} on {server.url} (try {server.url}/users/2); Ctrl-C stops it")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tradeoffs.labs.endpoint.db import make_engine
    from tradeoffs.labs.endpoint.load import STAGES, request_trace, results_table
    from tradeoffs.labs.endpoint.load import run_stage as run_one
    from tradeoffs.labs.endpoint.seed import seed_database
    from tradeoffs.widgets.load import plot_stages

    summary = seed_database(make_engine(_db_url(args), round_trip_ms=0), args.users, seed=args.seed)
    engine = _engine(args, pool_size=args.pool_size)
    trace = request_trace(
        summary.n_users, heavy_user_ids=summary.heavy_user_ids, bad_fraction=args.bad_fraction
    )
    stages = [s for s in STAGES if not args.stages or s.name.split()[0] in args.stages]
    if args.cache == "redis":
        from dataclasses import replace

        stages = [replace(s, cache="redis") if s.cache != "off" else s for s in stages]
    results = [
        run_one(
            engine,
            stage,
            trace,
            generator=args.generator,
            users=args.clients,
            rate_rps=args.rate_rps,
            duration_s=args.duration_s,
            redis_url=args.redis_url,
        )
        for stage in stages
    ]
    print(results_table(results))
    if args.plot:
        fig, ax = plt.subplots(figsize=(10, 4.5))
        plot_stages(results, ax)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)
        print(f"wrote {args.plot}")
    return 0


def cmd_capacity(args: argparse.Namespace) -> int:
    from tradeoffs.labs.endpoint.capacity import run_capacity
    from tradeoffs.labs.endpoint.db import make_engine
    from tradeoffs.labs.endpoint.load import Stage, request_trace, serve_stage
    from tradeoffs.labs.endpoint.seed import seed_database

    summary = seed_database(make_engine(_db_url(args), round_trip_ms=0), args.users, seed=args.seed)
    engine = _engine(args, pool_size=args.pool_size, max_overflow=0)
    trace = request_trace(
        summary.n_users, heavy_user_ids=summary.heavy_user_ids, bad_fraction=args.bad_fraction
    )
    stage = Stage(f"optimized + index, pool {args.pool_size}", "optimized", True)
    with serve_stage(engine, stage) as server:
        run = run_capacity(
            server,
            stage,
            trace,
            args.rates,
            target_p99_ms=args.target_p99_ms,
            requests_per_step=args.requests_per_step,
        )
    print(run.table())
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from tradeoffs.labs.endpoint.observability.grafana import write_dashboard

    path = write_dashboard(args.out, target=args.target, latency_threshold_s=args.threshold_s)
    print(f"wrote {path}: import it in Grafana (Dashboards > New > Import) and pick a Prometheus")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--db", help="a database URL, e.g. postgresql+psycopg://user@host/db")
    where.add_argument("--sqlite", default=str(DEFAULT_DB), help="SQLite file (the default)")
    p.add_argument(
        "--round-trip-ms",
        type=float,
        default=None,
        help="modelled round trip per query (default 3 ms for SQLite, 0 otherwise)",
    )
    p.add_argument("--jitter-ms", type=float, default=1.0, help="mean exponential jitter (ms)")
    p.add_argument("--users", type=int, default=2_000, help="seeded users (size knob)")
    p.add_argument("--seed", type=int, default=0)


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``endpoint`` with ``seed``, ``serve`` and ``load`` on ``subparsers``."""
    top = subparsers.add_parser("endpoint", help="unit 05: the slow REST endpoint lab")
    sub = top.add_subparsers(dest="endpoint_command", metavar="ACTION", required=True)

    p = sub.add_parser("seed", help="create and fill the shop database")
    _common(p)
    p.set_defaults(func=cmd_seed)

    def service_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--pool-size", type=int, default=5, help="database connection pool")
        p.add_argument("--cache", choices=("off", "memory", "redis"), default="off")
        p.add_argument("--redis-url", default=os.environ.get("TRADEOFFS_REDIS_URL"))

    p = sub.add_parser("serve", help="serve GET /users/{id} on loopback until Ctrl-C")
    _common(p)
    service_options(p)
    p.add_argument("--mode", choices=("baseline", "optimized"), default="baseline")
    p.add_argument("--index", action="store_true", help="add the recent-orders index")
    p.add_argument("--ttl-s", type=float, default=60.0, help="cache TTL in seconds")
    p.add_argument("--audit", choices=("off", "sync", "background"), default="off")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("load", help="seed, then load-test each stage with Locust; print a table")
    _common(p)
    service_options(p)
    p.add_argument(
        "--stages",
        nargs="*",
        choices=("baseline", "eager", "+"),
        help="which stages (default all: baseline, eager, + index, + cache)",
    )
    p.add_argument(
        "--generator",
        choices=("locust", "k6"),
        default="locust",
        help="locust: closed loop (users with think time); k6: open loop at --rate-rps",
    )
    p.add_argument("--clients", type=int, default=16, help="Locust users")
    p.add_argument("--rate-rps", type=float, default=48.0, help="offered load, requests/s")
    p.add_argument("--duration-s", type=float, default=4.0, help="seconds per stage")
    p.add_argument("--bad-fraction", type=float, default=0.01, help="share of bad requests")
    p.add_argument("--plot", help="write the latency plot to this PNG")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser(
        "capacity", help="step the offered rate (k6, open loop) until the p99 breaks; the knee"
    )
    _common(p)
    p.add_argument("--pool-size", type=int, default=4, help="database connections")
    p.add_argument("--rates", type=float, nargs="+", default=[60, 100, 140, 180, 220])
    p.add_argument("--target-p99-ms", type=float, default=100.0)
    p.add_argument("--requests-per-step", type=int, default=1_500, help="samples per rate")
    p.add_argument("--bad-fraction", type=float, default=0.01, help="share of bad requests")
    p.set_defaults(func=cmd_capacity)

    p = sub.add_parser("dashboard", help="write the Grafana dashboard of the SLO (JSON)")
    p.add_argument("--out", default="endpoint_slo_dashboard.json")
    p.add_argument("--target", type=float, default=0.999, help="availability SLO target")
    p.add_argument("--threshold-s", type=float, default=0.1, help="latency SLI threshold")
    p.set_defaults(func=cmd_dashboard)
    return top
