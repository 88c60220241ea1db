"""What may cross between the grader and a learner's process: plain data, exactly."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, NamedTuple

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from tradeoffs.checks import wire
from tradeoffs.labs.scoring.data import Transaction


def _through_json(value: Any) -> Any:
    """Encode, send as a JSON text (as the channel does), decode."""
    tree, buffer = wire.encode(value)
    return wire.decode(json.loads(json.dumps(tree, allow_nan=False)), buffer)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(2**80),
        1.5,
        math.inf,
        -math.inf,
        1 + 2j,
        "é\u200b",
        b"\x00\xff",
        [1, [2, (3, "x")]],
        {"b": 1, "a": [None]},
        {(1, 2): "tuple key", 3: "int key"},
        {1, 2},
        frozenset({"x"}),
        np.float32(1.5),
        np.int16(-3),
    ],
)
def test_plain_values_cross_unchanged(value: Any) -> None:
    got = _through_json(value)
    assert got == value and type(got) is type(value)
    if isinstance(value, dict):
        assert list(got) == list(value)  # order is kept


def test_nan_crosses() -> None:
    assert math.isnan(_through_json(math.nan))


def test_arrays_cross_as_typed_buffers() -> None:
    for arr in (
        np.arange(6, dtype=np.int64).reshape(2, 3),
        np.array([True, False]),
        np.linspace(0, 1, 5, dtype=np.float32),
        np.zeros((0, 4)),
    ):
        got = _through_json(arr)
        assert got.dtype == arr.dtype and got.shape == arr.shape and (got == arr).all()
        assert got.flags.writeable


def test_package_records_and_histograms_cross_as_their_fields() -> None:
    tx = Transaction(tx_id=1, account_id=2, merchant_id=3, amount_cents=4)
    assert _through_json([tx, tx]) == [tx, tx]
    hist = HdrHistogram(1, 60_000_000, 3)
    for v in (100, 2000, 2000, 900_000):
        hist.record_value(v)
    got = _through_json(hist)
    assert got.get_total_count() == 4
    assert got.get_value_at_percentile(99) == hist.get_value_at_percentile(99)


class _Point(NamedTuple):
    x: int


@dataclasses.dataclass
class _Local:
    x: int


class _SneakyList(list):  # type: ignore[type-arg]
    def __eq__(self, other: object) -> bool:
        return True


@pytest.mark.parametrize(
    "value",
    [_Point(1), _Local(1), _SneakyList([1]), np.array([object()]), object(), lambda: 1],
)
def test_everything_else_is_refused(value: Any) -> None:
    with pytest.raises(wire.NotPlain):
        wire.encode(value)


def test_registered_records_from_elsewhere_cross() -> None:
    wire.register(_Local)
    assert _through_json(_Local(5)) == _Local(5)


@pytest.mark.parametrize(
    ("tree", "buffer", "why"),
    [
        ({"$b": [0, 10]}, b"abc", "out of range"),
        ({"$nd": ["<f8", [3], [0, 8]]}, b"\0" * 8, "does not match"),
        ({"$nd": ["|O", [1], [0, 8]]}, b"\0" * 8, "may not cross"),
        ({"$r": ["os:system", []]}, b"", "may cross"),
        ({"$r": ["tradeoffs.grading.harness:Harness", []]}, b"", "may cross|not a record"),
        ({"$x": 1}, b"", "unknown tag"),
        ({"$d": [[[1], 2]]}, b"", "unhashable"),
        ({"$i": "9" * 6000}, b"", "malformed integer"),
        ({"a": 1, "b": 2}, b"", "malformed"),
        ({"$hdr": [1, 10, 9, ""]}, b"", "out of range"),
    ],
)
def test_malformed_messages_are_refused(tree: Any, buffer: bytes, why: str) -> None:
    with pytest.raises(wire.WireError, match=why):
        wire.decode(tree, buffer)


def test_nesting_is_limited_both_ways() -> None:
    deep: Any = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.NotPlain, match="deep"):
        wire.encode(deep)
    tree: Any = 1
    for _ in range(wire.MAX_DEPTH + 5):
        tree = {"$t": [tree]}
    with pytest.raises(wire.WireError, match="deep"):
        wire.decode(tree)
