"""Two ways to eager-load the user page, measured: ``selectinload`` against ``joinedload``.

``selectinload`` sends one more ``SELECT ... WHERE id IN (...)`` per relationship level
(4 queries for the user page); each row comes back once. ``joinedload`` sends one query
with LEFT OUTER JOINs (2 for the user page: the user, then orders x items x products);
every item row repeats its order's columns, and joining two collections side by side would
multiply their rows (the row explosion). Which wins depends on what a round trip costs
against what the extra rows cost, so :func:`compare_loading` measures both with and without
the modelled network.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from tradeoffs.labs.endpoint.db import QueryLog, make_engine
from tradeoffs.labs.endpoint.handlers import joined_rows, joined_user_json, optimized_user_json

__all__ = ["LoadingRow", "compare_loading", "loading_table"]


@dataclass(frozen=True)
class LoadingRow:
    """One strategy at one round-trip time: statements, rows and values (cells) received,
    and the median time of a request (ms)."""

    strategy: str
    round_trip_ms: float
    queries: int
    rows: int
    cells: int
    median_ms: float


def _selectin_rows(body: dict) -> tuple[int, int]:
    orders = body["orders"]
    items = [i for o in orders for i in o["items"]]
    products = {i["product_id"] for i in items}
    # user (3 columns), orders (4), items (5), products (3): each row sent once
    rows = 1 + len(orders) + len(items) + len(products)
    return rows, 3 + 4 * len(orders) + 5 * len(items) + 3 * len(products)


def compare_loading(
    url: str, user_id: int, *, round_trips_ms: Sequence[float] = (0.0, 3.0), repeats: int = 11
) -> list[LoadingRow]:
    """Serve ``user_id``'s page with each strategy on the database at ``url`` (fresh
    sessions, ``repeats`` times after one warm-up, interleaved) for each round-trip time."""
    out = []
    for rt in round_trips_ms:
        engine = make_engine(url, round_trip_ms=rt, jitter_ms=0.0 if rt == 0 else 1.0)
        try:
            times: dict[str, list[float]] = {"selectinload": [], "joinedload": []}
            counts: dict[str, int] = {}
            with QueryLog(engine) as log:
                for i in range(repeats + 1):
                    for name, handler in (
                        ("selectinload", optimized_user_json),
                        ("joinedload", joined_user_json),
                    ):
                        log.reset()
                        started = time.perf_counter()
                        with Session(engine) as session:
                            body = handler(session, user_id)
                        if i:  # the first round warms the caches up
                            times[name].append((time.perf_counter() - started) * 1000)
                        counts[name] = log.total
            if body is None:
                raise ValueError(f"there is no user {user_id}")
            sel_rows, sel_cells = _selectin_rows(body)
            with Session(engine) as session:
                j_rows, j_cols = joined_rows(session, user_id)
            out.append(
                LoadingRow(
                    "selectinload",
                    rt,
                    counts["selectinload"],
                    sel_rows,
                    sel_cells,
                    float(np.median(times["selectinload"])),
                )
            )
            out.append(
                LoadingRow(
                    "joinedload",
                    rt,
                    counts["joinedload"],
                    1 + j_rows,
                    3 + j_rows * j_cols,
                    float(np.median(times["joinedload"])),
                )
            )
        finally:
            engine.dispose()
    return out


def loading_table(rows: Sequence[LoadingRow]) -> str:
    """One line per strategy and round trip."""
    lines = [
        f"{'strategy':<14}{'round trip':>11}{'queries':>9}{'rows':>7}{'values':>8}{'median':>10}"
    ]
    for r in rows:
        lines.append(
            f"{r.strategy:<14}{r.round_trip_ms:>8g} ms{r.queries:>9}{r.rows:>7}{r.cells:>8}"
            f"{r.median_ms:>7.1f} ms"
        )
    return "\n".join(lines)
