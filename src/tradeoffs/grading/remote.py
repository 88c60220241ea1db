"""Objects across the channel: handles, proxies, errors. Shared by grader and worker.

What crosses is plain data (`tradeoffs.checks.wire`). An object that is not plain stays
where it lives and crosses as a handle: `{"$ref": [id, info]}` from its owner, and
`{"$yours": id}` when it is sent back. The two sides do not trust each other the same way:

- the worker (the learner's process) exports any object its code produced: the grader
  sees a `Remote` proxy, which forwards calls, attribute reads, `len`, iteration and
  indexing, and brings back plain values or further proxies. A proxy never compares
  equal to anything but itself, so it cannot pass for an expected value.
- the grader exports only callables (a test's fake clock, an origin function) and objects
  whose public methods a test handed over; the worker may call them and nothing else (no
  attribute walks into the grader's process). Functions and classes importable from an
  installed module are sent by reference instead (`{"$import": "module:qualname"}`), so a
  learner profiling `score_accounts` profiles their own process's copy; the grader never
  imports by a name the worker sends.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import importlib
import itertools
import threading
import traceback as tb
from collections.abc import Callable
from typing import Any

from tradeoffs.checks.wire import Decoder, Encoder, NotPlain, WireError

MAX_MESSAGE_CHARS = 2000
MAX_TRACEBACK_CHARS = 6000

# Exceptions that cross as themselves (the test may catch a ValueError); others become
# LearnerError. Exiting and interrupting never cross as themselves.
_CROSSING = {
    name: obj
    for name, obj in vars(builtins).items()
    if isinstance(obj, type)
    and issubclass(obj, Exception)
    and obj not in (StopIteration, StopAsyncIteration)
}


class LearnerError(Exception):
    """The learner's code raised an exception that is not a built-in one."""


class Unsupported(TypeError):
    """An operation a proxy cannot forward; the test needs the learner's own kernel."""


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 20] + "... [cut]"


def encode_error(exc: BaseException) -> dict[str, Any]:
    """An exception as plain data: its type name, args when plain, message, traceback."""
    name = type(exc).__name__
    try:
        message = str(exc)
    except Exception:
        message = f"<{name}>"
    info: dict[str, Any] = {"type": clip(name, 100), "message": clip(message, MAX_MESSAGE_CHARS)}
    if type(exc) in _CROSSING.values():
        with contextlib.suppress(NotPlain):
            info["args"] = Encoder().encode(tuple(exc.args))
    try:
        info["traceback"] = clip("".join(tb.format_exception(exc)), MAX_TRACEBACK_CHARS)
    except Exception:
        info["traceback"] = ""
    return info


def decode_error(info: Any) -> BaseException:
    """The exception to raise for an error reply. Built-in types are rebuilt (with their
    plain args); anything else, and any malformed reply, becomes LearnerError."""
    if type(info) is not dict:
        return LearnerError("the learner's process sent a malformed error")
    name = str(info.get("type", "Exception"))[:100]
    message = str(info.get("message", ""))[:MAX_MESSAGE_CHARS]
    cls = _CROSSING.get(name)
    exc: BaseException
    if cls is None:
        exc = LearnerError(f"{name}: {message}" if message else name)
    else:
        args: Any = None
        if "args" in info:
            try:
                args = Decoder(b"").decode(info["args"])
            except WireError:
                args = None
        try:
            exc = cls(*args) if type(args) is tuple else cls(message)
        except Exception:
            exc = cls(message)
    remote_tb = info.get("traceback")
    if type(remote_tb) is str:
        exc.remote_traceback = remote_tb[:MAX_TRACEBACK_CHARS]  # type: ignore[attr-defined]
    return exc


def importable_name(obj: Any) -> str | None:
    """`module:qualname` when `obj` (a function, class or builtin) can be imported by that
    name and the import gives back the very same object; else None."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    if module in ("__main__", "__harness__") or module.startswith("__"):
        return None
    import sys

    found: Any = sys.modules.get(module)
    if found is None:
        return None
    for part in qualname.split("."):
        found = getattr(found, part, None)
        if found is None:
            return None
    return f"{module}:{qualname}" if found is obj else None


def import_by_name(name: str) -> Any:
    module, _, qualname = name.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class Exports:
    """Objects this side lent to the other, by id."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._by_id: dict[int, Any] = {}
        self._by_obj: dict[int, int] = {}
        self._lock = threading.Lock()

    def add(self, obj: Any) -> int:
        with self._lock:
            known = self._by_obj.get(id(obj))
            if known is not None and self._by_id.get(known) is obj:
                return known
            handle = next(self._ids)
            self._by_id[handle] = obj
            self._by_obj[id(obj)] = handle
            return handle

    def get(self, handle: Any) -> Any:
        if type(handle) is not int or handle not in self._by_id:
            raise WireError(f"unknown handle {handle!r}")
        return self._by_id[handle]


# ---------------------------------------------------------------------- grader side


class Remote:
    """The grader's view of an object that lives in the learner's process."""

    __slots__ = ("_client", "_handle", "_info", "_origin", "__weakref__")

    def __init__(self, client: Any, handle: int, info: dict[str, Any], origin: str | None = None):
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_info", info)
        object.__setattr__(self, "_origin", origin)

    # identity only: a proxy is never equal to a value
    def __eq__(self, other: object) -> bool:
        return other is self

    def __ne__(self, other: object) -> bool:
        return other is not self

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        kind = self._info.get("type", "object")
        return f"<the learner's {kind}>"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if name in self._info.get("methods", ()):
            return RemoteMethod(self, name)
        return self._client.op(self, "getattr", name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._client.op(self, "setattr", name, value)

    def __delattr__(self, name: str) -> None:
        self._client.op(self, "delattr", name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._client.op(self, "call", None, args, kwargs)

    def __len__(self) -> int:
        n = self._client.op(self, "len")
        if type(n) is not int or n < 0:
            raise TypeError(f"len() of the learner's object returned {n!r}")
        return n

    def __iter__(self) -> Any:
        items = self._client.op(self, "iter")
        if type(items) is not list:
            raise TypeError("iterating over the learner's object failed")
        return iter(items)

    def __getitem__(self, key: Any) -> Any:
        return self._client.op(self, "getitem", None, (key,))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._client.op(self, "setitem", None, (key, value))

    def __delitem__(self, key: Any) -> None:
        self._client.op(self, "delitem", None, (key,))

    def __contains__(self, key: Any) -> bool:
        return bool(self._client.op(self, "contains", None, (key,)) is True)

    def __bool__(self) -> bool:
        return self._client.op(self, "bool") is True

    def __reduce__(self) -> Any:
        raise Unsupported("a proxy of the learner's object cannot be pickled")


class RemoteMethod:
    """A bound method of a learner's object: one round trip per call."""

    __slots__ = ("_owner", "_name")

    def __init__(self, owner: Remote, name: str) -> None:
        self._owner = owner
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        owner = self._owner
        return owner._client.op(owner, "callm", self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<method {self._name} of {self._owner!r}>"

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return id(self)


def is_remote(value: Any) -> bool:
    """True for a proxy of a learner's object (or a method of one, or a partial of one)."""
    if isinstance(value, Remote | RemoteMethod):
        return True
    if isinstance(value, functools.partial):
        return is_remote(value.func) or any(is_remote(a) for a in value.args)
    return False


class HarnessCodec:
    """Encoding and decoding on the grader's side of one channel."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.exports = Exports()

    def encoder(self) -> Encoder:
        return Encoder(on_other=self._other)

    def _other(self, value: Any, enc: Encoder) -> Any:
        if isinstance(value, Remote):
            if value._client is not self.client:
                raise NotPlain("a proxy of another process's object")
            return {"$yours": value._handle}
        if isinstance(value, RemoteMethod):
            if value._owner._client is not self.client:
                raise NotPlain("a proxy of another process's object")
            return {"$yourm": [value._owner._handle, value._name]}
        if isinstance(value, functools.partial):
            return {
                "$partial": [
                    enc.encode(value.func),
                    enc.encode(tuple(value.args)),
                    enc.encode(dict(value.keywords)),
                ]
            }
        name = importable_name(value)
        if name is not None:
            return {"$import": name}
        if callable(value):
            return {"$ref": [self.exports.add(value), {"kind": "callable"}]}
        methods = sorted(
            n
            for n in dir(type(value))
            if not n.startswith("_") and callable(getattr(value, n, None))
        )
        if methods:
            return {"$ref": [self.exports.add(value), {"kind": "object", "methods": methods}]}
        kind = type(value)
        raise NotPlain(
            f"an object of type {kind.__module__}.{kind.__qualname__} cannot be sent to the "
            "learner's code"
        )

    def encode(self, value: Any) -> tuple[Any, bytes]:
        enc = self.encoder()
        tree = enc.encode(value)
        return tree, bytes(enc.buffer)

    def decode(self, tree: Any, buffer: bytes, origin: str | None = None) -> Any:
        def on_tag(tag: str, payload: Any, _decoder: Decoder) -> Any:
            if tag == "$ref":
                if type(payload) is not list or len(payload) != 2 or type(payload[1]) is not dict:
                    raise WireError("malformed handle")
                handle, info = payload
                if type(handle) is not int:
                    raise WireError("malformed handle")
                clean = {
                    "type": str(info.get("type", "object"))[:200],
                    "methods": tuple(
                        str(m)[:200] for m in info.get("methods", [])[:2000] if type(m) is str
                    ),
                }
                return Remote(self.client, handle, clean, origin)
            if tag == "$yours":
                return self.exports.get(payload)
            raise WireError(f"the learner's process may not send {tag!r}")

        return Decoder(buffer, on_tag).decode(tree)

    def serve(self, op: str, tree: Any, buffer: bytes) -> tuple[Any, bytes]:
        """Requests from the learner's process: calls of what the grader lent, only."""
        request = self.decode(tree, buffer)
        if type(request) is not dict:
            raise WireError("malformed request")
        target = request.get("target")
        args = request.get("args", ())
        kwargs = request.get("kwargs", {})
        if type(args) is not tuple or type(kwargs) is not dict:
            raise WireError("malformed call")
        if not all(type(k) is str for k in kwargs):
            raise WireError("malformed keyword arguments")
        if op == "call":
            if not callable(target) or isinstance(target, Remote):
                raise TypeError("that object of the grader cannot be called")
            result = target(*args, **kwargs)
        elif op == "callm":
            name = request.get("name")
            methods = sorted(
                n
                for n in dir(type(target))
                if not n.startswith("_") and callable(getattr(target, n, None))
            )
            if type(name) is not str or name not in methods or isinstance(target, Remote):
                raise AttributeError(f"the grader's object has no method {name!r} to call")
            result = getattr(target, name)(*args, **kwargs)
        else:
            raise WireError(f"the grader does not serve {op!r}")
        return self.encode(result)


def call_op(
    codec: Any, channel: Any, op: str, payload: dict[str, Any], timeout: float | None
) -> Any:
    """Send one request through `channel`, decode its reply with `codec`."""
    tree, buffer = codec.encode(payload)
    ok, value, reply_buffer = channel.request(op, tree, buffer, timeout=timeout)
    if not ok:
        raise decode_error(value)
    return codec.decode(value, reply_buffer)


Resolver = Callable[[str], Any]
