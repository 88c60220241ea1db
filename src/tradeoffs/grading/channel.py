"""The socket between the grader and a learner's process: framed messages, calls both ways.

A frame is two 4-byte lengths (JSON header, binary buffer) and the two parts. A request
`{"k": "req", "id": n, "op": name, "ctx": m, "v": value}` is answered by
`{"k": "rep", "id": n, "ok": bool, "v": value}`. Either side may call the other while it is
itself serving a call (a learner's `cache.get` calling the test's fake clock): such a
nested request names the call it serves (`ctx`), and is run by the very thread that is
waiting for that call, so nested calls neither deadlock nor hop between threads.

Every byte received counts against a total budget; a frame over the size limit, a broken
frame or a budget overrun closes the channel, and every waiting call then raises
ChannelClosed. Nothing here interprets values: `wire` does, one layer up.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import socket
import struct
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

_HEAD = struct.Struct("!II")


class ChannelClosed(ConnectionError):
    """The other side went away, broke the protocol, or sent more than it may."""

    def __init__(self, reason: str, *, limit: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit  # True when a size or byte budget was exceeded


class ChannelTimeout(TimeoutError):
    """A call did not return before its deadline."""


@dataclass
class Message:
    header: dict[str, Any]
    buffer: bytes = b""


Handler = Callable[[str, Any, bytes], tuple[Any, bytes]]
"""Serves one request: (op, value tree, buffer) -> (value tree, buffer); raises to fail."""

ErrorEncoder = Callable[[BaseException], Any]


class Channel:
    """One end of the socket. `handler` serves the other side's requests; `main_ops`
    names the ops that must run on the thread that calls `serve_main()` (cell execution
    wants the main thread); every other request runs on a pool thread."""

    def __init__(
        self,
        sock: socket.socket,
        handler: Handler,
        *,
        encode_error: ErrorEncoder,
        max_frame_bytes: int = 64 * 1024 * 1024,
        max_total_bytes: int | None = None,
        main_ops: frozenset[str] = frozenset(),
        workers: int = 64,
    ) -> None:
        self.sock = sock
        self.handler = handler
        self.encode_error = encode_error
        self.max_frame_bytes = max_frame_bytes
        self.max_total_bytes = max_total_bytes
        self.main_ops = main_ops
        self.received_bytes = 0
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._waiting: dict[int, queue.SimpleQueue[Message | ChannelClosed]] = {}
        self._waiting_lock = threading.Lock()
        self._serving = threading.local()
        self._main: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="channel")
        self.closed: ChannelClosed | None = None
        self._reader = threading.Thread(target=self._read_loop, name="channel-reader", daemon=True)

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Channel:
        self._reader.start()
        return self

    def close(self, reason: str = "closed", *, limit: bool = False) -> None:
        """Close the socket; every waiting call raises ChannelClosed(reason)."""
        with self._waiting_lock:
            if self.closed is None:
                self.closed = ChannelClosed(reason, limit=limit)
            waiters = list(self._waiting.values())
        for waiter in waiters:
            waiter.put(self.closed)
        self._main.put(None)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ frames

    def _send(self, header: dict[str, Any], buffer: bytes = b"") -> None:
        data = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
        with self._write_lock:
            if self.closed is not None:
                raise self.closed
            try:
                self.sock.sendall(_HEAD.pack(len(data), len(buffer)) + data + buffer)
            except OSError as exc:
                raise ChannelClosed(f"the other side went away ({exc})") from exc

    def _recv_exact(self, size: int) -> bytes:
        chunks, left = [], size
        while left:
            chunk = self.sock.recv(min(left, 1 << 20))
            if not chunk:
                raise ChannelClosed("the other side closed the connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _read_frame(self) -> Message:
        head_len, buf_len = _HEAD.unpack(self._recv_exact(_HEAD.size))
        size = head_len + buf_len
        if size > self.max_frame_bytes:
            raise ChannelClosed(
                f"a message of {size:,} bytes, over the {self.max_frame_bytes:,}-byte limit",
                limit=True,
            )
        self.received_bytes += _HEAD.size + size
        if self.max_total_bytes is not None and self.received_bytes > self.max_total_bytes:
            raise ChannelClosed(f"more than {self.max_total_bytes:,} bytes sent in all", limit=True)
        raw = self._recv_exact(head_len)
        buffer = self._recv_exact(buf_len) if buf_len else b""
        try:
            header = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ChannelClosed(f"a malformed message ({type(exc).__name__})") from exc
        if type(header) is not dict or header.get("k") not in ("req", "rep"):
            raise ChannelClosed("a message that is not a request or a reply")
        if type(header.get("id")) is not int:
            raise ChannelClosed("a message without an id")
        return Message(header, buffer)

    def _read_loop(self) -> None:
        try:
            while True:
                msg = self._read_frame()
                if msg.header["k"] == "rep":
                    with self._waiting_lock:
                        waiter = self._waiting.get(msg.header["id"])
                    if waiter is not None:
                        waiter.put(msg)
                    continue
                ctx = msg.header.get("ctx")
                with self._waiting_lock:
                    waiter = self._waiting.get(ctx) if type(ctx) is int else None
                if waiter is not None:
                    waiter.put(msg)  # nested: the waiting thread serves it
                elif msg.header.get("op") in self.main_ops:
                    self._main.put(msg)
                else:
                    self._pool.submit(self._serve, msg)
        except ChannelClosed as exc:
            self.close(exc.reason, limit=exc.limit)
        except OSError as exc:
            self.close(f"the connection failed ({exc})")
        except Exception as exc:  # a bug here must not leave callers waiting forever
            self.close(f"the channel failed ({type(exc).__name__}: {exc})")

    # ------------------------------------------------------------------ serving

    def _serve(self, msg: Message) -> None:
        stack = getattr(self._serving, "stack", None)
        if stack is None:
            stack = self._serving.stack = []
        stack.append(msg.header["id"])
        try:
            op = str(msg.header.get("op"))
            try:
                tree, buffer = self.handler(op, msg.header.get("v"), msg.buffer)
                reply = {"k": "rep", "id": msg.header["id"], "ok": True, "v": tree}
            except ChannelClosed:
                return
            except BaseException as exc:  # reported to the caller, never raised here
                reply = {
                    "k": "rep",
                    "id": msg.header["id"],
                    "ok": False,
                    "v": self.encode_error(exc),
                }
                buffer = b""
            with contextlib.suppress(ChannelClosed, ValueError, TypeError):
                self._send(reply, buffer)
        finally:
            stack.pop()

    def serve_main(self) -> None:
        """Serve `main_ops` requests on this thread until the channel closes."""
        while True:
            msg = self._main.get()
            if msg is None:
                return
            self._serve(msg)

    # ------------------------------------------------------------------ calling

    def request(
        self, op: str, tree: Any, buffer: bytes = b"", *, timeout: float | None = None
    ) -> tuple[bool, Any, bytes]:
        """Send a request and wait for its reply, serving nested requests meanwhile.

        Returns (ok, value tree, buffer). Raises ChannelTimeout at the deadline and
        ChannelClosed when the channel closes first.
        """
        import time

        stack = getattr(self._serving, "stack", None)
        ctx = stack[-1] if stack else None
        rid = next(self._ids)
        waiter: queue.SimpleQueue[Message | ChannelClosed] = queue.SimpleQueue()
        with self._waiting_lock:
            if self.closed is not None:
                raise self.closed
            self._waiting[rid] = waiter
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self._send({"k": "req", "id": rid, "op": op, "ctx": ctx, "v": tree}, buffer)
            while True:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    msg = waiter.get(timeout=left)
                except queue.Empty:
                    raise ChannelTimeout(f"no answer within {timeout:g} s") from None
                if isinstance(msg, ChannelClosed):
                    raise msg
                if msg.header["k"] == "rep":
                    return bool(msg.header.get("ok")), msg.header.get("v"), msg.buffer
                self._serve(msg)
        finally:
            with self._waiting_lock:
                self._waiting.pop(rid, None)
