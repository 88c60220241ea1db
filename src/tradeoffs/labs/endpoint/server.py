"""Serve an app with uvicorn on a free loopback port, in a background thread.

A real server on a real socket: clients (httpx, Locust in a subprocess) connect over TCP
to 127.0.0.1. ``with serve(app) as server:`` starts it and waits until it accepts
connections; leaving the block stops it cleanly (in-flight requests finish first).

Python's cyclic garbage collector scans every tracked object of the process in a full
(generation 2) collection; in a notebook kernel that is millions of objects, and a
request that creates many ORM objects triggers such collections: 20 to 50 ms pauses
that show up in the p99. ``gc_freeze=True`` (the default) calls ``gc.freeze()`` when the
server starts, as large Python web services do in their workers, so collections only
scan objects created since; ``gc.unfreeze()`` when it stops hands them back.
"""

from __future__ import annotations

import gc
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

__all__ = ["ServerThread", "serve"]


class ServerThread:
    """uvicorn serving ``app`` on ``127.0.0.1:port`` (a free port when ``port`` is 0)."""

    def __init__(
        self, app: Any, port: int = 0, *, thread_pool_size: int = 40, gc_freeze: bool = True
    ) -> None:
        self.app = app
        self.gc_freeze = gc_freeze
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when
        # the listening socket says TCP, and without it Nagle's algorithm and delayed ACKs
        # add about 40 ms to every response.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="error",
            access_log=False,
            log_config=None,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"uvicorn:{self.port}", daemon=True)
        self._thread_pool_size = thread_pool_size

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        import anyio.to_thread

        async def main() -> None:
            # The thread pool that runs sync handlers: its size caps in-flight requests.
            anyio.to_thread.current_default_thread_limiter().total_tokens = self._thread_pool_size
            await self._server.serve(sockets=[self._sock])

        import asyncio

        asyncio.run(main())

    def start(self, timeout_s: float = 10.0) -> ServerThread:
        if self.gc_freeze:
            gc.collect()
            gc.freeze()
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout_s)
        self._sock.close()
        if self.gc_freeze:
            gc.unfreeze()


@contextmanager
def serve(
    app: Any, port: int = 0, *, thread_pool_size: int = 40, gc_freeze: bool = True
) -> Iterator[ServerThread]:
    """Run ``app`` on loopback for the duration of the block; yields the running server."""
    server = ServerThread(app, port, thread_pool_size=thread_pool_size, gc_freeze=gc_freeze)
    server.start()
    try:
        yield server
    finally:
        server.stop()
