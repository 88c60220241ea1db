"""Run the nightly report from a shell: ``python -m tradeoffs.labs.report --orders 4000``.

With ``LINE_PROFILE=1`` in the environment, line_profiler's ``@profile`` on
:func:`tradeoffs.labs.report.slow.dedupe_orders` comes alive: the program prints that
function's line-by-line timings when it exits and writes them to ``profile_output.txt``
(and a ``.lprof`` file for ``python -m line_profiler``) in the current folder.
"""

from __future__ import annotations

import argparse
import time

from tradeoffs.labs.report.data import make_orders
from tradeoffs.labs.report.fast import build_report_fast
from tradeoffs.labs.report.slow import build_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tradeoffs.labs.report")
    parser.add_argument("--orders", type=int, default=4_000, help="distinct orders in the feed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="run the optimised report")
    args = parser.parse_args(argv)
    orders = make_orders(args.orders, seed=args.seed)
    job = build_report_fast if args.fast else build_report
    start = time.perf_counter()
    report = job(orders)
    elapsed_ms = (time.perf_counter() - start) * 1000
    print(
        f"{job.__name__}: {report['orders']:,} orders, revenue "
        f"{report['revenue_cents'] / 100:,.2f}, in {elapsed_ms:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
