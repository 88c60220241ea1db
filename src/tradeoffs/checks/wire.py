"""Plain data on the wire: what may cross between the grader and a learner's process.

A value crosses as a JSON tree plus one binary buffer (for bytes and numpy arrays). Only
these kinds are encoded, with exact types (a subclass of list is not a list):

    None, bool, int, float (nan and infinities included), complex, str, bytes,
    list, tuple, dict (any plain keys, order kept), set, frozenset,
    numpy arrays of bool/int/uint/float/complex dtype, numpy scalars of those dtypes,
    dataclasses and NamedTuples defined in the ``tradeoffs`` package (or registered
    with :func:`tradeoffs.checks.transferable`), as their fields,
    HdrHistogram objects, as their encoded counts.

Anything else is handed to an ``Encoder``'s ``on_other`` hook (the grading channel turns it
into a handle the other side can call, or refuses it). Decoding builds only those kinds
(and what a ``Decoder``'s hooks return for handles), so nothing a learner's process sends
can construct an object of its choosing on the trusted side: there is no pickle here.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_DEPTH = 64
"""Deepest nesting of containers that is encoded or decoded."""

_NUMERIC_KINDS = "biufc"
_PACKAGE = "tradeoffs"

_REGISTERED: dict[str, type] = {}
_RECORD_CACHE: dict[type, Any] = {}
_UNSEEN = object()


class NotPlain(TypeError):
    """A value that cannot cross as plain data."""


class WireError(ValueError):
    """A message that does not follow the protocol (malformed, too deep, unknown tag)."""


def register(cls: type) -> type:
    """Allow a dataclass or NamedTuple from outside the package to cross as its fields."""
    if not (dataclasses.is_dataclass(cls) or _is_namedtuple_type(cls)):
        raise TypeError(f"{cls.__qualname__} is neither a dataclass nor a NamedTuple")
    _REGISTERED[_type_name(cls)] = cls
    _RECORD_CACHE.pop(cls, None)
    _record_fields.cache_clear()
    resolve_record_type.cache_clear()
    return cls


def _type_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _is_namedtuple_type(cls: type) -> bool:
    return isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")


def _record_type(cls: type) -> bool:
    """True for the dataclasses and NamedTuples allowed to cross as their fields."""
    if _type_name(cls) in _REGISTERED:
        return True
    module = getattr(cls, "__module__", "") or ""
    if module != _PACKAGE and not module.startswith(_PACKAGE + "."):
        return False
    if module.startswith((f"{_PACKAGE}.grading", f"{_PACKAGE}.checks")):
        return False
    return dataclasses.is_dataclass(cls) or _is_namedtuple_type(cls)


@functools.lru_cache(maxsize=1024)
def resolve_record_type(name: str) -> type:
    """The record class named `module:qualname`, importing only the package's own modules."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    module_name, _, qualname = name.partition(":")
    if not qualname or not (module_name == _PACKAGE or module_name.startswith(_PACKAGE + ".")):
        raise WireError(f"no record type {name!r} may cross")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise WireError(f"unknown record type {name!r}") from exc
    if not isinstance(obj, type) or not _record_type(obj):
        raise WireError(f"{name!r} is not a record type that may cross")
    return obj


@functools.cache
def _hdr_type() -> type | None:
    try:
        from hdrh.histogram import HdrHistogram
    except ImportError:  # pragma: no cover - hdrhistogram is a dependency
        return None
    return HdrHistogram


@functools.cache
def _record_fields(cls: type) -> tuple[str, ...] | None:
    """The fields a record type crosses with (None: the type may not cross)."""
    if not _record_type(cls):
        return None
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls) if f.init)
    return tuple(cls._fields)  # type: ignore[attr-defined]


class Encoder:
    """Turns a value into (JSON tree, binary buffer). One encoder per message."""

    def __init__(self, on_other: Callable[[Any, Encoder], Any] | None = None) -> None:
        self.buffer = bytearray()
        self.on_other = on_other

    def _blob(self, data: bytes | memoryview) -> list[int]:
        start = len(self.buffer)
        self.buffer += data
        return [start, len(data)]

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise NotPlain(f"nested more than {MAX_DEPTH} levels deep")
        kind = type(value)
        if kind is str or kind is bool or value is None:
            return value
        if kind is int:
            return value if -(2**63) <= value < 2**63 else {"$i": str(value)}
        names = _RECORD_CACHE.get(kind, _UNSEEN)
        if names is _UNSEEN:
            names = _RECORD_CACHE[kind] = _record_fields(kind)  # type: ignore[arg-type]
        if names is not None and names is not _UNSEEN:
            return {"$r": [_type_name(kind), self._fields(value, names, depth)]}
        if kind is float:
            if math.isfinite(value):
                return value
            return {"$f": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
        if kind is complex:
            return {"$c": [self.encode(value.real), self.encode(value.imag)]}
        if kind is bytes:
            return {"$b": self._blob(value)}
        if kind is list:
            return [self.encode(v, depth + 1) for v in value]
        if kind is tuple:
            return {"$t": [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            return {
                "$d": [
                    [self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()
                ]
            }
        if kind is set or kind is frozenset:
            tag = "$s" if kind is set else "$fs"
            return {tag: [self.encode(v, depth + 1) for v in value]}
        if kind is np.ndarray:
            if value.dtype.kind not in _NUMERIC_KINDS or value.dtype.hasobject:
                return self._other(value, f"a numpy array of dtype {value.dtype}")
            data = np.ascontiguousarray(value)
            return {"$nd": [data.dtype.str, list(data.shape), self._blob(data.tobytes())]}
        if isinstance(value, np.generic) and kind.__module__ == "numpy":
            if value.dtype.kind not in _NUMERIC_KINDS:
                return self._other(value, f"a numpy {value.dtype} scalar")
            return {"$ns": [value.dtype.str, self._blob(value.tobytes())]}
        hdr = _hdr_type()
        if hdr is not None and kind is hdr:
            return {
                "$hdr": [
                    value.lowest_trackable_value,
                    value.highest_trackable_value,
                    value.significant_figures,
                    value.encode().decode("ascii") if value.get_total_count() else "",
                ]
            }
        return self._other(value, f"an object of type {kind.__module__}.{kind.__qualname__}")

    def _fields(self, value: Any, names: tuple[str, ...], depth: int) -> list[Any]:
        out = []
        for name in names:
            v = getattr(value, name)
            t = type(v)
            # Scalars inline: a list of thousands of small records is the common case.
            if t is str or t is bool or v is None or (t is int and -(2**63) <= v < 2**63):
                out.append(v)
            else:
                out.append(self.encode(v, depth + 1))
        return out

    def _other(self, value: Any, what: str) -> Any:
        if self.on_other is None:
            raise NotPlain(f"{what} cannot cross as plain data")
        return self.on_other(value, self)


class Decoder:
    """Turns (JSON tree, binary buffer) back into plain values.

    `on_tag(tag, payload, decoder)` handles tags this module does not know (handles of the
    channel); it raises WireError for tags it does not accept either.
    """

    def __init__(
        self,
        buffer: bytes | memoryview,
        on_tag: Callable[[str, Any, Decoder], Any] | None = None,
    ) -> None:
        self.buffer = memoryview(buffer)
        self.on_tag = on_tag

    def _blob(self, ref: Any) -> bytes:
        if type(ref) is not list or len(ref) != 2 or not all(type(x) is int for x in ref):
            raise WireError("malformed buffer reference")
        start, size = ref
        if start < 0 or size < 0 or start + size > len(self.buffer):
            raise WireError("buffer reference out of range")
        return bytes(self.buffer[start : start + size])

    def decode(self, tree: Any, depth: int = 0) -> Any:
        kind = type(tree)
        if kind is int or kind is str or kind is float or kind is bool or tree is None:
            return tree
        if depth > MAX_DEPTH:
            raise WireError(f"nested more than {MAX_DEPTH} levels deep")
        if kind is list:
            return [self.decode(v, depth + 1) for v in tree]
        if kind is not dict or len(tree) != 1:
            raise WireError("malformed value")
        ((tag, payload),) = tree.items()
        if tag == "$t":
            return tuple(self._items(payload, depth))
        if tag == "$d":
            if type(payload) is not list:
                raise WireError("malformed dict")
            out = {}
            for pair in payload:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("malformed dict item")
                key = self.decode(pair[0], depth + 1)
                try:
                    out[key] = self.decode(pair[1], depth + 1)
                except TypeError as exc:
                    raise WireError(f"unhashable dict key: {exc}") from exc
            return out
        if tag in ("$s", "$fs"):
            try:
                items = set(self._items(payload, depth))
            except TypeError as exc:
                raise WireError(f"unhashable set item: {exc}") from exc
            return items if tag == "$s" else frozenset(items)
        if tag == "$i":
            if type(payload) is not str or len(payload) > 5000:
                raise WireError("malformed integer")
            try:
                return int(payload)
            except ValueError as exc:
                raise WireError("malformed integer") from exc
        if tag == "$f":
            if payload not in ("nan", "inf", "-inf"):
                raise WireError("malformed float")
            return float(payload)
        if tag == "$c":
            re, im = self._items(payload, depth)
            if type(re) is not float or type(im) is not float:
                raise WireError("malformed complex")
            return complex(re, im)
        if tag == "$b":
            return self._blob(payload)
        if tag == "$nd":
            return self._ndarray(payload)
        if tag == "$ns":
            if type(payload) is not list or len(payload) != 2:
                raise WireError("malformed numpy scalar")
            dtype = self._dtype(payload[0])
            data = self._blob(payload[1])
            if len(data) != dtype.itemsize:
                raise WireError("numpy scalar of the wrong size")
            return np.frombuffer(data, dtype=dtype)[0]
        if tag == "$hdr":
            return self._hdr(payload)
        if tag == "$r":
            return self._record(payload, depth)
        if self.on_tag is not None:
            return self.on_tag(tag, payload, self)
        raise WireError(f"unknown tag {tag!r}")

    def _items(self, payload: Any, depth: int) -> list[Any]:
        if type(payload) is not list:
            raise WireError("malformed container")
        return [self.decode(v, depth + 1) for v in payload]

    @staticmethod
    def _dtype(text: Any) -> np.dtype[Any]:
        if type(text) is not str or len(text) > 8:
            raise WireError("malformed dtype")
        try:
            dtype = np.dtype(text)
        except TypeError as exc:
            raise WireError(f"unknown dtype {text!r}") from exc
        if dtype.kind not in _NUMERIC_KINDS or dtype.hasobject or dtype.fields is not None:
            raise WireError(f"dtype {text!r} may not cross")
        return dtype

    def _ndarray(self, payload: Any) -> np.ndarray[Any, Any]:
        if type(payload) is not list or len(payload) != 3 or type(payload[1]) is not list:
            raise WireError("malformed array")
        dtype = self._dtype(payload[0])
        shape = payload[1]
        if len(shape) > 32 or not all(type(n) is int and n >= 0 for n in shape):
            raise WireError("malformed array shape")
        data = self._blob(payload[2])
        count = math.prod(shape)
        if count * dtype.itemsize != len(data):
            raise WireError("array data does not match its shape")
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()

    @staticmethod
    def _hdr(payload: Any) -> Any:
        hdr = _hdr_type()
        if hdr is None or type(payload) is not list or len(payload) != 4:
            raise WireError("malformed histogram")
        low, high, digits, counts = payload
        if not all(type(x) is int for x in (low, high, digits)) or type(counts) is not str:
            raise WireError("malformed histogram")
        if not (1 <= low < high <= 2**62 and 1 <= digits <= 5):
            raise WireError("histogram parameters out of range")
        hist = hdr(low, high, digits)
        if counts:
            try:
                hist.add(hdr.decode(counts.encode("ascii")))  # type: ignore[attr-defined]
            except Exception as exc:  # the C codec raises several kinds on bad input
                raise WireError(f"malformed histogram counts: {exc}") from exc
        return hist

    def _record(self, payload: Any, depth: int) -> Any:
        if type(payload) is not list or len(payload) != 2 or type(payload[1]) is not list:
            raise WireError("malformed record")
        if type(payload[0]) is not str:
            raise WireError("malformed record type")
        cls = resolve_record_type(payload[0])
        names = _record_fields(cls) or ()
        values = payload[1]
        if len(values) != len(names):
            raise WireError(f"{payload[0]} needs {len(names)} fields")
        fields = {}
        for n, v in zip(names, values, strict=True):
            t = type(v)
            fields[n] = (
                v if (t is int or t is str or t is bool or v is None) else self.decode(v, depth + 1)
            )
        try:
            return cls(**fields)
        except Exception as exc:
            raise WireError(f"cannot rebuild {payload[0]}: {type(exc).__name__}: {exc}") from exc


def encode(value: Any) -> tuple[Any, bytes]:
    """`value` as (JSON tree, buffer); raises NotPlain for what cannot cross."""
    enc = Encoder()
    tree = enc.encode(value)
    return tree, bytes(enc.buffer)


def decode(tree: Any, buffer: bytes = b"") -> Any:
    """The plain value of an encoded (JSON tree, buffer)."""
    return Decoder(buffer).decode(tree)


def roundtrip(value: Any) -> Any:
    """`value` as the other side would see it (a deep copy made of plain values)."""
    return decode(*encode(value))
