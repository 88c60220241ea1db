"""The scoring service: ``POST /score`` on FastAPI, with its tier as configuration.

One process holds both paths of the trade-off: a **fast** scorer (the lean logistic
regression) and an **accurate** one (the random forest). :class:`ServiceConfig` picks
the tier: ``"fast"`` or ``"accurate"`` score every transaction with one model;
``"cascade"`` scores with the fast model and escalates the transactions whose fast
score falls in the escalation ``band`` to the accurate one. ``PUT /config`` changes the
tier and band of the running service (no restart), ``GET /config`` shows them.

A request carries the transaction (customer, terminal, amount, time); the service
computes its features online from its own history (:class:`OnlineFeatures`), scores
it, and answers with the score, the decision and the path it took. Bad input (missing
fields, wrong types, booleans for numbers, unknown fields, absurd amounts or times,
a customer's transaction older than one already seen) gets a 422 that says which field
is wrong; nothing a client sends makes the service answer 500.

The app measures itself: each scored request's server-side time (ms) by tier at
``GET /stats`` (``POST /stats/reset`` clears it). Serve it with
:func:`tradeoffs.labs.endpoint.serve` (uvicorn on a loopback port, in a thread).
Scoring runs inline on the event loop: the work is CPU-bound and holds the GIL, so a
thread pool would only add hand-offs; one process per core is how it scales.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tradeoffs.labs.fraud.cascade import check_band
from tradeoffs.labs.fraud.features import OnlineFeatures
from tradeoffs.labs.fraud.latency import Scorer

__all__ = [
    "MAX_AMOUNT_USD",
    "MAX_TIME_S",
    "ScoringState",
    "ServiceConfig",
    "TransactionIn",
    "create_scoring_app",
]

Tier = Literal["fast", "accurate", "cascade"]
TIERS: tuple[Tier, ...] = ("fast", "accurate", "cascade")
MAX_AMOUNT_USD = 100_000.0
"""Larger amounts are refused as absurd (422): no card payment of the lab is that big."""
MAX_TIME_S = 10 * 365 * 86_400
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class ServiceConfig:
    """The service's tier, its escalation band and its decision thresholds."""

    tier: Tier = "cascade"
    band: tuple[float, float] = (0.05, 0.2)
    fast_threshold: float = 0.1
    accurate_threshold: float = 0.1

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}, got {self.tier!r}")
        object.__setattr__(self, "band", check_band(self.band))
        for name in ("fast_threshold", "accurate_threshold"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


class TransactionIn(BaseModel):
    """One transaction to score (the request body of ``POST /score``)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    transaction_id: int | None = Field(default=None, ge=0, le=2**63 - 1)
    customer_id: int = Field(ge=0, le=MAX_ID)
    terminal_id: int = Field(ge=0, le=MAX_ID)
    amount_usd: float = Field(gt=0, le=MAX_AMOUNT_USD, allow_inf_nan=False)
    time_s: int = Field(ge=0, le=MAX_TIME_S)


class ConfigIn(BaseModel):
    """A change of configuration (``PUT /config``); fields left out keep their value."""

    model_config = ConfigDict(strict=True, extra="forbid")

    tier: Tier | None = None
    band: list[float] | None = Field(default=None, min_length=2, max_length=2)
    fast_threshold: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    accurate_threshold: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)


@dataclass
class ScoringState:
    """What the running service holds and measures (``app.state.scoring``)."""

    fast: Scorer
    accurate: Scorer
    store: OnlineFeatures
    config: ServiceConfig
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: {"all": []})
    statuses: dict[int, int] = field(default_factory=dict)
    escalated: int = 0
    scored: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, latency_ms: float, path: str | None) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if path is not None:
                self.latencies_ms["all"].append(latency_ms)
                self.latencies_ms.setdefault(path, []).append(latency_ms)

    def reset(self) -> None:
        with self.lock:
            self.latencies_ms = {"all": []}
            self.statuses.clear()
            self.escalated = self.scored = 0

    def snapshot(self) -> dict[str, Any]:
        """Counts, the escalation rate and copies of the latency samples (ms)."""
        with self.lock:
            return {
                "config": _config_json(self.config),
                "requests": sum(self.statuses.values()),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "scored": self.scored,
                "escalation_rate": self.escalated / self.scored if self.scored else 0.0,
                "latencies_ms": {k: list(v) for k, v in self.latencies_ms.items()},
            }

    def score(self, tx: TransactionIn) -> dict[str, Any]:
        """Features, model call(s) and decision for one transaction."""
        try:
            with self.lock:
                x = self.store.observe(tx.customer_id, tx.terminal_id, tx.time_s, tx.amount_usd)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        cfg = self.config
        escalated = False
        if cfg.tier == "fast":
            score = self.fast.one(x)
            flag, path = score >= cfg.fast_threshold, "fast"
        elif cfg.tier == "accurate":
            score = self.accurate.one(x)
            flag, path = score >= cfg.accurate_threshold, "accurate"
        else:
            low, high = cfg.band
            score = self.fast.one(x)
            flag, path = score >= high, "fast"
            if low <= score < high:
                score = self.accurate.one(x)
                flag, path, escalated = score >= cfg.accurate_threshold, "accurate", True
        with self.lock:
            self.scored += 1
            self.escalated += escalated
        return {
            "transaction_id": tx.transaction_id,
            "score": score,
            "flag": bool(flag),
            "path": path,
            "escalated": escalated,
        }


def _config_json(config: ServiceConfig) -> dict[str, Any]:
    out = asdict(config)
    out["band"] = list(config.band)
    return out


def create_scoring_app(
    fast: Scorer, accurate: Scorer, store: OnlineFeatures, config: ServiceConfig | None = None
) -> FastAPI:
    """The scoring service around two scorers and a feature store already holding the
    history (see :meth:`OnlineFeatures.load_history`)."""
    state = ScoringState(fast, accurate, store, config or ServiceConfig())
    app = FastAPI(title="tradeoffs fraud scoring", docs_url=None, redoc_url=None)
    app.state.scoring = state

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own 422, with each error's location and message, never the input
        # echoed back in full (it may be huge).
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse(status_code=422, content=jsonable_encoder({"detail": errors}))

    @app.middleware("http")
    async def measure(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        if request.url.path == "/score":
            path = response.headers.get("x-scoring-path") if response.status_code == 200 else None
            state.record(response.status_code, (time.perf_counter() - started) * 1000, path)
        return response

    @app.post("/score")
    async def score(tx: TransactionIn) -> JSONResponse:
        body = state.score(tx)
        return JSONResponse(body, headers={"x-scoring-path": body["path"]})

    @app.get("/config")
    async def get_config() -> dict[str, Any]:
        return _config_json(state.config)

    @app.put("/config")
    async def put_config(change: ConfigIn) -> dict[str, Any]:
        updates: dict[str, Any] = {k: v for k, v in change.model_dump().items() if v is not None}
        if "band" in updates:
            updates["band"] = tuple(updates["band"])
        try:
            state.config = replace(state.config, **updates)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        return _config_json(state.config)

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        return state.snapshot()

    @app.post("/stats/reset")
    async def reset() -> dict[str, str]:
        state.reset()
        return {"status": "reset"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "tier": state.config.tier}

    return app
