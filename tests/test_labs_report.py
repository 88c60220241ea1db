"""Tests for the slow programs of unit 02: the sales report (lesson) and the risk-scoring
job (exercise), in tradeoffs.labs."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from tradeoffs.labs.report import Order, build_report, build_report_fast, make_orders, slow
from tradeoffs.labs.scoring import (
    make_data,
    profile_top,
    score_accounts,
)
from tradeoffs.labs.scoring.slow import BP_PER_UNIT, audit_line, category_risk, find_merchant


def test_order_feed_is_seeded_and_replays_orders() -> None:
    feed = make_orders(1_000, seed=3)
    assert feed == make_orders(1_000, seed=3)
    assert feed != make_orders(1_000, seed=4)
    assert len(feed) == 1_050
    assert len({o.order_id for o in feed}) == 1_000
    assert all(isinstance(o, Order) and 1 <= o.quantity <= 5 for o in feed)
    assert make_orders(0) == []
    with pytest.raises(ValueError, match="duplicate_rate"):
        make_orders(10, duplicate_rate=2)


def test_dedupe_keeps_first_delivery_in_order() -> None:
    a = Order(1, 1, "north", "SKU-1", 1, 100)
    b = Order(2, 1, "south", "SKU-2", 2, 200)
    replay = a._replace(quantity=5)
    assert slow.dedupe_orders([a, b, replay, b]) == [a, b]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_report_is_identical(seed: int) -> None:
    feed = make_orders(1_500, seed=seed)
    report = build_report(feed)
    assert build_report_fast(feed) == report
    unique = slow.dedupe_orders(feed)
    assert report["orders"] == len(unique) == 1_500
    assert report["revenue_cents"] == sum(o.quantity * o.unit_price_cents for o in unique)
    export = "".join(slow.csv_line(o) for o in unique)
    assert report["csv_sha256"] == hashlib.sha256(export.encode()).hexdigest()
    assert sum(report["by_region"].values()) == report["revenue_cents"]
    top = report["top_customers"]
    assert len(top) == 10 and [c for _, c in top] == sorted((c for _, c in top), reverse=True)


def test_empty_feed() -> None:
    assert build_report([]) == build_report_fast([])
    assert build_report([])["orders"] == 0


def test_report_runs_as_a_program() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tradeoffs.labs.report", "--orders", "300", "--fast"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "build_report_fast: 300 orders" in proc.stdout


def test_scoring_data_shape() -> None:
    data = make_data(n_transactions=500, n_categories=100, depth=4, seed=1)
    assert data == make_data(n_transactions=500, n_categories=100, depth=4, seed=1)
    assert len(data.transactions) == 500 and len(data.categories) == 100
    by_id = {c.category_id: c for c in data.categories}
    assert len(by_id) == 100
    depths = []
    for c in data.categories:
        depth = 1
        while c.parent_id is not None:
            c = by_id[c.parent_id]
            depth += 1
        depths.append(depth)
    assert max(depths) == 4
    merchant_ids = {m.merchant_id for m in data.merchants}
    assert all(tx.merchant_id in merchant_ids for tx in data.transactions)
    with pytest.raises(ValueError, match="depth"):
        make_data(depth=0)


def test_scoring_follows_its_definition() -> None:
    data = make_data(n_transactions=300, seed=2)
    by_id = {c.category_id: c for c in data.categories}

    def risk(cid: int) -> int:
        c = by_id[cid]
        return c.base_risk_bp + (risk(c.parent_id) // 2 if c.parent_id is not None else 0)

    category_of = {m.merchant_id: m.category_id for m in data.merchants}
    exposure: dict[int, int] = {}
    log = []
    for tx in data.transactions:
        r = risk(category_of[tx.merchant_id])
        assert category_risk(data.categories, category_of[tx.merchant_id]) == r
        exposure[tx.account_id] = exposure.get(tx.account_id, 0) + tx.amount_cents * r
        log.append(audit_line(tx, r))
    scores, digest = score_accounts(*data)
    assert scores == {a: t // BP_PER_UNIT for a, t in sorted(exposure.items())}
    assert list(scores) == sorted(scores)
    assert digest == hashlib.sha256("".join(log).encode()).hexdigest()
    with pytest.raises(KeyError):
        find_merchant(data.merchants, -1)


def test_profile_top_counts_recursive_calls() -> None:
    data = make_data(n_transactions=400, seed=1)
    name, calls = profile_top(score_accounts, *data)
    assert name == "category_risk"
    by_id = {c.category_id: c for c in data.categories}
    category_of = {m.merchant_id: m.category_id for m in data.merchants}
    want = 0
    for tx in data.transactions:
        c = by_id[category_of[tx.merchant_id]]
        want += 1
        while c.parent_id is not None:
            c = by_id[c.parent_id]
            want += 1
    assert calls == want > 400
    assert profile_top(build_report, make_orders(3_000, seed=5)) == ("dedupe_orders", 1)
