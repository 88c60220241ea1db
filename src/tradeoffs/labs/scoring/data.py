"""Seeded inputs for the scoring job: transactions, merchants and a category tree."""

from __future__ import annotations

import random
from typing import NamedTuple


class Transaction(NamedTuple):
    """One card transaction; the amount in integer cents."""

    tx_id: int
    account_id: int
    merchant_id: int
    amount_cents: int


class Merchant(NamedTuple):
    """A merchant and the category it trades in."""

    merchant_id: int
    category_id: int


class Category(NamedTuple):
    """A merchant category; roots have ``parent_id`` None. Risk in basis points."""

    category_id: int
    parent_id: int | None
    base_risk_bp: int


class ScoringData(NamedTuple):
    """The job's three inputs, in the order :func:`score_accounts` takes them."""

    transactions: list[Transaction]
    merchants: list[Merchant]
    categories: list[Category]


def make_data(
    n_transactions: int = 2_000,
    n_accounts: int = 300,
    n_merchants: int = 200,
    n_categories: int = 400,
    depth: int = 5,
    seed: int = 0,
) -> ScoringData:
    """Seeded inputs: a category tree `depth` levels deep (level sizes growing geometrically,
    every category below the roots has a parent one level up), merchants in random
    categories, and transactions at random merchants. Lists come in shuffled order, as a
    database dump would deliver them.
    """
    if min(n_accounts, n_merchants) < 1 or n_transactions < 0:
        raise ValueError("need n_transactions >= 0 and at least one account and merchant")
    if depth < 1 or n_categories < depth:
        raise ValueError(f"need 1 <= depth <= n_categories, got {depth}, {n_categories}")
    rng = random.Random(seed)
    ids = rng.sample(range(1_000, 1_000_000), n_categories)
    weights = [2.0**level for level in range(depth)]
    sizes = [max(1, int(n_categories * w / sum(weights))) for w in weights]
    sizes[-1] += n_categories - sum(sizes)
    categories: list[Category] = []
    previous: list[int] = []
    start = 0
    for size in sizes:
        level = ids[start : start + size]
        start += size
        for category_id in level:
            parent = rng.choice(previous) if previous else None
            categories.append(Category(category_id, parent, rng.randrange(5, 400)))
        previous = level
    rng.shuffle(categories)
    merchant_ids = rng.sample(range(100_000, 999_999), n_merchants)
    merchants = [Merchant(m, rng.choice(ids)) for m in merchant_ids]
    transactions = [
        Transaction(
            tx_id=1_000_000 + i,
            account_id=rng.randrange(n_accounts),
            merchant_id=rng.choice(merchant_ids),
            amount_cents=rng.randrange(100, 250_000),
        )
        for i in range(n_transactions)
    ]
    return ScoringData(transactions, merchants, categories)
