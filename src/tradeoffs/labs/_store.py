"""A small disk store for deterministic results that are slow to compute.

Some exercise fixtures train several models on seeded data only to return a few numbers;
computing them again in every fresh process (each graded run, each learner's check) costs
seconds for nothing. `stored(name, key, compute)` keeps such plain results (numbers,
arrays, lists, dicts: `tradeoffs.checks.wire`'s plain data, never a pickle) in
`$TRADEOFFS_CACHE_DIR` (default `~/.cache/tradeoffs`), keyed by the arguments and by the
source code of the module that computes them, so changed code computes afresh. A store
that cannot be read or written (a sandbox sees it read-only, or not at all) just means
computing.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import inspect
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tradeoffs.checks import wire

T = TypeVar("T")
ENV = "TRADEOFFS_CACHE_DIR"


def store_dir() -> Path:
    """Where results are kept."""
    return Path(os.environ.get(ENV) or Path.home() / ".cache" / "tradeoffs")


def _source_hash(fn: Callable[..., Any]) -> str:
    module = inspect.getmodule(fn)
    try:
        text = inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):
        text = ""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stored(name: str, key: Any, compute: Callable[[], T]) -> T:
    """`compute()`, or the result kept from an earlier call with the same `name`, `key`
    and source code of `compute`'s module."""
    digest = hashlib.sha256(f"{name}|{key!r}|{_source_hash(compute)}".encode()).hexdigest()[:24]
    path = store_dir() / f"{name}-{digest}.json"
    with contextlib.suppress(OSError, ValueError, wire.WireError, KeyError, TypeError):
        data = json.loads(path.read_text())
        return wire.decode(data["tree"], base64.b64decode(data["buffer"]))
    value = compute()
    with contextlib.suppress(OSError, wire.NotPlain):
        tree, buffer = wire.encode(value)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".store-")
        with os.fdopen(fd, "w") as fh:
            json.dump({"tree": tree, "buffer": base64.b64encode(buffer).decode()}, fh)
        os.chmod(tmp, 0o644)  # readable by sandboxed processes, which see the store
        os.replace(tmp, path)
    return value
