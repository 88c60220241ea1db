"""The web service: ``GET /users/{id}`` (and ``PATCH`` to change an email), on FastAPI.

:func:`create_app` builds the app for one configuration of the lab (baseline, optimised or
JOIN-loading handler, cache off / in-process / Redis, audit side task off / on the request
path / as a background task / on a task queue). The app measures itself: every request's
service time (ms, from the moment its middleware sees the request to the moment the
handler's response comes back: no queueing before the app, and no background work after
the response) and number of SQL statements are recorded and served at ``GET /stats``
(``POST /stats/reset`` clears them). What users feel, the response time, is measured by
the client (see :mod:`.load`). Sync handlers run in the server's thread pool, one
session each.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import BackgroundTasks, FastAPI, HTTPException, Path, Request, Response
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from tradeoffs._validate import count, positive
from tradeoffs.caching import CacheAside, CacheBackend
from tradeoffs.labs.endpoint.cache import (
    memory_backend,
    redis_backend,
    response_cache,
    user_key,
)
from tradeoffs.labs.endpoint.db import QueryLog
from tradeoffs.labs.endpoint.handlers import (
    baseline_user_json,
    joined_user_json,
    optimized_user_json,
    update_email,
)
from tradeoffs.labs.endpoint.schema import AuditEntry
from tradeoffs.labs.endpoint.tasks import AuditQueue
from tradeoffs.servers import connect_redis

__all__ = ["AppConfig", "LabState", "create_app"]

Mode = Literal["baseline", "optimized", "joined"]
CacheKind = Literal["off", "memory", "redis"]
AuditKind = Literal["off", "sync", "background", "queue"]
HANDLERS = {
    "baseline": baseline_user_json,
    "optimized": optimized_user_json,
    "joined": joined_user_json,
}
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class AppConfig:
    """One configuration of the service.

    ``mode`` picks the handler (``optimized``: ``selectinload``; ``joined``: one JOIN);
    ``cache`` the response cache (``redis`` needs ``redis_url``), with entries living
    ``cache_ttl_s`` seconds (in process, at most ``cache_max_entries`` of them, least
    recently used evicted first), ``cache_leases`` (a store that an invalidation overtook is
    refused) and ``cache_coalesce`` (concurrent misses for one user share one load);
    ``audit`` writes one audit row per read, on the request path (``sync``), after the
    response (``background``), or through a worker's queue (``queue``: in process, or the
    Redis list at ``redis_url`` with ``audit_queue="redis"``).
    """

    mode: Mode = "baseline"
    cache: CacheKind = "off"
    cache_ttl_s: float = 60.0
    cache_max_entries: int = 50_000
    cache_leases: bool = True
    cache_coalesce: bool = True
    redis_url: str | None = None
    redis_prefix: str = "tradeoffs:endpoint:"
    audit: AuditKind = "off"
    audit_queue: Literal["memory", "redis"] = "memory"

    def __post_init__(self) -> None:
        if self.mode not in HANDLERS:
            raise ValueError(f"mode must be 'baseline', 'optimized' or 'joined', got {self.mode!r}")
        if self.cache not in ("off", "memory", "redis"):
            raise ValueError(f"cache must be 'off', 'memory' or 'redis', got {self.cache!r}")
        if self.cache == "redis" and not self.redis_url:
            raise ValueError("cache='redis' needs redis_url, e.g. redis://127.0.0.1:6379/0")
        if self.audit not in ("off", "sync", "background", "queue"):
            raise ValueError(
                f"audit must be 'off', 'sync', 'background' or 'queue', got {self.audit!r}"
            )
        if self.audit_queue not in ("memory", "redis"):
            raise ValueError(f"audit_queue must be 'memory' or 'redis', got {self.audit_queue!r}")
        if self.audit_queue == "redis" and not self.redis_url:
            raise ValueError("audit_queue='redis' needs redis_url")
        positive(self.cache_ttl_s, "cache_ttl_s")
        count(self.cache_max_entries, "cache_max_entries")


@dataclass
class LabState:
    """What the app measures; ``app.state.lab`` in the running service."""

    engine: Engine
    config: AppConfig
    cache: CacheAside | None
    queries: QueryLog
    audit_queue: AuditQueue | None = None
    latencies_ms: list[float] = field(default_factory=list)
    queries_per_request: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until no request is in flight (a load generator that stopped may have left
        some running); True if idle within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while self.in_flight > 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def record(self, latency_ms: float, n_queries: int, status: int) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 200:
                self.latencies_ms.append(latency_ms)
                self.queries_per_request.append(n_queries)

    def reset(self) -> None:
        with self.lock:
            self.latencies_ms.clear()
            self.queries_per_request.clear()
            self.statuses.clear()
            if self.cache is not None:
                stats = self.cache.stats
                stats.hits = stats.misses = stats.loads = stats.coalesced = stats.refused = 0
        if self.audit_queue is not None:
            self.audit_queue.reset()

    def close(self) -> None:
        """Stop what the app started: the audit worker (after writing what is queued) and
        the query counter."""
        if self.audit_queue is not None:
            self.audit_queue.close()
        self.queries.close()

    def snapshot(self) -> dict[str, Any]:
        """Counts and copies of the samples (server-side latency of 200 responses, ms)."""
        with self.lock:
            out: dict[str, Any] = {
                "requests": sum(self.statuses.values()),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "latencies_ms": list(self.latencies_ms),
                "queries_per_request": list(self.queries_per_request),
            }
        if self.cache is not None:
            stats = self.cache.stats
            out["cache"] = {
                "hits": stats.hits,
                "misses": stats.misses,
                "loads": stats.loads,
                "coalesced": stats.coalesced,
                "refused": stats.refused,
            }
        if self.audit_queue is not None:
            out["audit_queue"] = self.audit_queue.snapshot()
        return out


class EmailChange(BaseModel):
    email: str


UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="the user's id")]


def _make_backend(config: AppConfig) -> CacheBackend | None:
    if config.cache == "memory":
        return memory_backend(config.cache_ttl_s, config.cache_max_entries)
    if config.cache == "redis":
        assert config.redis_url is not None
        return redis_backend(config.redis_url, config.cache_ttl_s, config.redis_prefix)
    return None


def create_app(engine: Engine, config: AppConfig | None = None) -> FastAPI:
    """The service on ``engine`` (already seeded) for one lab configuration."""
    config = config or AppConfig()
    sessions = sessionmaker(engine, expire_on_commit=False)
    handler = HANDLERS[config.mode]

    def load(user_id: int) -> bytes | None:
        with sessions() as session:
            body = handler(session, user_id)
        return None if body is None else json.dumps(body).encode()

    backend = _make_backend(config)
    cache = (
        None
        if backend is None
        else response_cache(
            backend, load, leases=config.cache_leases, coalesce=config.cache_coalesce
        )
    )
    tasks = None
    if config.audit == "queue":
        client = None
        if config.audit_queue == "redis":
            assert config.redis_url is not None
            client = connect_redis(config.redis_url)
        tasks = AuditQueue(sessions, redis_client=client, key=config.redis_prefix + "audit")
    state = LabState(engine, config, cache, QueryLog(engine), tasks)
    app = FastAPI(title="tradeoffs endpoint lab", docs_url=None, redoc_url=None)
    app.state.lab = state

    @app.middleware("http")
    async def measure(request: Request, call_next: Any) -> Any:
        if not request.url.path.startswith("/users/"):
            return await call_next(request)
        with state.lock:
            state.in_flight += 1
        try:
            with QueryLog.request() as stmts:
                started = time.perf_counter()
                response = await call_next(request)
                latency_ms = (time.perf_counter() - started) * 1000
        finally:
            with state.lock:
                state.in_flight -= 1
        if request.method == "GET":
            state.record(latency_ms, len(stmts), response.status_code)
        return response

    def audit(user_id: int, path: str) -> None:
        with sessions() as session:
            session.add(AuditEntry(user_id=user_id, path=path, at=datetime.now()))
            session.commit()

    @app.get("/users/{user_id}")
    def get_user(user_id: UserId, background: BackgroundTasks) -> Response:
        body = load(user_id) if cache is None else cache.get(user_key(user_id))
        if body is None:
            raise HTTPException(status_code=404, detail=f"user {user_id} not found")
        if config.audit == "sync":
            audit(user_id, f"/users/{user_id}")
        elif config.audit == "background":
            background.add_task(audit, user_id, f"/users/{user_id}")
        elif tasks is not None:
            tasks.put(user_id, f"/users/{user_id}")
        return Response(content=body, media_type="application/json")

    @app.patch("/users/{user_id}")
    def patch_user(user_id: UserId, change: EmailChange) -> dict[str, Any]:
        try:
            with sessions() as session:
                found = update_email(session, user_id, change.email)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        if not found:
            raise HTTPException(status_code=404, detail=f"user {user_id} not found")
        if cache is not None:
            # After the commit, so that a reader arriving later loads the new row; a reader
            # that loaded the old row before the commit holds a lease this revokes, so its
            # late store is refused (with cache_leases=False it would store the old page).
            cache.invalidate(user_key(user_id))
        return {"id": user_id, "email": change.email}

    @app.get("/stats")
    def stats() -> dict[str, Any]:
        return state.snapshot()

    @app.post("/stats/reset")
    def reset() -> dict[str, str]:
        state.reset()
        return {"status": "reset"}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "mode": config.mode, "cache": config.cache}

    return app
