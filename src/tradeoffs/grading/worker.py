"""The learner's side: runs notebook cells and answers the grader's calls.

Started by the grader (in the sandbox when grading, as a plain child process for
`tradeoffs check`) with one end of a socket on file descriptor `--fd`. It runs the
learner's cells in an IPython shell, as a kernel would (magics, display, inline
figures), and serves requests: run a cell, look up a name, call a function or method,
read an attribute. Results go back as plain data or as handles.

Nothing here is trusted, and nothing needs to be: this process is the learner's, their
code may change any of it, and the grader decides every verdict on its own side from the
plain values it receives.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import io
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from tradeoffs.checks.wire import Decoder, Encoder, NotPlain, WireError
from tradeoffs.grading.channel import Channel, ChannelClosed
from tradeoffs.grading.remote import Exports, clip, decode_error, encode_error, import_by_name

MAX_OUTPUT_CHARS_PER_CELL = 1_000_000
MAX_FILE_BYTES = 16 * 1024 * 1024
_MUTABLE_TYPES = ("list", "dict", "set", "ndarray", "HdrHistogram")


class _Capture:
    """Outputs of one cell or one call, in nbformat's shape."""

    def __init__(self, limit: int = MAX_OUTPUT_CHARS_PER_CELL) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.chars = 0
        self.limit = limit
        self.truncated = False

    def _room(self, size: int) -> bool:
        if self.chars + size > self.limit:
            if not self.truncated:
                self.truncated = True
                self.outputs.append(
                    {"output_type": "stream", "name": "stdout", "text": "\n[output truncated]\n"}
                )
            return False
        self.chars += size
        return True

    def stream(self, name: str, text: str) -> None:
        if not text or not self._room(len(text)):
            return
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def rich(self, kind: str, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        clean = {str(k): v if isinstance(v, str) else repr(v) for k, v in data.items()}
        if not self._room(sum(len(v) for v in clean.values())):
            return
        out: dict[str, Any] = {"output_type": kind, "data": clean, "metadata": {}}
        if kind == "execute_result":
            out["execution_count"] = None
        self.outputs.append(out)

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        text = clip("\n".join(traceback), 20_000)
        self.outputs.append(
            {
                "output_type": "error",
                "ename": clip(ename, 200),
                "evalue": clip(evalue, 2000),
                "traceback": text.split("\n"),
            }
        )


_local = threading.local()


def _current() -> _Capture | None:
    return getattr(_local, "capture", None)


class _Router(io.TextIOBase):
    """sys.stdout / sys.stderr: text goes to the capture of the thread that wrote it."""

    def __init__(self, name: str, fallback: Any) -> None:
        self.name = name
        self.fallback = fallback

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        capture = _current()
        if capture is not None:
            capture.stream(self.name, str(text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.fallback.fileno()


def _make_shell() -> Any:
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):  # type: ignore[no-untyped-def,unused-ignore]
            capture = _current()
            if capture is not None:
                capture.rich("display_data", dict(data or {}), dict(metadata or {}))

        def clear_output(self, wait: bool = False) -> None:
            capture = _current()
            if capture is not None:
                capture.outputs = [o for o in capture.outputs if o["output_type"] == "error"]

    class Hook(DisplayHook):
        def start_displayhook(self) -> None:
            pass

        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict, md_dict=None):  # type: ignore[no-untyped-def,unused-ignore]
            capture = _current()
            if capture is not None:
                capture.rich("execute_result", dict(format_dict), dict(md_dict or {}))

        def finish_displayhook(self) -> None:
            pass

    class Shell(InteractiveShell):
        def enable_gui(self, gui: Any = None) -> None:
            pass

        def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
            capture = _current()
            if capture is not None:
                capture.error(getattr(etype, "__name__", str(etype)), str(evalue), list(stb))

    shell = Shell.instance(display_pub_class=Publisher, displayhook_class=Hook)
    shell.colors = "NoColor"
    return shell


class Worker:
    def __init__(self, sock: socket.socket) -> None:
        self.exports = Exports()
        self.shell = _make_shell()
        self.ns: dict[str, Any] = self.shell.user_ns
        self.hidden = set(self.shell.user_ns_hidden)
        self.watched: dict[str, int] = {}
        self.channel = Channel(
            sock, self.serve, encode_error=encode_error, main_ops=frozenset({"exec"})
        )

    # -------------------------------------------------------------- coding

    def _other(self, value: Any, enc: Encoder) -> Any:
        if isinstance(value, _HarnessCallable | _HarnessObject):
            return {"$yours": value.handle}
        if isinstance(value, _Handle):
            value = value.value
        info: dict[str, Any] = {"type": clip(type(value).__qualname__, 200)}
        try:
            info["methods"] = sorted(
                n
                for n in dir(type(value))
                if not n.startswith("_") and callable(getattr(type(value), n, None))
            )[:2000]
        except Exception:
            info["methods"] = []
        return {"$ref": [self.exports.add(value), info]}

    def encode(self, value: Any) -> tuple[Any, bytes]:
        enc = Encoder(on_other=self._other)
        return enc.encode(value), bytes(enc.buffer)

    def decode(self, tree: Any, buffer: bytes) -> Any:
        def on_tag(tag: str, payload: Any, decoder: Decoder) -> Any:
            if tag == "$yours":
                return self.exports.get(payload)
            if tag == "$yourm":
                return getattr(self.exports.get(payload[0]), str(payload[1]))
            if tag == "$import":
                return import_by_name(str(payload))
            if tag == "$partial":
                import functools

                func, args, kwargs = (decoder.decode(p) for p in payload)
                return functools.partial(func, *args, **kwargs)
            if tag == "$ref":
                handle, info = payload
                if info.get("kind") == "object":
                    return _HarnessObject(self, handle, list(info.get("methods", [])))
                return _HarnessCallable(self, handle)
            raise WireError(f"unknown tag {tag!r}")

        return Decoder(buffer, on_tag).decode(tree)

    def call_harness(self, op: str, payload: dict[str, Any]) -> Any:
        tree, buffer = self.encode(payload)
        ok, value, reply = self.channel.request(op, tree, buffer)
        decoded = self.decode(value, reply) if ok else value
        if not ok:
            raise decode_error(value)
        return decoded

    # -------------------------------------------------------------- serving

    def serve(self, op: str, tree: Any, buffer: bytes) -> tuple[Any, bytes]:
        req: Any = self.decode(tree, buffer)
        if type(req) is not dict:
            raise WireError("malformed request")
        if op == "exec":
            return self.encode(self.exec_cell(str(req.get("source", ""))))
        if op == "ping":
            return self.encode({"pid": os.getpid()})
        if op == "fetch":
            name = str(req.get("name"))
            if name not in self.ns or name in self.hidden:
                raise NameError(f"name {name!r} is not defined")
            value = self.ns[name]
            self.watched[name] = id(value)
            return self.encode({"result": value})
        if op == "bind":
            name = str(req.get("name"))
            self.ns[name] = req.get("value")
            self.watched.pop(name, None)
            return self.encode(None)
        if op == "unbind":
            name = str(req.get("name"))
            self.ns.pop(name, None)
            self.watched.pop(name, None)
            return self.encode(None)
        if op == "inside":
            factory: Any = req.get("target")
            result = self._captured(lambda: factory(*req.get("args", ()), **req.get("kwargs", {})))
            result["result"] = _Handle(result["result"])
            return self.encode(result)
        if op == "read_file":  # a test reading what the learner's code wrote
            path = str(req.get("path"))
            if not os.path.isfile(path):
                return self.encode({"result": None})
            with open(path, "rb") as fh:
                return self.encode({"result": fh.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]})
        if op == "write_file":  # a test writing a file for the learner's code to read
            path = str(req.get("path"))
            folder = os.path.dirname(path)
            if folder:
                os.makedirs(folder, exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(bytes(req.get("data") or b""))
            return self.encode(None)
        if op == "stage":  # arguments for a measured call, decoded before the clock starts
            staged = _Staged(tuple(req.get("args", ())), dict(req.get("kwargs", {})))
            return self.encode({"result": _Handle(staged)})
        if op == "measured":  # the call a measurement times: staged arguments, no result
            run: Any = req.get("target")
            ready = req.get("staged")
            if not isinstance(ready, _Staged):
                raise WireError("a measured call needs staged arguments")
            self._captured(lambda: run(*ready.args, **ready.kwargs))
            return self.encode(None)
        return self.encode(self.object_op(op, req))

    def _captured(self, fn: Callable[[], Any]) -> dict[str, Any]:
        capture = _Capture(limit=100_000)
        previous = _current()
        _local.capture = capture
        try:
            value = fn()
        finally:
            _local.capture = previous
        return {"result": value, "outputs": capture.outputs}

    def object_op(self, op: str, req: dict[str, Any]) -> dict[str, Any]:
        target: Any = req.get("target")
        name = req.get("name")
        args = req.get("args", ())
        kwargs = req.get("kwargs", {})
        copyback = bool(req.get("copyback", False))
        before = self._mutable_snapshot(args, kwargs) if copyback else {}

        def run() -> Any:
            if op == "call":
                return target(*args, **kwargs)
            if op == "callm":
                return getattr(target, str(name))(*args, **kwargs)
            if op == "getattr":
                return getattr(target, str(name))
            if op == "setattr":
                return setattr(target, str(name), req.get("value"))
            if op == "delattr":
                return delattr(target, str(name))
            if op == "len":
                return len(target)
            if op == "iter":
                return list(target)
            if op == "getitem":
                return target[args[0]]
            if op == "setitem":
                target[args[0]] = args[1]
                return None
            if op == "delitem":
                del target[args[0]]
                return None
            if op == "contains":
                return args[0] in target
            if op == "bool":
                return bool(target)
            raise WireError(f"unknown operation {op!r}")

        reply = self._captured(run)
        if copyback:
            reply["mutated"] = self._mutated(before, args, kwargs)
        rebound = [n for n, ident in self.watched.items() if id(self.ns.get(n, _MISSING)) != ident]
        for n in rebound:
            self.watched.pop(n, None)
        reply["rebound"] = rebound
        return reply

    @staticmethod
    def _plain_form(value: Any) -> tuple[Any, bytes] | None:
        try:
            enc = Encoder()
            return enc.encode(value), bytes(enc.buffer)
        except NotPlain:
            return None

    def _mutable_snapshot(self, args: Any, kwargs: Any) -> dict[Any, Any]:
        """The plain form of each mutable argument, to see afterwards what a call changed."""
        snap: dict[Any, Any] = {}
        for key, value in [*enumerate(args), *kwargs.items()]:
            if type(value).__name__ in _MUTABLE_TYPES or hasattr(value, "__dataclass_fields__"):
                form = self._plain_form(value)
                if form is not None:
                    snap[key] = form
        return snap

    def _mutated(self, before: dict[Any, Any], args: Any, kwargs: Any) -> list[Any]:
        changed = []
        for key, form in before.items():
            value = args[key] if type(key) is int else kwargs[key]
            if self._plain_form(value) != form:
                changed.append([key, value])
        return changed

    # -------------------------------------------------------------- cells

    def exec_cell(self, source: str) -> dict[str, Any]:
        capture = _Capture()
        before = {k: id(v) for k, v in self.ns.items()}
        _local.capture = capture
        try:
            result = self.shell.run_cell(source, store_history=True)
            ok = bool(result.success)
        except BaseException as exc:  # a cell that escapes IPython's own handling
            capture.error(type(exc).__name__, str(exc), [])
            ok = False
        finally:
            _local.capture = None
        after = self.ns
        rebound = [
            k
            for k, v in after.items()
            if k not in self.hidden and before.get(k) != id(v) and not k.startswith("_")
        ]
        deleted = [k for k in before if k not in after and not k.startswith("_")]
        for k in [*rebound, *deleted]:
            self.watched.pop(k, None)
        return {"ok": ok, "outputs": capture.outputs, "rebound": rebound, "deleted": deleted}


_MISSING = object()


class _Staged:
    """Arguments waiting in this process for a measured call."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs


class _Handle:
    """Marks a value that must cross as a handle even when it is plain."""

    def __init__(self, value: Any) -> None:
        self.value = value


class _HarnessCallable:
    """A callable the grader lent (a test's fake clock, a load function)."""

    def __init__(self, worker: Worker, handle: int) -> None:
        self.worker = worker
        self.handle = handle

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.worker.call_harness("call", {"target": self, "args": args, "kwargs": kwargs})

    def __repr__(self) -> str:
        return "<a function of the test>"


class _HarnessObject:
    """An object the grader lent: only its public methods can be called."""

    def __init__(self, worker: Worker, handle: int, methods: list[str]) -> None:
        self.worker = worker
        self.handle = handle
        self.methods = set(methods)

    def __getattr__(self, name: str) -> Any:
        if name not in self.methods:
            raise AttributeError(name)

        def method(*args: Any, **kwargs: Any) -> Any:
            payload = {"target": self, "name": name, "args": args, "kwargs": kwargs}
            return self.worker.call_harness("callm", payload)

        return method


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tradeoffs-worker")
    parser.add_argument("--fd", type=int, required=True)
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    real_stdout, real_stderr = sys.stdout, sys.stderr
    sys.stdout = _Router("stdout", real_stdout)
    sys.stderr = _Router("stderr", real_stderr)
    builtins.input = _no_input  # type: ignore[assignment]
    worker = Worker(sock)
    # The learner's code sees the folder it runs in, as in a Jupyter kernel.
    sys.path.insert(0, "")
    worker.channel.start()
    with contextlib.suppress(ChannelClosed):
        worker.channel.serve_main()
    os._exit(0)


def _no_input(prompt: str = "") -> str:
    raise RuntimeError("input() is not available while a notebook is being checked")


if __name__ == "__main__":
    sys.exit(main())
