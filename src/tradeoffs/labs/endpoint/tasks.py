"""A task queue for the endpoint's side work: audit rows written by a worker, in batches.

The audit side task of the lab (one row per read) can run in three places. On the request
path (``audit="sync"``) the user waits for its INSERT and COMMIT. As a FastAPI background
task (``"background"``) it runs after the response is sent, but still in the server's
thread pool, on the same connection pool, one COMMIT per row, and a keep-alive client's
next request on that connection waits for it. On a **queue** (``"queue"``, this module)
the request only enqueues the row (microseconds); one worker thread takes whatever has
queued up, up to ``batch_max`` rows, and writes them with one INSERT and one COMMIT: two
round trips for a whole batch instead of two per row.

Two transports: an in-process queue (the default; rows still queued are lost if the
process dies) and a Redis list (``LPUSH`` by the request, ``RPOP`` with a count by the
worker), which outlives the app process, so another worker can drain it: the real task
queue's trade, one more server to run. :attr:`AuditQueue.lag_ms` records, for every row
written, the time from enqueue to its commit: what "eventually" means here.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tradeoffs.labs.endpoint.schema import AuditEntry

__all__ = ["AuditQueue"]


class AuditQueue:
    """Audit rows queued by requests and written by one worker thread in batches.

    ``put(user_id, path)`` enqueues; the worker writes batches of at most ``batch_max``
    rows through ``sessions`` (a sessionmaker). With ``redis_client`` the queue is the Redis
    list ``key``; else an in-process queue. ``close()`` drains what is queued and stops
    the worker. ``rows``, ``batches`` and ``lag_ms`` say what it did.
    """

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        batch_max: int = 200,
        redis_client: Any = None,
        key: str = "tradeoffs:endpoint:audit",
        poll_s: float = 0.005,
    ) -> None:
        if batch_max < 1:
            raise ValueError(f"batch_max must be >= 1, got {batch_max}")
        self.sessions = sessions
        self.batch_max = int(batch_max)
        self.redis = redis_client
        self.key = key
        self.poll_s = float(poll_s)
        self.rows = 0
        self.batches = 0
        self.lag_ms: list[float] = []
        self.errors: list[str] = []
        self._local: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._worker = threading.Thread(target=self._run, name="audit-worker", daemon=True)
        self._worker.start()

    @property
    def transport(self) -> str:
        return "redis" if self.redis is not None else "in-process"

    def put(self, user_id: int, path: str) -> None:
        """Enqueue one audit row (what the request pays: no database round trip)."""
        item = json.dumps([int(user_id), str(path), time.time()])
        if self.redis is not None:
            self.redis.lpush(self.key, item)
        else:
            self._local.put(item)

    def _take(self) -> list[str]:
        if self.redis is not None:
            got = self.redis.rpop(self.key, self.batch_max)
            return [g.decode() if isinstance(g, bytes) else g for g in got or []]
        items: list[str] = []
        while len(items) < self.batch_max:
            try:
                items.append(self._local.get_nowait())
            except queue.Empty:
                break
        return items

    def _write(self, items: list[str]) -> None:
        rows = [json.loads(i) for i in items]
        values = [
            {"user_id": uid, "path": path, "at": datetime.fromtimestamp(at)}
            for uid, path, at in rows
        ]
        with self.sessions() as session:
            session.execute(insert(AuditEntry), values)
            session.commit()
        done = time.time()
        with self._lock:
            self.rows += len(rows)
            self.batches += 1
            self.lag_ms.extend((done - at) * 1000 for _uid, _path, at in rows)

    def _run(self) -> None:
        while True:
            items = self._take()
            if items:
                try:
                    self._write(items)
                except Exception as exc:  # a failed batch is counted, not raised
                    with self._lock:
                        self.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if self._stop.is_set():
                return
            time.sleep(self.poll_s)

    def pending(self) -> int:
        """Rows queued and not yet taken by the worker."""
        if self.redis is not None:
            return int(self.redis.llen(self.key))
        return self._local.qsize()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "transport": self.transport,
                "rows": self.rows,
                "batches": self.batches,
                "lag_ms": list(self.lag_ms),
                "errors": list(self.errors),
            }

    def reset(self) -> None:
        with self._lock:
            self.rows = self.batches = 0
            self.lag_ms.clear()

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is still queued, then stop the worker."""
        self._stop.set()
        self._worker.join(timeout_s)
