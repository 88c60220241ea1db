"""A real Prometheus server on loopback, and PromQL through its HTTP API.

:class:`PrometheusServer` starts Debian's ``prometheus`` binary with a throwaway data
directory, scraping the targets it is given (``host:port`` of services that serve
``/metrics``) every ``scrape_interval_s``; targets can change while it runs
(:meth:`~PrometheusServer.set_targets` rewrites a file-based service-discovery file,
which Prometheus watches). :meth:`~PrometheusServer.query` and
:meth:`~PrometheusServer.query_range` evaluate PromQL through ``/api/v1/query`` and
``/api/v1/query_range`` and return plain numbers.

Where the binary is missing, :func:`prometheus_binary` returns None and starting a
server raises :class:`PrometheusUnavailable` saying how to install it.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from tradeoffs.caching import free_port

__all__ = [
    "PrometheusServer",
    "PrometheusUnavailable",
    "prometheus_binary",
    "promtool_binary",
]

INSTALL_HINT = "install it with `apt-get install prometheus` (Debian/Ubuntu) or from prometheus.io"


class PrometheusUnavailable(RuntimeError):
    """There is no ``prometheus`` binary, or it did not start."""


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


def promtool_binary() -> str | None:
    return shutil.which("promtool")


_CONFIG = """\
global:
  scrape_interval: {interval}
  evaluation_interval: {interval}
  scrape_timeout: {timeout}
scrape_configs:
  - job_name: {job}
    file_sd_configs:
      - files: [{targets}]
        refresh_interval: 1s
"""


class PrometheusServer:
    """Prometheus on ``127.0.0.1`` (a free port), scraping ``targets`` as job ``job``.

    Use as a context manager (``with PrometheusServer([...]) as prom:``); leaving it stops
    the server and deletes its data. Scrapes every ``scrape_interval_s`` (1 s by default:
    a lesson is short; production uses 15 to 60 s).
    """

    def __init__(
        self,
        targets: Sequence[str] = (),
        *,
        job: str = "shop",
        scrape_interval_s: float = 1.0,
        labels: dict[str, dict[str, str]] | None = None,
    ) -> None:
        exe = prometheus_binary()
        if exe is None:
            raise PrometheusUnavailable(f"the `prometheus` binary is not on PATH: {INSTALL_HINT}")
        if scrape_interval_s <= 0:
            raise ValueError("scrape_interval_s must be positive")
        self.exe = exe
        self.job = job
        self.scrape_interval_s = scrape_interval_s
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = Path(tempfile.mkdtemp(prefix="tradeoffs-prometheus-"))
        self._targets_file = self._dir / "targets.json"
        self.set_targets(targets, labels)
        interval = f"{round(scrape_interval_s * 1000)}ms"
        (self._dir / "prometheus.yml").write_text(
            _CONFIG.format(
                interval=interval,
                timeout=interval,
                job=job,
                targets=json.dumps(str(self._targets_file)),
            ),
            encoding="utf-8",
        )
        self._proc: subprocess.Popen[bytes] | None = None
        self._client = httpx.Client(base_url=self.url, timeout=10)

    def set_targets(
        self, targets: Sequence[str], labels: dict[str, dict[str, str]] | None = None
    ) -> None:
        """Scrape ``targets`` (``host:port``) from now on; ``labels[target]`` adds labels."""
        groups = [{"targets": [t], "labels": (labels or {}).get(t, {})} for t in targets]
        tmp = self._targets_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(groups), encoding="utf-8")
        tmp.replace(self._targets_file)  # atomic: Prometheus never reads half a file

    def start(self, timeout_s: float = 20.0) -> PrometheusServer:
        log = open(self._dir / "prometheus.log", "wb")  # noqa: SIM115 (closed in stop)
        self._log = log
        self._proc = subprocess.Popen(
            [
                self.exe,
                f"--config.file={self._dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self._dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1d",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = (self._dir / "prometheus.log").read_text(errors="replace")[-1000:]
                raise PrometheusUnavailable(f"prometheus exited at start:\n{tail}")
            try:
                if self._client.get("/-/ready").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise PrometheusUnavailable(f"prometheus was not ready within {timeout_s:g} s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if hasattr(self, "_log"):
            self._log.close()
        self._client.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ the HTTP API

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        response = self._client.get(path, params=params)
        body = response.json()
        if body.get("status") != "success":
            raise ValueError(f"PromQL error for {params.get('query')!r}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[tuple[dict[str, str], float]]:
        """Evaluate ``expr`` at time ``at`` (Unix seconds; default now): one (labels, value)
        per series of the instant vector (a scalar gives one pair with no labels)."""
        params: dict[str, Any] = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("/api/v1/query", params)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def value(self, expr: str, at: float | None = None) -> float:
        """The single value of ``expr`` (NaN if it returns nothing, an error if several)."""
        result = self.query(expr, at)
        if not result:
            return math.nan
        if len(result) > 1:
            raise ValueError(f"{expr!r} returned {len(result)} series; aggregate it (sum, max)")
        return result[0][1]

    def query_range(
        self, expr: str, start: float, end: float, step_s: float
    ) -> list[tuple[dict[str, str], list[float], list[float]]]:
        """Evaluate ``expr`` every ``step_s`` from ``start`` to ``end`` (Unix seconds): one
        (labels, times, values) per series."""
        data = self._get(
            "/api/v1/query_range",
            {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step_s:g}"},
        )
        return [
            (r["metric"], [float(t) for t, _ in r["values"]], [float(v) for _, v in r["values"]])
            for r in data["result"]
        ]

    def active_targets(self) -> list[dict[str, Any]]:
        """The targets Prometheus scrapes now, with their health and last error."""
        data = self._get("/api/v1/targets", {"state": "active"})
        return list(data["activeTargets"])

    def wait_for_targets(self, n: int, timeout_s: float = 15.0) -> None:
        """Wait until ``n`` targets have been scraped successfully at least once."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            up = [t for t in self.active_targets() if t.get("health") == "up"]
            if len(up) >= n:
                return
            time.sleep(0.1)
        raise PrometheusUnavailable(
            f"fewer than {n} targets were up after {timeout_s:g} s: {self.active_targets()}"
        )
