"""Real servers for labs and tests: free ports, a throwaway ``redis-server``, and a
single-server service that really sleeps.

Everything here starts or drives something real (a process, a socket, ``time.sleep``);
the arithmetic that models the same things lives in :mod:`tradeoffs.metrics` and
:mod:`tradeoffs.caching`. The test suite's fixtures (``tests/servers.py``) use these
helpers too, so a lab and its tests reach Redis the same way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from tradeoffs._validate import count, non_negative, positive

__all__ = [
    "REDIS_URL_ENV",
    "RedisHandle",
    "RedisUnavailable",
    "StallingService",
    "connect_redis",
    "free_port",
    "open_redis",
    "start_redis_server",
]

REDIS_URL_ENV = "TRADEOFFS_REDIS_URL"


# ------------------------------------------------------------------------ ports


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------ Redis


class RedisUnavailable(RuntimeError):
    """No Redis server could be reached or started; the message says why and what to do."""


@dataclass
class RedisHandle:
    """A connected Redis client, where it came from, and the server process if we started it."""

    client: Any
    url: str
    source: str
    process: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        """Close the connection and stop the server if this handle started it."""
        with contextlib.suppress(Exception):
            self.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> RedisHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect_redis(url: str, timeout_s: float = 5.0) -> Any:
    """A ``redis.Redis`` client for ``url`` (``redis://host:port/db``), pinged once so an
    unreachable server fails here, with the URL in the message."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        client.ping()
    except Exception as exc:
        client.close()
        raise RedisUnavailable(f"no Redis answers at {url}: {exc}") from exc
    return client


def start_redis_server(port: int | None = None, timeout_s: float = 10.0) -> RedisHandle:
    """Start a throwaway ``redis-server`` on 127.0.0.1 (no persistence) and connect to it.

    Raises RedisUnavailable when the binary is not installed or the server does not answer
    within ``timeout_s``. Stop it with ``handle.close()`` (or use ``with``).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable(
            "redis-server is not installed; install it (Debian/Ubuntu: "
            "`sudo apt-get install redis-server`, macOS: `brew install redis`) "
            f"or point {REDIS_URL_ENV} at a running server"
        )
    port = free_port() if port is None else count(port, "port")
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    cmd += ["--daemonize", "no", "--loglevel", "warning"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RedisUnavailable(f"redis-server exited at start (status {proc.returncode})")
        try:
            client = connect_redis(url, 1.0)
        except RedisUnavailable as exc:  # not listening yet
            last = exc
            time.sleep(0.05)
            continue
        return RedisHandle(client, url, f"started redis-server on port {port}", proc)
    proc.terminate()
    proc.wait(timeout=10)
    raise RedisUnavailable(f"redis-server did not answer on port {port} in {timeout_s} s: {last}")


def open_redis(start_if_missing: bool = True, timeout_s: float = 5.0) -> RedisHandle:
    """A Redis to use: the server at ``$TRADEOFFS_REDIS_URL`` if set, else (when
    ``start_if_missing``) a throwaway ``redis-server`` started here.

    Raises RedisUnavailable with the reason when neither works: an unreachable
    ``TRADEOFFS_REDIS_URL`` is an error, not a reason to start another server.
    """
    url = os.environ.get(REDIS_URL_ENV)
    if url:
        try:
            client = connect_redis(url, timeout_s)
        except RedisUnavailable as exc:
            raise RedisUnavailable(
                f"{REDIS_URL_ENV}={url} is set but not reachable: {exc}"
            ) from exc
        return RedisHandle(client, url, f"{REDIS_URL_ENV}={url}")
    if not start_if_missing:
        raise RedisUnavailable(f"{REDIS_URL_ENV} is not set")
    return start_redis_server(timeout_s=max(timeout_s, 10.0))


# ------------------------------------------------------------------------ a stalling service


class StallingService:
    """A single-server service that takes ``service_time_ms`` per request, except that it
    freezes completely for ``stall_ms`` starting ``stall_at_s`` seconds into the run (a GC
    pause, a failover, a full disk).

    It can be run on a simulated clock (:meth:`completion_s`, exact and instant) or for
    real (:meth:`start` then :meth:`handle`, which really sleeps); the load generators of
    :mod:`tradeoffs.metrics.omission` drive it either way.
    """

    def __init__(
        self, service_time_ms: float = 1.0, stall_at_s: float = 5.0, stall_ms: float = 2000.0
    ) -> None:
        self.service_s = positive(service_time_ms, "service_time_ms") / 1000
        self.stall_at_s = non_negative(stall_at_s, "stall_at_s")
        self.stall_s = non_negative(stall_ms, "stall_ms") / 1000
        self._t0: float | None = None

    @property
    def stall_end_s(self) -> float:
        return self.stall_at_s + self.stall_s

    def completion_s(self, start_s: float) -> float:
        """Simulated clock: when a request that starts at ``start_s`` (seconds) completes."""
        if self.stall_at_s <= start_s < self.stall_end_s:
            return self.stall_end_s + self.service_s
        if start_s < self.stall_at_s < start_s + self.service_s:
            return start_s + self.service_s + self.stall_s
        return start_s + self.service_s

    def start(self) -> None:
        """Real clock: mark time zero of the run (the stall is timed from here)."""
        self._t0 = time.perf_counter()

    def now_s(self) -> float:
        """Real clock: seconds since :meth:`start`."""
        if self._t0 is None:
            raise RuntimeError("call start() before handle()")
        return time.perf_counter() - self._t0

    def sleep_until(self, t_s: float) -> float:
        """Real clock: sleep until ``t_s`` seconds after :meth:`start`; returns the time then."""
        now = self.now_s()
        if now < t_s:
            time.sleep(t_s - now)
            now = self.now_s()
        return now

    def handle(self) -> None:
        """Real clock: serve one request by sleeping, for the whole stall if inside it."""
        now = self.now_s()
        time.sleep(self.completion_s(now) - now)
